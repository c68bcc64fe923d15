"""The real pipeline: beat and worker processes, Redis, PostgreSQL, an HTTP target on loopback."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from shared import schedule
from shared.db import make_engine, session_factory
from shared.models import CheckResult, Monitor, MonitorState
from tests import services
from tests.peers.http_server import HttpPeer
from tests.processes import command, start, stop, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def pipeline_env(tmp_path, db_url, redis_url):
    services.flush_prefix(redis_url)
    return {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(tmp_path / "data"),
        "WORKER_CONCURRENCY": "4",
    }


def test_beat_and_worker_check_each_monitor_on_its_own_slot(tmp_path, db_url, pipeline_env):
    sessions = session_factory(make_engine(db_url))
    with HttpPeer() as peer, sessions() as session:
        monitors = [
            Monitor(name=f"m{i}", type="http", target=peer.url, interval_seconds=10, timeout_seconds=5)
            for i in range(5)
        ]
        paused = Monitor(
            name="paused", type="http", target=peer.url, interval_seconds=10, timeout_seconds=5, enabled=False
        )
        session.add_all([*monitors, paused])
        session.commit()
        ids = [m.id for m in monitors]

        worker = start(command("worker"), pipeline_env, tmp_path / "worker.log")
        beat = start(command("beat"), pipeline_env, tmp_path / "beat.log")
        wait_for(
            lambda: "took the lease" in (tmp_path / "beat.log").read_text(), 30, "the first beat's lease"
        )
        # A second beat by mistake: it must wait for the lease, not dispatch every check twice.
        second_beat = start(command("beat"), pipeline_env, tmp_path / "beat2.log")
        started = time.time()
        try:
            time.sleep(32)
        finally:
            stop(second_beat)
            beat_stop = stop(beat)
            worker_stop = stop(worker)
        ended = time.time()

        results = session.scalars(select(CheckResult).order_by(CheckResult.checked_at)).all()
        assert results, (tmp_path / "worker.log").read_text()[-3000:]
        assert {r.monitor_id for r in results} == set(ids)  # the paused monitor is never checked
        for mid in ids:
            mine = [r for r in results if r.monitor_id == mid]
            slots = [r.slot_at.timestamp() for r in mine]
            assert len(slots) == len(set(slots)), "a slot was recorded twice"
            offset = schedule.offset_for(mid, 10)
            for r in mine:
                slot = r.slot_at.timestamp()
                assert round((slot - offset) / 10, 3).is_integer(), "result is not on the monitor's own slot"
                lag = (r.checked_at - r.slot_at) / timedelta(milliseconds=1)
                assert -50 <= lag < 2000, f"check started {lag:.0f} ms after its slot"
                assert r.status == "ok" and r.details == "HTTP 200"
            # Every slot from the first check until the processes stopped was checked.
            expected = schedule.slots_between(mid, 10, slots[0], ended - 3)
            assert set(expected) <= set(round(s, 3) for s in slots)
            assert len(mine) >= 2
        states = session.scalars(select(MonitorState)).all()
        assert {s.monitor_id for s in states} == set(ids) and all(s.status == "ok" for s in states)
    assert ended - started < 60
    assert beat_stop < 5 and worker_stop < 8
    assert (
        "OnlineTracker worker: up to 4 concurrent tasks from queues checks,alerts via redis://"
        in (tmp_path / "worker.log").read_text()
    )
    assert "OnlineTracker beat: dispatching checks every 5 s" in (tmp_path / "beat.log").read_text()
    assert "beat: waiting for the lease held by" in (tmp_path / "beat2.log").read_text()


def test_a_worker_killed_mid_check_loses_no_slot_and_records_none_twice(tmp_path, db_url, pipeline_env):
    """SIGKILL a worker while it checks, with the default visibility timeout (Redis would hand the
    message on only after 60 s, and kombu rescans later still): beat re-sends every check whose
    result is overdue (timeout + 15 s after its slot), so the next worker records it once, at the
    time it actually ran, well before the check expires."""
    import os
    import signal

    env = dict(pipeline_env)
    sessions = session_factory(make_engine(db_url))
    with HttpPeer() as peer, sessions() as session:
        peer.set(delay=3)
        monitor = Monitor(name="slow", type="http", target=peer.url, interval_seconds=10, timeout_seconds=8)
        session.add(monitor)
        session.commit()
        mid = monitor.id
        worker_a = start(command("worker"), env, tmp_path / "worker_a.log")
        beat = start(command("beat"), env, tmp_path / "beat.log")
        time.sleep(8)  # past the first dispatch window that could hold the new monitor's slots
        victim_slot = schedule.next_slot(mid, 10, time.time() + 3)
        time.sleep(victim_slot + 1.5 - time.time())  # the check of victim_slot is waiting on the target
        os.kill(worker_a.pid, signal.SIGKILL)
        worker_a.wait()
        worker_b = start(command("worker"), env, tmp_path / "worker_b.log")
        try:
            deadline = time.time() + 45
            recorded = []
            while time.time() < deadline:
                session.expire_all()
                recorded = [
                    r.slot_at.timestamp()
                    for r in session.scalars(select(CheckResult).where(CheckResult.monitor_id == mid))
                ]
                if any(abs(s - victim_slot) < 0.01 for s in recorded) and max(recorded) > victim_slot + 15:
                    break
                time.sleep(1)
        finally:
            stop(beat)
            stop(worker_b)
        assert any(abs(s - victim_slot) < 0.01 for s in recorded), "the killed worker's slot was lost"
        assert len(recorded) == len(set(recorded)), "a slot was recorded twice"
        victim = session.scalars(
            select(CheckResult).where(CheckResult.uid == f"srv:{mid}:{victim_slot:.3f}")
        ).one()
        late = victim.checked_at.timestamp() - victim_slot
        assert 8 + 15 <= late < 8 + 15 + 15, f"re-run {late:.1f} s after its slot"  # when it really ran
        assert "re-sent" in (tmp_path / "beat.log").read_text()
        later = schedule.slots_between(mid, 10, victim_slot, max(recorded) + 0.001)
        assert set(round(s, 3) for s in later) <= set(round(s, 3) for s in recorded)


def test_a_second_beat_waits_and_takes_over_when_the_first_stops(tmp_path, pipeline_env):
    from tests.processes import wait_for

    first = start(command("beat"), pipeline_env, tmp_path / "beat1.log")
    wait_for(lambda: "OnlineTracker beat: dispatching" in (tmp_path / "beat1.log").read_text(), 20, "beat 1")
    time.sleep(1)
    second = start(command("beat"), pipeline_env, tmp_path / "beat2.log")
    try:
        wait_for(
            lambda: "beat: waiting for the lease held by" in (tmp_path / "beat2.log").read_text(),
            20,
            "beat 2 to wait",
        )
        stop(first)
        wait_for(
            lambda: "beat: took the lease" in (tmp_path / "beat2.log").read_text(),
            15,
            "beat 2 to take over",
        )
    finally:
        stop(second)
        if first.poll() is None:
            stop(first)
    assert (tmp_path / "beat2.log").read_text().count("beat: waiting for the lease held by") == 1
