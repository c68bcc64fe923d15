"""Reading rollups back as the API's 72-hour bars and uptime histograms.

Every bucket of the window is present, empty ones with zero counts, so a client draws bars
without filling gaps itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from shared.buckets import DAY, FIFTEEN_MINUTES, HOUR, bucket_starts
from shared.models import Rollup
from shared.status import DEGRADED, DOWN, OK, UNKNOWN
from shared.timefmt import iso

#: period → (rollup resolution read, number of those buckets, buckets merged into one answered bucket)
PERIODS = {"24h": (HOUR, 24, 1), "week": (DAY, 7, 1), "month": (DAY, 30, 1), "year": (DAY, 364, 7)}


def _bucket_status(ok: int, degraded: int, down: int) -> str:
    if down:
        return DOWN
    if degraded:
        return DEGRADED
    return OK if ok else UNKNOWN


def _rows(session, monitor_ids, resolution: int, since: datetime) -> dict:
    rows = session.execute(
        select(Rollup).where(
            Rollup.monitor_id.in_(monitor_ids), Rollup.resolution == resolution, Rollup.bucket_start >= since
        )
    ).scalars()
    return {(r.monitor_id, r.bucket_start): r for r in rows}


def history_buckets(session, monitor_ids: list[int], hours: int, now: datetime) -> dict[int, list[dict]]:
    """15-minute buckets of the last ``hours`` for several monitors at once (one query)."""
    starts = bucket_starts(now, FIFTEEN_MINUTES, hours * 4)
    found = _rows(session, monitor_ids, FIFTEEN_MINUTES, starts[0])
    result = {}
    for monitor_id in monitor_ids:
        buckets = []
        for start in starts:
            r = found.get((monitor_id, start))
            ok, degraded, down = (r.ok, r.degraded, r.down) if r else (0, 0, 0)
            buckets.append(
                {
                    "start": iso(start),
                    "ok": ok,
                    "degraded": degraded,
                    "down": down,
                    "status": _bucket_status(ok, degraded, down),
                    "avg_latency_ms": round(r.latency_sum / r.latency_count, 1)
                    if r and r.latency_count
                    else None,
                }
            )
        result[monitor_id] = buckets
    return result


def uptime(session, monitor_id: int, period: str, now: datetime) -> dict:
    resolution, count, merge = PERIODS[period]
    starts = bucket_starts(now, resolution, count)
    found = _rows(session, [monitor_id], resolution, starts[0])
    buckets, total_checks, total_up = [], 0, 0
    for i in range(0, count, merge):
        group = starts[i : i + merge]
        checks = up = 0
        for start in group:
            r = found.get((monitor_id, start))
            if r:
                checks += r.ok + r.degraded + r.down
                up += r.ok + r.degraded
        total_checks += checks
        total_up += up
        buckets.append(
            {"start": iso(group[0]), "uptime": round(up / checks, 6) if checks else None, "checks": checks}
        )
    return {
        "period": period,
        "uptime": round(total_up / total_checks, 6) if total_checks else None,
        "bucket_seconds": resolution * merge,
        "buckets": buckets,
    }


def window_start(now: datetime, hours: int) -> datetime:
    return now - timedelta(hours=hours)
