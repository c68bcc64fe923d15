"""What the benchmarks share: a database of their own, process sampling, percentiles."""

from __future__ import annotations

import os
import statistics
import uuid
from contextlib import contextmanager

from shared.db import make_engine, migrate
from tests import services


@contextmanager
def scratch_database(prefix: str):
    """A migrated PostgreSQL database made for this run and dropped after it; yields (url, redis_url)."""
    throwaway = services.Throwaway()
    pg_admin, redis_url = services.locate(throwaway)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = services.create_database(pg_admin, name).replace("postgresql://", "postgresql+psycopg2://")
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    try:
        yield url, redis_url
    finally:
        services.drop_database(pg_admin, name)
        throwaway.stop()


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(pct * 10) - 1]


def _children(pid: int) -> list[int]:
    found = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            kids = [int(p) for p in handle.read().split()]
    except OSError:
        return found
    for kid in kids:
        found += [kid, *_children(kid)]
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (alive ones)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def rss_mb(pid: int) -> float:
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024
