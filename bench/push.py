"""Heartbeat push latency: how fast ``/push/<token>`` answers on a real web server.

    python -m bench.push --pings 2000 --monitors 50

A real ``onlinetracker web`` (gunicorn, 2 workers) on PostgreSQL; ``--monitors`` heartbeat monitors
pinged round-robin over keep-alive connections from one client. A ping that lands in a second
already recorded for its monitor is only counted (the flood limit), so both paths are measured:
"stored" (result + rollups + state, one transaction) and "counted". Prints one JSON object last.
"""

from __future__ import annotations

import argparse
import json
import time

import requests

from bench.common import percentile, web_server


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=2000)
    parser.add_argument("--monitors", type=int, default=50)
    args = parser.parse_args(argv)
    with web_server("ot_bench_push") as server:
        base = server.base
        api = server.signed_in()
        urls = [
            api.post(
                f"{base}/api/monitors",
                json={"name": f"hb {i}", "type": "heartbeat", "interval_seconds": 3600},
            ).json()["push_url"]
            for i in range(args.monitors)
        ]
        pinger = requests.Session()
        for url in urls:
            pinger.get(url)  # warm the connection and each monitor's first result
        stored, counted = [], []
        started = time.time()
        for i in range(args.pings):
            t0 = time.perf_counter()
            answer = pinger.get(urls[i % len(urls)])
            took = (time.perf_counter() - t0) * 1000
            assert answer.status_code == 200, answer.text
            (stored if answer.json()["recorded"] else counted).append(took)
        elapsed = time.time() - started
    everything = stored + counted
    result = {
        "pings": args.pings,
        "monitors": args.monitors,
        "pings_per_s": round(args.pings / elapsed, 1),
        "all_p50_ms": round(percentile(everything, 50), 2),
        "all_p95_ms": round(percentile(everything, 95), 2),
        "stored": len(stored),
        "stored_p50_ms": round(percentile(stored, 50), 2) if stored else None,
        "stored_p95_ms": round(percentile(stored, 95), 2) if stored else None,
        "counted": len(counted),
        "counted_p50_ms": round(percentile(counted, 50), 2) if counted else None,
        "counted_p95_ms": round(percentile(counted, 95), 2) if counted else None,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
