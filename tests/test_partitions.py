"""Results partitioned by day on PostgreSQL: days made ahead, old days dropped whole, nothing lost.

Each test has a database of its own: dropping and making days of a fixed calendar would otherwise
reach into the partitions of the run's shared database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, text

from shared import partitions, recording, retention
from shared.checks import CheckResult as Outcome
from shared.db import alembic_config, make_engine, migrate, session_factory
from shared.models import CheckResult, Monitor, Rollup

NOW = datetime(2031, 3, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
OK = Outcome("ok", 12.0, "HTTP 200")


@pytest.fixture
def sessions(empty_pg):
    engine = make_engine(empty_pg)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def calendar(sessions):
    """Only the days a test makes around :data:`NOW` (the migration made the real today's)."""
    with sessions() as session:
        partitions.retire(session, NOW - timedelta(days=60))
    return sessions


def _monitor(session) -> Monitor:
    monitor = Monitor(name="m", type="http", target="http://127.0.0.1/")
    session.add(monitor)
    session.commit()
    return monitor


def _where(conn) -> dict[str, int]:
    """Rows per partition table (a session or a connection)."""
    rows = conn.execute(text("SELECT tableoid::regclass::text, count(*) FROM check_results GROUP BY 1"))
    return dict(rows.all())


def _rollups(session) -> list[tuple]:
    rows = session.scalars(select(Rollup).order_by(Rollup.resolution, Rollup.bucket_start))
    return [(r.resolution, r.bucket_start, r.ok) for r in rows]


def _server_result(session, monitor, slot: datetime, ran: datetime) -> bool:
    uid = f"srv:{monitor.id}:{slot.timestamp()}"
    inserted, _ = recording.record(session, monitor, uid, ran, OK, slot_at=slot)
    session.commit()
    return inserted


def test_partition_key_is_the_slot_else_the_second_checked():
    at = datetime(2031, 3, 10, 23, 59, 59, 900_000, tzinfo=UTC)
    assert partitions.partition_key(at, at - timedelta(seconds=3)) == at - timedelta(seconds=3)
    assert partitions.partition_key(at, None) == at.replace(microsecond=0)
    assert partitions.day_of(partitions.name_for(at.date())) == at.date()
    assert partitions.is_partition("check_results_default") and not partitions.is_partition("check_results")


def test_purge_makes_today_and_the_next_days_and_the_migration_made_the_current_ones(sessions):
    with sessions() as session:
        today = datetime.now(UTC).date()
        assert {today + n * DAY for n in range(partitions.AHEAD_DAYS + 1)} <= set(partitions.days(session))
        retention.purge(session, NOW, timedelta(days=7))
        made = [NOW.date() + n * DAY for n in range(partitions.AHEAD_DAYS + 1)]
        assert partitions.days(session) == made  # the real today's are past retention at NOW
        assert partitions.make_ahead(session, NOW) == []  # a second run makes nothing


def test_an_old_day_is_dropped_whole_and_nothing_else_is_touched(calendar):
    with calendar() as session:
        monitor = _monitor(session)
        for n in range(10, -1, -1):
            partitions.make_day(session, (NOW - n * DAY).date())
        for n in range(10, -1, -1):
            for minute in (5, 600):
                slot = datetime.combine((NOW - n * DAY).date(), datetime.min.time(), UTC)
                slot += timedelta(minutes=minute)
                assert _server_result(session, monitor, slot, slot + timedelta(seconds=1))
        rollups = _rollups(session)
        before = _where(session)

        cutoff = NOW - timedelta(days=7)  # 7 days back at noon: days up to 8 days back end before it
        dropped = partitions.retire(session, cutoff)

        assert dropped == [(NOW - n * DAY).date() for n in (10, 9, 8)]
        after = _where(session)
        kept = {partitions.name_for((NOW - n * DAY).date()) for n in range(8)}
        assert after == {name: count for name, count in before.items() if name in kept}
        assert all(after[name] == 2 for name in kept)
        assert _rollups(session) == rollups
        # Reading across the dropped days is no error: they are simply gone.
        oldest = session.scalar(select(func.min(CheckResult.checked_at)))
        assert oldest.date() == (NOW - 7 * DAY).date()


def test_a_result_for_a_day_without_partition_lands_in_the_default_and_moves_when_the_day_is_made(calendar):
    with calendar() as session:
        monitor = _monitor(session)
        late = NOW - timedelta(days=30)  # an agent's buffer replayed long after, or a clock far off
        assert _server_result(session, monitor, late, late)
        assert _where(session) == {partitions.DEFAULT: 1}

        assert partitions.make_day(session, late.date()) is True
        assert _where(session) == {partitions.name_for(late.date()): 1}
        assert not _server_result(session, monitor, late, late + timedelta(seconds=5))  # still once

        removed = retention.purge(session, NOW, timedelta(days=7))
        assert removed["result_days"] == 1 and _where(session) == {}


def test_the_default_partitions_old_rows_go_in_batches(calendar):
    with calendar() as session:
        monitor = _monitor(session)
        for n in range(7):
            slot = NOW - timedelta(days=40 + n)
            _server_result(session, monitor, slot, slot)
        _server_result(session, monitor, NOW - timedelta(days=40) + timedelta(days=35), NOW)  # 5 days ago
        removed = partitions.purge_default(session, NOW - timedelta(days=7), 3)
        assert removed == 7
        assert _where(session) == {partitions.DEFAULT: 1}


def test_a_redelivered_check_or_repeated_ping_is_stored_once(sessions):
    """A redelivered task re-runs the check: another checked_at, the same slot (here across midnight)."""
    with sessions() as session:
        monitor = _monitor(session)
        partitions.make_ahead(session, NOW)
        slot = datetime.combine(NOW.date() + DAY, datetime.min.time(), UTC) - timedelta(seconds=1)
        assert _server_result(session, monitor, slot, slot + timedelta(milliseconds=300))
        assert not _server_result(session, monitor, slot, slot + timedelta(seconds=2))
        # A heartbeat ping has no slot; its uid holds the second, and so does its partition key.
        ping = NOW + timedelta(microseconds=100)
        uid = f"push:{monitor.id}:{int(ping.timestamp())}"
        assert recording.record(session, monitor, uid, ping, OK)[0]
        assert not recording.record(session, monitor, uid, ping + timedelta(microseconds=800_000), OK)[0]
        session.commit()
        assert session.scalar(select(func.count()).select_from(CheckResult)) == 2
        day_rollup = session.scalar(select(Rollup.ok).where(Rollup.resolution == 86400))
        assert day_rollup == 2  # counted once each as well


def _rows(conn) -> list[tuple]:
    return conn.execute(
        text(
            "SELECT id, monitor_id, agent_id, uid, checked_at, slot_at, status, latency_ms, details, "
            "days_left FROM check_results ORDER BY id"
        )
    ).all()


def test_the_migration_keeps_every_row(empty_pg):
    """A database at 0007 (the unpartitioned table) with results over several days, server ones
    with a slot, agent ones with and without, heartbeat ones without; upgraded, nothing is lost."""
    engine = make_engine(empty_pg)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0007")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO monitors (name, type, target, interval_seconds, timeout_seconds, enabled, "
                "created_at, updated_at) VALUES ('m', 'http', 'x', 60, 10, true, now(), now())"
            )
        )
        monitor_id = conn.scalar(text("SELECT max(id) FROM monitors"))
        rows = []
        for n in range(600):
            at = now - timedelta(minutes=29 * n, microseconds=n * 1013)
            kind = n % 4
            slot = {0: at - timedelta(seconds=1), 1: None, 2: at - timedelta(minutes=2), 3: None}[kind]
            rows.append(
                {
                    "m": monitor_id,
                    "a": None if kind in (0, 3) else 7,
                    "u": f"{('srv', 'agt', 'agt', 'push')[kind]}:{n}",
                    "c": at,
                    "s": slot,
                    "st": ("ok", "down", "degraded")[n % 3],
                    "l": None if n % 5 == 0 else n / 3,
                    "d": f"row {n}",
                    "dl": n if n % 7 == 0 else None,
                }
            )
        conn.execute(
            text(
                "INSERT INTO check_results (monitor_id, agent_id, uid, checked_at, slot_at, status, "
                "latency_ms, details, days_left) VALUES (:m, :a, :u, :c, :s, :st, :l, :d, :dl)"
            ),
            rows,
        )
        conn.execute(text("DELETE FROM check_results WHERE id % 50 = 3"))  # gaps in the ids
        before = _rows(conn)

    migrate(engine)

    with engine.connect() as conn:
        assert _rows(conn) == before
        days = {partitions.day_of(name) for name in _where(conn)}
        assert len(days) >= 12 and None not in days  # every day has its table: none in default
        filed = "coalesce(slot_at, date_trunc('second', checked_at))"
        assert conn.scalar(text(f"SELECT count(*) FROM check_results WHERE partition_at <> {filed}")) == 0
    with session_factory(engine)() as session:
        monitor = session.get(Monitor, monitor_id)
        first = before[0]
        again, _ = recording.record(session, monitor, first.uid, first.checked_at, OK, slot_at=first.slot_at)
        assert not again
        assert recording.record(session, monitor, "srv:new", now, OK, slot_at=now)[0]
        session.commit()
        newest = session.scalar(select(func.max(CheckResult.id)))
        assert newest > before[-1].id  # the sequence went on from the old table's
    engine.dispose()


def test_the_migration_keeps_every_row_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0007")
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO monitors (name, type, target, interval_seconds, timeout_seconds, enabled, "
                "created_at, updated_at) VALUES ('m', 'http', 'x', 60, 10, 1, :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO check_results (monitor_id, agent_id, uid, checked_at, slot_at, status, details) "
                "VALUES (1, :a, :u, :c, :s, 'ok', '')"
            ),
            [
                {
                    "a": n % 2 or None,
                    "u": f"u{n}",
                    "c": now - timedelta(hours=n, microseconds=n),
                    "s": now - timedelta(hours=n, seconds=1) if n % 3 == 0 else None,
                }
                for n in range(50)
            ],
        )
        before = _rows(conn)
    migrate(engine)
    with engine.connect() as conn:
        assert _rows(conn) == before
    with session_factory(engine)() as session:
        for row in session.scalars(select(CheckResult)):
            assert row.partition_at == partitions.partition_key(row.checked_at, row.slot_at)
        monitor = session.get(Monitor, 1)
        checked_at = datetime.fromisoformat(before[4].checked_at).replace(tzinfo=UTC)
        assert not recording.record(session, monitor, "u4", checked_at, OK)[0]
    engine.dispose()


def test_a_day_held_by_a_reader_is_left_to_the_next_run(calendar, monkeypatch):
    """The drop waits at most LOCK_TIMEOUT behind a long read, never holding up inserts for long."""
    monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "200ms")
    old = (NOW - 20 * DAY).date()
    with calendar() as session, calendar() as reader:
        partitions.make_day(session, old)
        reader.execute(text(f"SELECT count(*) FROM {partitions.name_for(old)}"))  # its transaction stays open
        assert partitions.retire(session, NOW) == []
        reader.rollback()
        assert partitions.retire(session, NOW) == [old]
