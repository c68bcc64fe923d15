"""Day partitions of ``check_results`` on PostgreSQL: made ahead, retired whole.

At 10,000 monitors a day is 14.4 M results, and deleting a day row by row costs about as much as
writing it did. On PostgreSQL the table is range-partitioned by ``partition_at`` into one table per
UTC day (``check_results_20261126``) and ``check_results_default``, which takes any result of a day
without its own table (a result recorded late, an agent's clock far off, a day before the hourly
purge made its table), so an insert never fails for want of a partition. A day is retired by
dropping its table once all of it is older than the retention window; the few rows that reached
the default partition are deleted in batches. SQLite has no partitions and keeps the batched
deletes (``shared.retention``).

``partition_at`` is the result's slot, or its ``checked_at`` to the second when it has none: the
same for every delivery of one ``uid``. A redelivered task re-runs its check (another
``checked_at``, the same slot); a re-sent agent batch and a heartbeat ping repeated within its
second keep theirs. So the unique key ``(uid, partition_at)``, which PostgreSQL requires to hold
the partition key, still stores each result once.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

TABLE = "check_results"
DEFAULT = f"{TABLE}_default"
#: Days made ahead of today, so a missed hourly run or two never leaves a day without its table.
AHEAD_DAYS = 3
#: Partition DDL waits at most this long for a lock, then gives up until the next run: queued
#: behind a long report, it would otherwise hold up every insert queued behind it.
LOCK_TIMEOUT = "5s"
# Any fixed number: two purges at once (a slow run overlapping the next) make each day once.
_LOCK_ID = 0x0_C4EC_DA75
_DAY_NAME = re.compile(rf"^{TABLE}_(\d{{8}})$")


def partition_key(checked_at: datetime | None, slot_at: datetime | None) -> datetime | None:
    """The time a result is filed under: its slot, else ``checked_at`` to the second."""
    if slot_at is not None:
        return slot_at
    return checked_at.replace(microsecond=0) if checked_at is not None else None


def name_for(day: date) -> str:
    return f"{TABLE}_{day:%Y%m%d}"


def day_of(name: str) -> date | None:
    found = _DAY_NAME.match(name)
    return datetime.strptime(found.group(1), "%Y%m%d").date() if found else None


def is_partition(name: str) -> bool:
    """Whether a table is one of the results' partitions (not in the models: made at run time)."""
    return name == DEFAULT or day_of(name) is not None


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def is_partitioned(session: Session) -> bool:
    """Whether this database's results table is partitioned (PostgreSQL, migrated to 0008)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    return (
        session.scalar(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": TABLE}) == "p"
    )


def days(session: Session) -> list[date]:
    """The days that have a partition, oldest first."""
    names = session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:t)"
        ),
        {"t": TABLE},
    )
    return sorted(d for d in map(day_of, names) if d is not None)


def _bounds(day: date) -> str:
    return f"FROM ('{day_start(day).isoformat()}') TO ('{day_start(day + timedelta(days=1)).isoformat()}')"


def make_day(session: Session, day: date) -> bool:
    """Give ``day`` its partition, moving its rows out of the default partition; commits.

    The table is made apart and then attached, which locks the parent only against other DDL
    (``CREATE TABLE … PARTITION OF`` would stop every insert while it ran); the default partition
    is locked first so that no row of the day lands there between the move and the attach.
    Returns False when the day had one already.
    """
    name = name_for(day)
    session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    if session.scalar(text("SELECT to_regclass(:n)"), {"n": name}) is not None:
        session.rollback()
        return False
    session.execute(text(f"CREATE TABLE {name} (LIKE {TABLE})"))
    session.execute(text(f"LOCK TABLE {DEFAULT} IN ACCESS EXCLUSIVE MODE"))
    moved = session.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE partition_at >= :lo AND partition_at < :hi "
            f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        ),
        {"lo": day_start(day), "hi": day_start(day + timedelta(days=1))},
    ).rowcount
    session.execute(text(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES {_bounds(day)}"))
    session.commit()
    log.info("results: made partition %s%s", name, f" ({moved} rows moved from {DEFAULT})" if moved else "")
    return True


def make_ahead(session: Session, now: datetime, ahead: int = AHEAD_DAYS) -> list[date]:
    """Make the partitions of today and the ``ahead`` days after it; returns the days made.

    A day whose lock could not be had in time is left to the next run (its results meanwhile go to
    the default partition and move when the day is made).
    """
    today = now.astimezone(UTC).date()
    existing = set(days(session))
    session.commit()
    made = []
    for day in (today + timedelta(days=n) for n in range(ahead + 1)):
        if day in existing:
            continue
        try:
            if make_day(session, day):
                made.append(day)
        except OperationalError as exc:
            session.rollback()
            log.warning("results: partition %s not made this time: %s", name_for(day), exc.orig)
    return made


def retire(session: Session, cutoff: datetime) -> list[date]:
    """Drop every day partition that ends at or before ``cutoff``; returns the days dropped.

    Readers never see an error for it: queries go through the parent table, and the drop waits for
    the queries already reading the day (at most :data:`LOCK_TIMEOUT`, else the next run drops it).
    """
    dropped = []
    for day in days(session):
        if day_start(day + timedelta(days=1)) > cutoff:
            break
        try:
            session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            session.execute(text(f"DROP TABLE {name_for(day)}"))
            session.commit()
            dropped.append(day)
        except OperationalError as exc:
            session.rollback()
            log.warning("results: partition %s not dropped this time: %s", name_for(day), exc.orig)
    session.commit()
    return dropped


def purge_default(session: Session, cutoff: datetime, batch: int) -> int:
    """Delete the default partition's rows filed before ``cutoff``, ``batch`` rows a commit."""
    removed = 0
    while True:
        count = session.execute(
            text(
                f"DELETE FROM {DEFAULT} WHERE ctid = ANY(ARRAY("
                f"SELECT ctid FROM {DEFAULT} WHERE partition_at < :cutoff LIMIT :batch))"
            ),
            {"cutoff": cutoff, "batch": batch},
        ).rowcount
        session.commit()
        removed += count
        if count == 0:
            return removed
