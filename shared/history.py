"""Reading rollups back as the API's 72-hour bars and uptime histograms.

Every bucket of the window is present, empty ones with zero counts, so a client draws bars
without filling gaps itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from shared.buckets import DAY, FIFTEEN_MINUTES, HOUR, bucket_start, bucket_starts
from shared.models import Rollup
from shared.status import DEGRADED, DOWN, MAINTENANCE, OK, UNKNOWN
from shared.timefmt import iso

#: period → (rollup resolution read, number of those buckets, buckets merged into one answered bucket)
PERIODS = {
    "24h": (HOUR, 24, 1),
    "week": (DAY, 7, 1),
    "month": (DAY, 30, 1),
    "90d": (DAY, 90, 1),
    "year": (DAY, 364, 7),
}
#: Daily rollups are kept this long (``shared.retention``): the longest span answered.
MAX_SPAN_DAYS = 800


def _bucket_status(ok: int, degraded: int, down: int, maintenance: int = 0) -> str:
    if down:
        return DOWN
    if degraded:
        return DEGRADED
    if ok:
        return OK
    return MAINTENANCE if maintenance else UNKNOWN


def _rows(session, monitor_ids, resolution: int, since: datetime) -> dict:
    rows = session.execute(
        select(Rollup).where(
            Rollup.monitor_id.in_(monitor_ids), Rollup.resolution == resolution, Rollup.bucket_start >= since
        )
    ).scalars()
    return {(r.monitor_id, r.bucket_start): r for r in rows}


def history_buckets(session, monitor_ids: list[int], hours: int, now: datetime) -> dict[int, list[dict]]:
    """15-minute buckets of the last ``hours`` as one object per bucket (with its worst status),
    read through :func:`history_columns` so both shapes come from the same numbers."""
    columns = history_columns(session, monitor_ids, hours, now)
    result = {}
    for monitor_id, row in columns["monitors"].items():
        result[monitor_id] = [
            {
                "start": start,
                "ok": ok,
                "degraded": degraded,
                "down": down,
                "maintenance": held,
                "status": _bucket_status(ok, degraded, down, held),
                "avg_latency_ms": latency,
            }
            for start, ok, degraded, down, held, latency in zip(
                columns["starts"],
                row["ok"],
                row["degraded"],
                row["down"],
                row["maintenance"],
                row["avg_latency_ms"],
                strict=True,
            )
        ]
    return result


def history_columns(session, monitor_ids: list[int] | None, hours: int, now: datetime) -> dict:
    """The 15-minute bars of many monitors in a compact, columnar form for the dashboard.

    One row of arrays per monitor (``ok``, ``degraded``, ``down``, ``maintenance`` (checks inside a
    maintenance window, counted apart), ``avg_latency_ms``, each with one entry per bucket of ``starts``) instead of one object per bucket: for 1,000 monitors that is
    a few MB of JSON built from one column query instead of 288,000 objects.
    """
    starts = bucket_starts(now, FIFTEEN_MINUTES, hours * 4)
    if session.get_bind().dialect.name == "postgresql" and monitor_ids is not None:
        columns = _pg_columns(session, monitor_ids, starts)
        return {"bucket_seconds": FIFTEEN_MINUTES, "starts": [iso(s) for s in starts], "monitors": columns}
    index = {start.timestamp(): i for i, start in enumerate(starts)}
    query = select(
        Rollup.monitor_id,
        Rollup.bucket_start,
        Rollup.ok,
        Rollup.degraded,
        Rollup.down,
        Rollup.maintenance,
        Rollup.latency_sum,
        Rollup.latency_count,
    ).where(Rollup.resolution == FIFTEEN_MINUTES, Rollup.bucket_start >= starts[0])
    if monitor_ids is not None:
        query = query.where(Rollup.monitor_id.in_(monitor_ids))
    n = len(starts)
    columns: dict[int, dict] = {}

    def empty() -> dict:
        return {
            "ok": [0] * n,
            "degraded": [0] * n,
            "down": [0] * n,
            "maintenance": [0] * n,
            "avg_latency_ms": [None] * n,
        }

    for mid in monitor_ids or ():
        columns[mid] = empty()
    for mid, start, ok, degraded, down, held, lat_sum, lat_count in session.execute(query):
        i = index.get(start.timestamp())
        if i is None:
            continue
        row = columns.get(mid)
        if row is None:
            row = columns[mid] = empty()
        row["ok"][i], row["degraded"][i], row["down"][i], row["maintenance"][i] = (
            ok,
            degraded,
            down,
            held or 0,
        )
        row["avg_latency_ms"][i] = round(lat_sum / lat_count, 1) if lat_count else None
    return {"bucket_seconds": FIFTEEN_MINUTES, "starts": [iso(s) for s in starts], "monitors": columns}


_PG_COLUMNS = text("""
    SELECT monitor_id, array_agg(pos), array_agg(ok), array_agg(degraded), array_agg(down),
           array_agg(maintenance), array_agg(latency)
    FROM (
        SELECT monitor_id, ok, degraded, down, COALESCE(maintenance, 0) AS maintenance,
               CAST((extract(epoch FROM bucket_start) - :first_epoch) / 900 AS int) AS pos,
               CASE WHEN latency_count > 0 THEN round(CAST(latency_sum / latency_count AS numeric), 1)::float8 END
                   AS latency
        FROM rollups
        WHERE resolution = 900 AND bucket_start >= CAST(:first AS timestamptz) AND monitor_id = ANY(:ids)
        ORDER BY monitor_id, bucket_start
    ) AS ordered
    GROUP BY monitor_id
""")


def _pg_columns(session, monitor_ids: list[int], starts: list[datetime]) -> dict[int, dict]:
    """The same columns aggregated inside PostgreSQL: one row of arrays per monitor crosses the
    wire instead of a row per bucket. A monitor with every bucket filled (the usual case) needs no
    per-bucket work in Python at all."""
    n = len(starts)
    columns = {
        mid: {
            "ok": [0] * n,
            "degraded": [0] * n,
            "down": [0] * n,
            "maintenance": [0] * n,
            "avg_latency_ms": [None] * n,
        }
        for mid in monitor_ids
    }
    params = {"first": starts[0], "first_epoch": starts[0].timestamp(), "ids": list(monitor_ids)}
    rows = session.execute(_PG_COLUMNS, params)
    for mid, positions, ok, degraded, down, held, latency in rows:
        if len(positions) == n and positions[0] == 0 and positions[-1] == n - 1:
            columns[mid] = {
                "ok": ok,
                "degraded": degraded,
                "down": down,
                "maintenance": held,
                "avg_latency_ms": latency,
            }
            continue
        row = columns[mid]
        for k, i in enumerate(positions):
            if 0 <= i < n:
                row["ok"][i], row["degraded"][i], row["down"][i] = ok[k], degraded[k], down[k]
                row["maintenance"][i] = held[k]
                row["avg_latency_ms"][i] = latency[k]
    return columns


def _uptime_buckets(found: dict, monitor_id: int, starts: list[datetime], merge: int) -> dict:
    """Uptime = (ok + degraded) / (ok + degraded + down): results inside maintenance windows
    (``maintenance``) count neither way."""
    buckets, total_checks, total_up, total_maintenance = [], 0, 0, 0
    for i in range(0, len(starts), merge):
        group = starts[i : i + merge]
        checks = up = held = 0
        for start in group:
            r = found.get((monitor_id, start))
            if r:
                checks += r.ok + r.degraded + r.down
                up += r.ok + r.degraded
                held += r.maintenance or 0
        total_checks += checks
        total_up += up
        total_maintenance += held
        buckets.append(
            {
                "start": iso(group[0]),
                "uptime": round(up / checks, 6) if checks else None,
                "checks": checks,
                "maintenance": held,
            }
        )
    return {
        "uptime": round(total_up / total_checks, 6) if total_checks else None,
        "checks": total_checks,
        "maintenance": total_maintenance,
        "buckets": buckets,
    }


def uptime(session, monitor_id: int, period: str, now: datetime) -> dict:
    resolution, count, merge = PERIODS[period]
    starts = bucket_starts(now, resolution, count)
    found = _rows(session, [monitor_id], resolution, starts[0])
    body = _uptime_buckets(found, monitor_id, starts, merge)
    return {
        "period": period,
        "uptime": body["uptime"],
        "checks": body["checks"],
        "maintenance": body["maintenance"],
        "bucket_seconds": resolution * merge,
        "buckets": body["buckets"],
    }


def span_days(start: datetime, end: datetime) -> list[datetime]:
    """The UTC days (bucket starts) that ``[start, end)`` touches: the day of ``start`` through the
    day holding the last instant before ``end``."""
    first = bucket_start(start, DAY).timestamp()
    last = bucket_start(end - timedelta(microseconds=1), DAY).timestamp()
    return [datetime.fromtimestamp(t, UTC) for t in range(int(first), int(last) + 1, DAY)]


def uptime_span(session, monitor_id: int, start: datetime, end: datetime) -> dict:
    """Uptime between two instants from the daily rollups: whole UTC days, from the day holding
    ``start`` to the day holding the end (a partial day counts whole; no finer data is kept that
    long). The caller checks ``start < end`` and the :data:`MAX_SPAN_DAYS` limit."""
    days = span_days(start, end)
    found = {k: v for k, v in _rows(session, [monitor_id], DAY, days[0]).items() if k[1] <= days[-1]}
    body = _uptime_buckets(found, monitor_id, days, 1)
    return {
        "from": iso(start),
        "to": iso(end),
        "first_day": iso(days[0]),
        "last_day": iso(days[-1]),
        "uptime": body["uptime"],
        "checks": body["checks"],
        "maintenance": body["maintenance"],
        "bucket_seconds": DAY,
        "buckets": body["buckets"],
    }
