"""Query benchmark: the dashboard's reads over M monitors with 72 h of results at 60 s.

    python -m bench.queries --monitors 1000

1,000 monitors make 4.3 M result rows (generated inside PostgreSQL, rollups built from them the way
the workers fold them). Each endpoint is then called through the real Flask app and its p50/p95 in
milliseconds printed; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

from sqlalchemy import text

from bench.common import percentile, scratch_database
from shared import config as config_mod
from shared.db import make_engine

FILL = """
INSERT INTO monitors (name, type, target, interval_seconds, timeout_seconds, enabled, created_at, updated_at)
SELECT 'bench ' || g, 'http', 'http://127.0.0.1:9/', 60, 10, true, now(), now() FROM generate_series(1, :m) g;

INSERT INTO check_results (monitor_id, agent_id, uid, checked_at, slot_at, status, latency_ms, details)
SELECT m.id, NULL, 'b:' || m.id || ':' || g, now() - make_interval(secs => g * 60),
       now() - make_interval(secs => g * 60),
       CASE WHEN random() < 0.01 THEN 'down' WHEN random() < 0.05 THEN 'degraded' ELSE 'ok' END,
       20 + random() * 100, 'HTTP 200'
FROM monitors m, generate_series(0, 4319) g;

INSERT INTO rollups (monitor_id, resolution, bucket_start, ok, degraded, down, latency_sum, latency_count)
SELECT monitor_id, r.res, to_timestamp(floor(extract(epoch FROM checked_at) / r.res) * r.res),
       count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status = 'degraded'),
       count(*) FILTER (WHERE status = 'down'), coalesce(sum(latency_ms), 0), count(latency_ms)
FROM check_results, (VALUES (900), (3600), (86400)) AS r(res)
GROUP BY monitor_id, r.res, 3;

INSERT INTO monitor_states (monitor_id, location, status, since, last_checked_at, last_latency_ms,
                            last_details, ssl_warned)
SELECT id, 0, 'ok', now(), now(), 42.0, 'HTTP 200', false FROM monitors;
ANALYZE;
"""


def read_token(engine) -> str:
    """An admin and a read token of the bench's own: every API read is signed in, as in use."""
    from shared import accounts
    from shared.db import session_factory
    from shared.models import ApiToken

    with session_factory(engine)() as session:
        user = accounts.create_user(session, "bench", "bench password", "admin")
        raw = accounts.new_token()
        session.add(ApiToken(name="bench", scope="read", user_id=user.id, token_hash=accounts.sha256(raw)))
        session.commit()
    return raw


def timed(client, url: str, repeat: int, headers: dict) -> dict:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.get_json())
    return {"p50_ms": round(percentile(samples, 50), 2), "p95_ms": round(percentile(samples, 95), 2)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args(argv)

    with scratch_database("ot_bench_q") as (db_url, _redis), tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(db_url)
        t0 = time.perf_counter()
        with engine.begin() as conn:
            for statement in FILL.split(";\n"):
                if statement.strip():
                    conn.execute(text(statement), {"m": args.monitors})
        fill_s = time.perf_counter() - t0
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*) FROM check_results")).scalar()
            mid = conn.execute(text("SELECT min(id) + (max(id) - min(id)) / 2 FROM monitors")).scalar()
        auth = {"Authorization": f"Bearer {read_token(engine)}"}
        engine.dispose()

        from web import create_app

        app = create_app(config_mod.load({"DATABASE_URL": db_url, "DATA_DIR": tmp}))
        client = app.test_client()
        urls = {
            "overview": "/api/status/overview",
            "history": f"/api/monitors/{mid}/history?hours=72",
            "history_batch_all": "/api/monitors/history?hours=72",
            "uptime_24h": f"/api/monitors/{mid}/uptime?period=24h",
            "uptime_week": f"/api/monitors/{mid}/uptime?period=week",
            "uptime_month": f"/api/monitors/{mid}/uptime?period=month",
            "uptime_year": f"/api/monitors/{mid}/uptime?period=year",
            "results_page_1": f"/api/monitors/{mid}/results?page=1&per_page=50",
            "results_page_100": f"/api/monitors/{mid}/results?page=100&per_page=40",
        }
        timings = {}
        for name, url in urls.items():
            client.get(url, headers=auth)  # warm caches and the connection pool
            timings[name] = timed(
                client, url, max(5, args.repeat // 8) if name == "history_batch_all" else args.repeat, auth
            )
    result = {"monitors": args.monitors, "result_rows": rows, "fill_s": round(fill_s, 1), **timings}
    for name, t in timings.items():
        print(f"{name:20s} p50 {t['p50_ms']:8.2f} ms   p95 {t['p95_ms']:8.2f} ms")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
