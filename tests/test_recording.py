"""Recording results on PostgreSQL and SQLite: idempotence, rollups, compare-and-set state."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from shared import history, recording
from shared.checks import CheckResult as Outcome
from shared.db import make_engine, session_factory
from shared.models import CheckResult, Monitor, MonitorState, Rollup

T0 = datetime(2026, 1, 26, 10, 0, 5, tzinfo=UTC)


def _setup(url):
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session:
        monitor = Monitor(name="m", type="http", target="http://127.0.0.1/")
        session.add(monitor)
        session.commit()
        return engine, sessions, monitor.id


def _record(sessions, monitor_id, uid, at, status="ok", latency=40.0):
    with sessions() as session:
        monitor = session.get(Monitor, monitor_id)
        result = recording.record(session, monitor, uid, at, Outcome(status, latency, f"HTTP {status}"))
        session.commit()
        return result


def test_same_uid_is_stored_and_counted_once(any_db_url):
    engine, sessions, mid = _setup(any_db_url)
    assert _record(sessions, mid, "srv:1:100", T0)[0] is True
    assert _record(sessions, mid, "srv:1:100", T0)[0] is False
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CheckResult)) == 1
        rollups = session.scalars(select(Rollup)).all()
        assert sorted(r.resolution for r in rollups) == [900, 3600, 86400]
        assert all(r.ok == 1 and r.latency_count == 1 and r.latency_sum == 40.0 for r in rollups)
    engine.dispose()


def test_rollups_fold_counts_and_latency(any_db_url):
    engine, sessions, mid = _setup(any_db_url)
    _record(sessions, mid, "a", T0, "ok", 10.0)
    _record(sessions, mid, "b", T0 + timedelta(minutes=1), "degraded", 150.0)
    _record(sessions, mid, "c", T0 + timedelta(minutes=2), "down", None)
    _record(sessions, mid, "d", T0 + timedelta(minutes=20), "ok", 30.0)
    with sessions() as session:
        buckets = history.history_buckets(session, [mid], 1, T0 + timedelta(minutes=25))[mid]
        assert len(buckets) == 4
        first = next(b for b in buckets if b["start"] == "2026-01-26T10:00:00Z")
        assert (first["ok"], first["degraded"], first["down"], first["status"]) == (1, 1, 1, "down")
        assert first["avg_latency_ms"] == 80.0
        second = next(b for b in buckets if b["start"] == "2026-01-26T10:15:00Z")
        assert second["status"] == "ok" and second["avg_latency_ms"] == 30.0
        assert buckets[0]["status"] == "unknown" and buckets[0]["ok"] == 0
        up = history.uptime(session, mid, "24h", T0 + timedelta(minutes=25))
        assert up["uptime"] == 0.75 and len(up["buckets"]) == 24 and up["buckets"][-1]["checks"] == 4
        assert history.uptime(session, mid, "year", T0)["bucket_seconds"] == 7 * 86400
    engine.dispose()


def test_state_changes_are_reported_once_and_only_on_change(any_db_url):
    engine, sessions, mid = _setup(any_db_url)
    assert _record(sessions, mid, "1", T0, "ok")[1].old == "unknown"
    assert _record(sessions, mid, "2", T0 + timedelta(seconds=60), "ok")[1] is None
    change = _record(sessions, mid, "3", T0 + timedelta(seconds=120), "down")[1]
    assert (change.old, change.new) == ("ok", "down")
    # An older result recorded late changes the history, not the current state.
    assert _record(sessions, mid, "4", T0 + timedelta(seconds=90), "ok")[1] is None
    with sessions() as session:
        state = session.get(MonitorState, (mid, 0))
        assert state.status == "down" and state.last_checked_at == T0 + timedelta(seconds=120)
    engine.dispose()


def test_concurrent_recorders_announce_one_change(pg_url):
    """Many workers record 'down' results of one monitor at the same moment: one transition."""
    engine, sessions, mid = _setup(pg_url)
    _record(sessions, mid, "first", T0, "ok")
    transitions = []
    barrier = threading.Barrier(8)

    def worker(i):
        barrier.wait()
        _, change = _record(sessions, mid, f"w{i}", T0 + timedelta(seconds=60), "down")
        if change:
            transitions.append(change)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(transitions) == 1 and transitions[0].new == "down"
    engine.dispose()
