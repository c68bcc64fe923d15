"""Scheduling benchmark: N monitors at 60 s through the real beat and W workers.

    python -m bench.schedule --monitors 2000 --duration 180 --workers 1 --target-delay-ms 0
    python -m bench.schedule --monitors 2000 --mix http=60,tcp=20,dns=10,ping=10
    python -m bench.schedule --monitors 1000 --embedded

``--mix`` splits the monitors by type (percentages): HTTP and TCP checks go to the loopback HTTP
target, DNS checks ask a DNS server of the benchmark's own on a loopback UDP port, pings go to
127.0.0.1. ``--embedded`` runs the same on the embedded default (``onlinetracker run`` with nothing
configured): a SQLite file and the filesystem broker in a temporary DATA_DIR.

A loopback HTTP target answers each check after ``--target-delay-ms``; the real ``onlinetracker beat``
and ``--workers`` real ``onlinetracker worker`` processes run on PostgreSQL + Redis. Prints one JSON
object as its last line. Lag is the start of a check minus its slot.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime

import redis
from sqlalchemy import insert, select, text

from bench.common import cpu_seconds, percentile, rss_mb, scratch_database
from shared import schedule
from shared.db import make_engine, migrate, session_factory
from shared.models import CheckResult, Monitor
from tests.peers.dns_server import DnsPeer
from tests.peers.http_server import HttpPeer

INTERVAL = 60
TYPES = ("http", "tcp", "dns", "ping")


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine (all processes, everyone's), from /proc/stat."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:8]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def parse_mix(text: str) -> dict[str, int]:
    """``http=60,tcp=20`` → ``{"http": 60, "tcp": 20}`` (shares, not necessarily summing to 100)."""
    mix = {}
    for part in text.split(","):
        kind, _, share = part.partition("=")
        if kind not in TYPES or not share.isdigit() or int(share) <= 0:
            raise argparse.ArgumentTypeError(f"--mix takes {','.join(TYPES)} with positive shares: {part!r}")
        mix[kind] = int(share)
    return mix


def monitor_types(mix: dict[str, int], count: int) -> list[str]:
    """``count`` types in the proportions of ``mix``, interleaved (so ids spread each type's slots)."""
    total = sum(mix.values())
    kinds = []
    for i in range(count):
        position = (i * total) // count if count else 0
        for kind, share in mix.items():
            if position < share:
                kinds.append(kind)
                break
            position -= share
    # Interleave: sort by each type's running index so every type's monitors spread over the ids.
    seen: Counter = Counter()
    totals = Counter(kinds)
    order = []
    for kind in kinds:
        order.append((seen[kind] / totals[kind], kind))
        seen[kind] += 1
    return [kind for _, kind in sorted(order, key=lambda item: item[0])]


class ConnectionPeak(threading.Thread):
    """Asks PostgreSQL every ``every`` seconds how many connections there are: ``peak`` to the
    bench's own database (its processes), ``peak_all`` to the whole server (others' included)."""

    def __init__(self, engine, every: float = 1.0):
        super().__init__(daemon=True)
        self.engine, self.every = engine, every
        self.peak = self.peak_all = 0
        self.done = threading.Event()

    def run(self) -> None:
        query = text(
            "SELECT count(*) FILTER (WHERE datname = current_database()), count(*) "
            "FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        with self.engine.connect() as conn:
            while not self.done.wait(self.every):
                mine, every_db = conn.execute(query).one()
                conn.rollback()
                self.peak, self.peak_all = max(self.peak, mine), max(self.peak_all, every_db)

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=10)


def round_trips_per_check(db_url: str, redis_url: str, data_dir: str, checks: int = 200) -> dict:
    """Statements and transactions per check, counted in this process (SQLAlchemy cursor and
    transaction events): beat's dispatch of one window, then ``checks`` of its tasks run as a
    worker runs them. Round trips add the pool's pre-ping per checkout, BEGIN and COMMIT/ROLLBACK."""
    os.environ.update(DATABASE_URL=db_url, REDIS_URL=redis_url, DATA_DIR=data_dir)
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    from worker import context, dispatch, tasks

    counts = Counter()

    def on_statement(conn, cursor, statement, *_args):
        counts["pings" if statement.strip() == "SELECT 1" else "statements"] += 1

    def on_checkout(*_args):
        counts["checkouts"] += 1

    def on_end(*_args):
        counts["transactions"] += 1

    sent = []
    sessions = context.sessions()
    with sessions() as session:  # the window after the run: every monitor's next slots
        dispatch.dispatch_once(session, lambda *args: sent.append(args), time.time() + 60)
    sent = sent[:checks]
    event.listen(Engine, "before_cursor_execute", on_statement)
    event.listen(Engine, "commit", on_end)
    event.listen(Engine, "rollback", on_end)
    event.listen(Pool, "checkout", on_checkout)
    try:
        for monitor_id, slot, _countdown, _expires, *rest in sent:
            tasks.run_check(monitor_id, slot, *rest)
    finally:
        event.remove(Engine, "before_cursor_execute", on_statement)
        event.remove(Engine, "commit", on_end)
        event.remove(Engine, "rollback", on_end)
        event.remove(Pool, "checkout", on_checkout)
        context.reset()
    n = max(1, len(sent))
    per = {k: round(v / n, 2) for k, v in counts.items()}
    per["round_trips"] = round(
        (counts["statements"] + counts["checkouts"] + 2 * counts["transactions"]) / n, 2
    )
    return per


@contextmanager
def stores(embedded: bool, data_dir: str):
    """(database URL, Redis URL): a scratch PostgreSQL database and Redis, or (``embedded``) the
    migrated SQLite file in DATA_DIR and no Redis, as ``onlinetracker run`` with nothing configured."""
    if not embedded:
        with scratch_database("ot_bench_sched") as urls:
            yield urls
        return
    url = f"sqlite:///{data_dir}/onlinetracker.db"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url, None


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=180, help="seconds of measured running")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--target-delay-ms", type=float, default=0.0)
    parser.add_argument(
        "--mix", type=parse_mix, default={"http": 100}, help="e.g. http=60,tcp=20,dns=10,ping=10"
    )
    parser.add_argument(
        "--embedded", action="store_true", help="SQLite + the filesystem broker instead of PostgreSQL + Redis"
    )
    args = parser.parse_args(argv)

    with (
        tempfile.TemporaryDirectory(prefix="ot-bench-") as tmp,
        stores(args.embedded, tmp) as (db_url, redis_url),
        HttpPeer() as peer,
        DnsPeer() as dns_peer,
    ):
        peer.set(status=200, delay=args.target_delay_ms / 1000)
        dns_peer.add("bench.test", "A", "192.0.2.1")
        targets = {
            "http": {"target": peer.url},
            "tcp": {"target": f"127.0.0.1:{peer.port}"},
            "ping": {"target": "127.0.0.1"},
            "dns": {
                "target": "bench.test",
                "options": json.dumps({"server": dns_peer.server, "expected": ["192.0.2.1"]}),
            },
        }
        kinds = monitor_types(args.mix, args.monitors)
        if redis_url:
            redis_url = redis_url.rsplit("/", 1)[0] + "/14"
            redis.Redis.from_url(redis_url).flushdb()
        engine = make_engine(db_url)
        with session_factory(engine)() as session:
            session.execute(
                insert(Monitor),
                [
                    {
                        "name": f"bench {i}",
                        "type": kind,
                        **targets[kind],
                        "interval_seconds": INTERVAL,
                        "timeout_seconds": 10,
                        "enabled": True,
                    }
                    for i, kind in enumerate(kinds)
                ],
            )
            session.commit()
        # Embedded: no DATABASE_URL and no REDIS_URL, so the processes find both in DATA_DIR themselves.
        unset = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL") if args.embedded else ()
        env = {
            **{k: v for k, v in os.environ.items() if k not in unset},
            **({} if args.embedded else {"DATABASE_URL": db_url, "REDIS_URL": redis_url}),
            "DATA_DIR": tmp,
            "WORKER_CONCURRENCY": str(args.concurrency),
            "LOG_LEVEL": "WARNING",
        }
        cmd = [sys.executable, "-m", "onlinetracker"]
        log = open(os.path.join(tmp, "procs.log"), "wb")  # noqa: SIM115
        engine.dispose()  # the bench's own connection is not one the processes needed
        connections = ConnectionPeak(engine)
        if not args.embedded:  # SQLite has no connections to count
            connections.start()
        workers = [
            subprocess.Popen([*cmd, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
            for _ in range(args.workers)
        ]
        time.sleep(3)
        beat = subprocess.Popen([*cmd, "beat"], env=env, stdout=log, stderr=subprocess.STDOUT)
        warmup = 15
        time.sleep(warmup)
        t_start = time.time()
        cpu_start = sum(cpu_seconds(w.pid) for w in workers)
        machine_start = machine_cpu_seconds()
        rss_samples = []
        while time.time() < t_start + args.duration:
            time.sleep(5)
            rss_samples.append(sum(rss_mb(w.pid) for w in workers))
        t_end = time.time()
        cpu_end = sum(cpu_seconds(w.pid) for w in workers)
        machine_cpu = machine_cpu_seconds() - machine_start
        time.sleep(12)  # let checks of the last slots finish and be recorded
        if not args.embedded:
            connections.stop()
        for proc in [beat, *workers]:
            proc.terminate()
        for proc in [beat, *workers]:
            proc.wait(timeout=30)

        per_check = None if args.embedded else round_trips_per_check(db_url, redis_url, tmp)
        with session_factory(engine)() as session:
            ids = session.scalars(select(Monitor.id)).all()
            rows = session.execute(
                select(
                    CheckResult.monitor_id, CheckResult.slot_at, CheckResult.checked_at, CheckResult.status
                ).where(
                    CheckResult.slot_at >= datetime.fromtimestamp(t_start, UTC),
                    CheckResult.slot_at < datetime.fromtimestamp(t_end, UTC),
                )
            ).all()
        engine.dispose()

    expected = {(m, s) for m in ids for s in schedule.slots_between(m, INTERVAL, t_start, t_end)}
    done = {(r.monitor_id, round(r.slot_at.timestamp(), 3)) for r in rows}
    lags = [(r.checked_at - r.slot_at).total_seconds() * 1000 for r in rows]
    per_second = Counter(int(r.checked_at.timestamp()) for r in rows)
    seconds = max(1, int(t_end - t_start))
    mean_per_second = len(rows) / seconds
    by_type = Counter(kinds)
    statuses = Counter(r.status for r in rows)
    result = {
        "monitors": args.monitors,
        "stores": "SQLite + filesystem broker" if args.embedded else "PostgreSQL + Redis",
        "mix": dict(by_type),
        "statuses": dict(statuses),
        "workers": args.workers,
        "concurrency": args.concurrency,
        "target_delay_ms": args.target_delay_ms,
        "duration_s": round(t_end - t_start, 1),
        "checks_expected": len(expected),
        "checks_done": len(done & expected),
        "missed": len(expected - done),
        "checks_per_s": round(len(rows) / (t_end - t_start), 2),
        "capacity_formula_per_s": round(
            args.workers * args.concurrency / max(args.target_delay_ms / 1000, 1e-9), 1
        )
        if args.target_delay_ms
        else None,
        "lag_p50_ms": round(percentile(lags, 50), 1) if lags else None,
        "lag_p99_ms": round(percentile(lags, 99), 1) if lags else None,
        "burst_ratio": round(max(per_second.values()) / mean_per_second, 2) if per_second else None,
        "cpu_ms_per_check": round((cpu_end - cpu_start) * 1000 / max(1, len(rows)), 2),
        # The whole machine's CPU (PostgreSQL, Redis and beat too) over the run, per check.
        "machine_cpu_ms_per_check": round(machine_cpu * 1000 / max(1, len(rows)), 2),
        "db_round_trips_per_check": per_check,
        "worker_rss_mb": round(statistics.median(rss_samples), 1) if rss_samples else None,
        # Sampled every second from the workers' start to the end: the bench database's own
        # connections (beat, workers), and the whole server's (other users' too).
        "pg_connections_peak": None if args.embedded else connections.peak,
        "pg_connections_peak_server": None if args.embedded else connections.peak_all,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
