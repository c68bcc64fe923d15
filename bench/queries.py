"""Query benchmark: the dashboard's reads over M monitors with 72 h of results at 60 s.

    python -m bench.queries --monitors 1000
    python -m bench.queries --monitors 10000

Raw results (4,320 per monitor: 72 h at 60 s) are generated inside PostgreSQL for the first
``--result-monitors`` monitors (default: all of them up to 1,000), which is all the per-monitor result
pages read; 10,000 monitors' worth would be 43 M rows. Rollups, which every bar and uptime figure
reads, are generated for every monitor: 72 h of 15-minute and hourly buckets and 4 days, 15 checks
per 15 minutes. Each endpoint is then called through the real Flask app and its p50/p95 in
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
SELECT 'bench ' || g, 'http', 'http://10.' || (g / 65536) || '.' || (g / 256 % 256) || '.' || (g % 256) || '/',
       60, 10, true, now(), now()
FROM generate_series(1, :m) g;

INSERT INTO check_results (monitor_id, agent_id, uid, checked_at, slot_at, status, latency_ms, details{extra})
SELECT m.id, NULL, 'b:' || m.id || ':' || g, now() - make_interval(secs => g * 60),
       now() - make_interval(secs => g * 60),
       CASE WHEN random() < 0.01 THEN 'down' WHEN random() < 0.05 THEN 'degraded' ELSE 'ok' END,
       20 + random() * 100, 'HTTP 200'{extra_value}
FROM (SELECT id FROM monitors ORDER BY id LIMIT :r) m, generate_series(0, 4319) g;

INSERT INTO rollups (monitor_id, resolution, bucket_start, ok, degraded, down, latency_sum, latency_count)
SELECT id, res, bucket, checks - down - degraded, degraded, down, checks * (20 + random() * 100), checks
FROM (
    SELECT m.id, r.res, to_timestamp((floor(extract(epoch FROM now()) / r.res) - i) * r.res) AS bucket,
           r.res / 60 AS checks, (random() < 0.01)::int AS down, (random() < 0.05)::int AS degraded
    FROM monitors m, (VALUES (900, 289), (3600, 73), (86400, 4)) AS r(res, n), generate_series(0, r.n - 1) i
) AS generated;

INSERT INTO monitor_states (monitor_id, location, status, since, last_checked_at, last_latency_ms,
                            last_details, ssl_warned)
SELECT id, 0, CASE WHEN id % 50 = 0 THEN 'down' WHEN id % 20 = 0 THEN 'degraded' ELSE 'ok' END,
       now(), now(), 42.0, 'HTTP 200', false
FROM monitors;
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


def fill(engine, monitors: int, result_monitors: int) -> None:
    """The monitors, their results and rollups; ``partition_at`` is filled where the schema has it
    (results partitioned by day): the result's slot, as ``shared.partitions.partition_key`` says."""
    with engine.connect() as conn:
        partitioned = conn.execute(
            text(
                "SELECT 1 FROM information_schema.columns"
                " WHERE table_name = 'check_results' AND column_name = 'partition_at'"
            )
        ).first()
    extra = (", partition_at", ",\n       now() - make_interval(secs => g * 60)") if partitioned else ("", "")
    script = FILL.replace("{extra}", extra[0]).replace("{extra_value}", extra[1])
    with engine.begin() as conn:
        for statement in script.split(";\n"):
            if statement.strip():
                conn.execute(text(statement), {"m": monitors, "r": result_monitors})


def dashboard_urls(mid: int, first_ids: list[int], last_ids: list[int], monitors: int) -> dict[str, str]:
    """What the dashboard asks: a page of rows, the bars of the rows on screen, their refresh."""
    visible = ",".join(map(str, first_ids))
    at_end = ",".join(map(str, last_ids))
    return {
        "overview_page_first": "/api/status/overview?limit=100&offset=0",
        "overview_page_last": f"/api/status/overview?limit=100&offset={max(0, monitors - 100)}",
        "overview_search": "/api/status/overview?q=bench%2099&limit=100",
        "overview_status_down": "/api/status/overview?status=down&limit=100",
        "history_visible_72h": f"/api/monitors/history?hours=72&ids={visible}",
        "history_end_72h": f"/api/monitors/history?hours=72&ids={at_end}",
        "history_visible_1h": f"/api/monitors/history?hours=1&ids={visible}",
        "history": f"/api/monitors/{mid}/history?hours=72",
        "uptime_24h": f"/api/monitors/{mid}/uptime?period=24h",
        "uptime_week": f"/api/monitors/{mid}/uptime?period=week",
        "uptime_month": f"/api/monitors/{mid}/uptime?period=month",
        "uptime_year": f"/api/monitors/{mid}/uptime?period=year",
        "results_page_1": f"/api/monitors/{mid}/results?page=1&per_page=50",
        "results_page_100": f"/api/monitors/{mid}/results?page=100&per_page=40",
    }


#: Every monitor in one answer: for tools and exports, no longer what the dashboard reads.
BULK = {"overview_all": "/api/status/overview", "history_batch_all": "/api/monitors/history?hours=72"}

#: Rows the dashboard draws on a 900-pixel-high screen, with its overscan.
VISIBLE_ROWS = 20


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument(
        "--result-monitors", type=int, default=None, help="monitors given raw results (default: up to 1,000)"
    )
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--no-bulk", action="store_true", help="skip the every-monitor reads")
    args = parser.parse_args(argv)
    result_monitors = min(args.monitors, args.result_monitors or 1000)

    with scratch_database("ot_bench_q") as (db_url, _redis), tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(db_url)
        t0 = time.perf_counter()
        fill(engine, args.monitors, result_monitors)
        fill_s = time.perf_counter() - t0
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*) FROM check_results")).scalar()
            ids = list(conn.execute(text("SELECT id FROM monitors ORDER BY id")).scalars())
        mid = ids[(result_monitors - 1) // 2]  # one with raw results
        auth = {"Authorization": f"Bearer {read_token(engine)}"}
        engine.dispose()

        from web import create_app

        app = create_app(config_mod.load({"DATABASE_URL": db_url, "DATA_DIR": tmp}))
        client = app.test_client()
        urls = dashboard_urls(mid, ids[:VISIBLE_ROWS], ids[-VISIBLE_ROWS:], len(ids))
        if not args.no_bulk:
            urls.update(BULK)
        timings = {}
        for name, url in urls.items():
            client.get(url, headers=auth)  # warm caches and the connection pool
            repeat = max(5, args.repeat // 8) if name in BULK else args.repeat
            timings[name] = timed(client, url, repeat, auth)
    result = {
        "monitors": args.monitors,
        "result_rows": rows,
        "result_monitors": result_monitors,
        "fill_s": round(fill_s, 1),
        **timings,
    }
    for name, t in timings.items():
        print(f"{name:22s} p50 {t['p50_ms']:8.2f} ms   p95 {t['p95_ms']:8.2f} ms")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
