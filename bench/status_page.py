"""Public status page under load: requests/s, latency and what it cost the database.

    python -m bench.status_page --monitors 50 --clients 200 --seconds 30

A real ``onlinetracker web`` (gunicorn, 2 workers) on a PostgreSQL database of its own, with one
status page of ``--monitors`` monitors (each with 90 days of daily rollups and a current state)
and a current announcement. ``--clients`` keep-alive connections on loopback read the page for
``--seconds``: with ``wrk`` when it is installed (``apt-get install wrk``), else Python threads
(slower: the client then competes with the server for the CPU). ``--target both`` runs the HTML
page, then the JSON.

Database cost is read from PostgreSQL's own counters for this database, before and after:
transactions (``pg_stat_database.xact_commit + xact_rollback``) and page builds (index and
sequential scans of ``status_pages``: a build looks the page up once, then reads monitors,
rollups and announcements, four queries in all). The server is stopped before the second
reading so its connections flush their counters. Prints one JSON object last.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime

import requests
from sqlalchemy import text

from bench.common import cpu_seconds, percentile, web_server
from shared.buckets import DAY, bucket_starts
from shared.db import make_engine
from shared.models import MonitorState, Rollup

SLUG = "bench"
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def _seed(server, monitors: int) -> int:
    base, db_url = server.base, server.db_url
    api = server.signed_in()
    ids = []
    for i in range(monitors):
        r = api.post(
            f"{base}/api/monitors",
            json={"name": f"service {i}", "type": "http", "target": f"http://127.0.0.1:9/{i}"},
        )
        r.raise_for_status()
        ids.append(r.json()["id"])
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        rows = []
        for n, mid in enumerate(ids):
            for d, start in enumerate(bucket_starts(now, DAY, 90)):
                down = 12 if (n + d) % 29 == 0 else 0
                degraded = 30 if (n * 7 + d) % 13 == 0 else 0
                rows.append(
                    {
                        "monitor_id": mid,
                        "resolution": DAY,
                        "bucket_start": start,
                        "ok": 1440 - down - degraded,
                        "degraded": degraded,
                        "down": down,
                        "latency_sum": 1440 * 40.0,
                        "latency_count": 1440,
                    }
                )
        conn.execute(Rollup.__table__.insert(), rows)
        conn.execute(
            MonitorState.__table__.insert(),
            [
                {
                    "monitor_id": mid,
                    "location": 0,
                    "status": "degraded" if n == 3 else "ok",
                    "since": now,
                    "last_checked_at": now,
                    "ssl_warned": False,
                }
                for n, mid in enumerate(ids)
            ],
        )
    engine.dispose()
    groups = [
        {
            "name": f"Group {g}",
            "monitors": [
                {"monitor_id": mid, "display_name": f"Service {g}.{k}", "show_target": k % 2 == 0}
                for k, mid in enumerate(ids[g::5])
            ],
        }
        for g in range(5)
    ]
    page = api.post(
        f"{base}/api/status-pages",
        json={
            "slug": SLUG,
            "title": "Bench status",
            "description": "A page for the benchmark.",
            "groups": groups,
        },
    )
    page.raise_for_status()
    api.post(
        f"{base}/api/status-pages/{page.json()['id']}/announcements",
        json={"title": "Scheduled upgrade", "body": "Expect **short** interruptions.", "severity": "info"},
    ).raise_for_status()
    return len(ids)


def _counters(db_url: str) -> dict:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        xact = conn.execute(
            text(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
            )
        ).scalar()
        scans = conn.execute(
            text(
                "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
                "WHERE relname = 'status_pages'"
            )
        ).scalar()
    engine.dispose()
    return {"transactions": int(xact), "page_lookups": int(scans)}


def _wrk(url: str, clients: int, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        done = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{clients}",
                "-H",
                "Accept-Encoding: gzip",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    count, micros, p50, p95, p99, errors, bad_status = (int(v) for v in line.split()[1:])
    return {
        "client": "wrk",
        "requests": count,
        "requests_per_s": round(count / (micros / 1e6), 1),
        "p50_ms": round(p50 / 1000, 2),
        "p95_ms": round(p95 / 1000, 2),
        "p99_ms": round(p99 / 1000, 2),
        "socket_errors": errors,
        "non_2xx": bad_status,
    }


def _threads(url: str, clients: int, seconds: int) -> dict:
    """Fallback without wrk: one thread per client, each on its own keep-alive connection."""
    host, _, rest = url.removeprefix("http://").partition("/")
    name, port = host.split(":")
    path = "/" + rest
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop_at = time.perf_counter() + seconds

    def run(i: int) -> None:
        conn = http.client.HTTPConnection(name, int(port), timeout=10)
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[i] += 1
            except OSError:
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection(name, int(port), timeout=10)
                continue
            latencies[i].append((time.perf_counter() - t0) * 1000)

    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    flat = [x for per in latencies for x in per]
    return {
        "client": "python threads",
        "requests": len(flat),
        "requests_per_s": round(len(flat) / elapsed, 1),
        "p50_ms": round(percentile(flat, 50), 2),
        "p95_ms": round(percentile(flat, 95), 2),
        "p99_ms": round(percentile(flat, 99), 2),
        "socket_errors": 0,
        "non_2xx": sum(errors),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=50)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--target", choices=("html", "json", "both"), default="html")
    args = parser.parse_args(argv)
    load = _wrk if shutil.which("wrk") else _threads
    runs = {}
    with web_server("ot_bench_status", workers=2) as server:
        base, db_url, web = server.base, server.db_url, server.process
        monitors = _seed(server, args.monitors)
        paths = {"html": f"/status/{SLUG}", "json": f"/status/{SLUG}.json"}
        for path in paths.values():
            answer = requests.get(base + path, timeout=10)
            assert answer.status_code == 200, answer.text[:300]
        size = {}
        for kind, path in paths.items():
            plain = requests.get(base + path, timeout=10, headers={"Accept-Encoding": "identity"})
            packed = requests.get(base + path, timeout=10, headers={"Accept-Encoding": "gzip"}, stream=True)
            size[kind] = {"bytes": len(plain.content), "gzip_bytes": len(packed.raw.read())}
        time.sleep(11)  # idle server connections flush their statistics (PostgreSQL 15+: 10 s)
        first = _counters(db_url)
        before = _counters(db_url)  # what one reading costs: (before - first)
        reading = {k: before[k] - first[k] for k in before}
        cpu_before = cpu_seconds(web.pid)
        started = time.time()
        for kind in ("html", "json") if args.target == "both" else (args.target,):
            runs[kind] = {**load(base + paths[kind], args.clients, args.seconds), **size[kind]}
        elapsed = time.time() - started
        server_cpu = cpu_seconds(web.pid) - cpu_before
        server.stop()  # its connections close and flush their statistics
        time.sleep(1)
        after = _counters(db_url)
    transactions = after["transactions"] - before["transactions"] - reading["transactions"]
    builds = after["page_lookups"] - before["page_lookups"] - reading["page_lookups"]
    served = sum(r["requests"] for r in runs.values())
    result = {
        "monitors": monitors,
        "days": 90,
        "clients": args.clients,
        "seconds": args.seconds,
        "server": "onlinetracker web, gunicorn 2 workers (gthread, 4 threads each)",
        "runs": runs,
        "requests": served,
        "page_builds": builds,
        "db_queries": builds * 5,  # per build: maintenance windows, page, monitors, rollups, announcements
        "db_transactions": transactions,
        "db_queries_per_request": round(builds * 5 / served, 6) if served else None,
        "server_cpu_s": round(server_cpu, 1),
        "wall_s": round(elapsed, 1),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
