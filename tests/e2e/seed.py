"""Data written straight into the database, for screens that need more history than a test can wait for.

Rollups are what the dashboard reads (never raw results), so 72 hours of bars for 1,000 monitors is
one bulk insert; results for a detail page go through ``shared.recording.record`` like a worker's.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg2
from psycopg2.extras import execute_values

from shared.buckets import DAY, FIFTEEN_MINUTES, HOUR, bucket_start, bucket_starts
from shared.checks import CheckResult as Outcome
from shared.db import make_engine, session_factory
from shared.models import Monitor
from shared.recording import record


@dataclass
class Profile:
    """How a monitor behaved: chances per 15-minute bucket, and outages as (first, last) bucket indexes."""

    down: float = 0.0
    degraded: float = 0.02
    no_data: float = 0.005
    latency: tuple[float, float] = (20.0, 70.0)
    details: str = "HTTP 200"
    outages: list[tuple[int, int, str]] = field(default_factory=list)


def _dsn(db_url: str) -> str:
    return db_url.replace("postgresql+psycopg2://", "postgresql://")


def add_monitors(db_url: str, rows: list[dict]) -> list[int]:
    """Monitors with the given name/type/target (and optional enabled, interval_seconds, timeout_seconds,
    agent_id, and changed_at: when it was created and last edited, now unless given)."""
    now = datetime.now(UTC)
    values = [
        (
            r["name"],
            r["type"],
            r["target"],
            r.get("interval_seconds", 60),
            r.get("timeout_seconds", 10),
            r.get("enabled", True),
            r.get("agent_id"),
            r.get("changed_at", now),
            r.get("changed_at", now),
        )
        for r in rows
    ]
    conn = psycopg2.connect(_dsn(db_url))
    try:
        with conn, conn.cursor() as cur:
            inserted = execute_values(
                cur,
                "INSERT INTO monitors (name, type, target, interval_seconds, timeout_seconds, enabled,"
                " agent_id, created_at, updated_at) VALUES %s RETURNING id",
                values,
                page_size=1000,
                fetch=True,
            )
    finally:
        conn.close()
    return [r[0] for r in inserted]


def add_history(
    db_url: str, profiles: dict[int, Profile], hours: int = 72, seed: int = 7, checks_per_bucket: int = 15
) -> None:
    """15-minute, hourly and daily rollups for the last ``hours``, and each monitor's current state."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    starts = bucket_starts(now, FIFTEEN_MINUTES, hours * 4)
    rollups: dict[tuple[int, int, datetime], list[float]] = defaultdict(lambda: [0, 0, 0, 0.0, 0])
    states = []
    for monitor_id, p in profiles.items():
        last = ("ok", None)
        for i, start in enumerate(starts):
            forced = next((status for first, end, status in p.outages if first <= i <= end), None)
            roll = rng.random()
            if forced is None and roll < p.no_data:
                continue
            down = (
                checks_per_bucket if forced == "down" else int(forced is None and roll < p.down + p.no_data)
            )
            degraded = 0
            if forced == "degraded" or (forced is None and roll > 1 - p.degraded):
                degraded = rng.randint(1, checks_per_bucket)
            ok = checks_per_bucket - down - degraded
            low, high = p.latency
            latency = rng.uniform(low, high) if not degraded else rng.uniform(90, 180)
            measured = checks_per_bucket - (down if forced == "down" else 0)
            for resolution in (FIFTEEN_MINUTES, HOUR, DAY):
                acc = rollups[(monitor_id, resolution, bucket_start(start, resolution))]
                acc[0] += ok
                acc[1] += degraded
                acc[2] += down
                acc[3] += latency * measured
                acc[4] += measured
            status = "down" if down else "degraded" if degraded else "ok"
            last = (status, latency if measured else None)
        states.append(
            (
                monitor_id,
                0,
                last[0],
                now - timedelta(hours=1),
                now - timedelta(seconds=30),
                last[1],
                p.details,
                False,
            )
        )
    conn = psycopg2.connect(_dsn(db_url))
    try:
        with conn, conn.cursor() as cur:
            execute_values(
                cur,
                "INSERT INTO rollups (monitor_id, resolution, bucket_start, ok, degraded, down, latency_sum,"
                " latency_count) VALUES %s",
                [(m, r, s, *acc) for (m, r, s), acc in rollups.items()],
                page_size=5000,
            )
            execute_values(
                cur,
                "INSERT INTO monitor_states (monitor_id, location, status, since, last_checked_at,"
                " last_latency_ms, last_details, ssl_warned) VALUES %s ON CONFLICT DO NOTHING",
                states,
                page_size=1000,
            )
    finally:
        conn.close()


def add_agent(db_url: str, name: str, last_seen_at: datetime) -> int:
    """An approved agent last heard at ``last_seen_at`` (it never polls: nothing runs it)."""
    conn = psycopg2.connect(_dsn(db_url))
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO agents (uuid, name, approved, address, created_at, last_seen_at)"
                " VALUES (%s, %s, true, '127.0.0.1', %s, %s) RETURNING id",
                (str(uuid.uuid4()), name, last_seen_at, last_seen_at),
            )
            return cur.fetchone()[0]
    finally:
        conn.close()


def set_state(
    db_url: str, monitor_id: int, status: str, last_checked_at: datetime, location: int = 0, details: str = ""
) -> None:
    """A monitor's current state at one location (0: the server, else the agent's id), as of ``last_checked_at``."""
    conn = psycopg2.connect(_dsn(db_url))
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO monitor_states (monitor_id, location, status, since, last_checked_at,"
                " last_latency_ms, last_details, ssl_warned) VALUES (%s, %s, %s, %s, %s, 3.2, %s, false)",
                (monitor_id, location, status, last_checked_at, last_checked_at, details),
            )
    finally:
        conn.close()


def many_monitors(db_url: str, count: int, seed: int = 7) -> list[int]:
    """``count`` disabled HTTP monitors (nothing checks them) with 72 hours of bars, a tenth of them flaky."""
    ids = add_monitors(
        db_url,
        [
            {
                "name": f"service-{i:04d}",
                "type": "http",
                "target": f"http://10.0.{i // 250}.{i % 250}/health",
                "enabled": False,
            }
            for i in range(count)
        ],
    )
    rng = random.Random(seed)
    add_history(
        db_url, {m: Profile(down=0.06 if rng.random() < 0.1 else 0.0, degraded=0.03) for m in ids}, seed=seed
    )
    return ids


def add_results(db_url: str, monitor_id: int, count: int, every: timedelta = timedelta(minutes=1)) -> None:
    """``count`` check results ending now, recorded as a worker records them (rollups and state too)."""
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    rng = random.Random(monitor_id)
    try:
        with sessions() as session:
            monitor = session.get(Monitor, monitor_id)
            for i in range(count, 0, -1):
                at = now - every * i
                slow = rng.random() < 0.1
                outcome = Outcome(
                    "degraded" if slow else "ok",
                    rng.uniform(110, 160) if slow else rng.uniform(8, 40),
                    "HTTP 200",
                )
                record(session, monitor, f"e2e:{monitor_id}:{i}", at, outcome)
            session.commit()
    finally:
        engine.dispose()
