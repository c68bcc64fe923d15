"""What was lost is sent again in time: beat re-dispatches checks whose result is overdue, and a
worker rides out a database blip instead of dropping the result with a traceback."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

from shared import schedule
from shared.models import CheckResult, Monitor, SchedulerState
from worker import dispatch, tasks


def test_overdue_slots_are_those_whose_result_was_due_in_the_span():
    monitor = (1, 10, 5, 0.0)  # id 1, every 10 s, timeout 5 s, changed long ago
    wait = 5 + dispatch.REDISPATCH_AFTER_SECONDS
    owed = dispatch.overdue_slots([monitor], 1000.0, 1010.0, since=0.0)
    assert [slot for _m, slot, _i in owed] == schedule.slots_between(1, 10, 1000 - wait, 1010 - wait)
    assert len(owed) == 1
    # Nothing before the dispatch run began, nothing within one window of the monitor's change.
    assert dispatch.overdue_slots([monitor], 1000.0, 1010.0, since=1000.0) == []
    assert dispatch.overdue_slots([(1, 10, 5, 985.0)], 1000.0, 1010.0, since=0.0) == []


def test_redispatch_sends_only_missing_slots_once(sessions):
    now = time.time()
    sent = []
    with sessions() as session:
        monitors = [
            Monitor(
                name=f"m{i}",
                type="http",
                target="http://127.0.0.1:9/",
                interval_seconds=10,
                timeout_seconds=5,
            )
            for i in range(3)
        ]
        session.add_all(monitors)
        session.commit()
        session.execute(Monitor.__table__.update().values(updated_at=datetime.fromtimestamp(now - 3600, UTC)))
        session.add(SchedulerState(name=dispatch.DISPATCH_SINCE, value=now - 3600))
        session.add(SchedulerState(name=dispatch.REDISPATCH_WATERMARK, value=now - 60))
        session.commit()
        owed = dispatch.overdue_slots(
            [(m.id, 10, 5, now - 3600) for m in monitors], now - 60, now, now - 3600
        )
        present = owed[::2]
        for monitor_id, slot, _interval in present:
            session.add(
                CheckResult(
                    monitor_id=monitor_id,
                    uid=dispatch.server_uid(monitor_id, slot),
                    checked_at=datetime.fromtimestamp(slot, UTC),
                    status="ok",
                )
            )
        session.commit()
        count = dispatch.redispatch_missing(session, lambda *args: sent.append(args), now)
        expected = {(m, s) for m, s, _i in owed} - {(m, s) for m, s, _i in present}
        # Re-sent now (countdown 0), only while the check can still run (before its expiry).
        assert {(m, s) for m, s, countdown, expires in sent} == {
            (m, s) for m, s in expected if schedule.check_expiry(s, 10, dispatch.EXPIRY_GRACE_SECONDS) > now
        }
        assert count == len(sent) and all(countdown == 0.0 for _m, _s, countdown, _e in sent)
        again = []
        dispatch.redispatch_missing(session, lambda *args: again.append(args), now + 1)
        assert not {(m, s) for m, s, _c, _e in again} & {(m, s) for m, s, _c, _e in sent}  # once


def _unavailable():
    return OperationalError("SELECT 1", {}, Exception("connection refused\nDETAIL: more"))


def test_a_database_blip_is_ridden_out(monkeypatch):
    monkeypatch.setattr(tasks._shutting_down, "wait", lambda seconds: None)
    calls = []

    def work():
        calls.append(1)
        if len(calls) < 4:
            raise _unavailable()
        return "written"

    assert tasks.with_database(work, time.time() + 60, "test") == "written"
    assert len(calls) == 4


def test_a_long_outage_gives_up_at_the_deadline_with_one_line(monkeypatch, caplog):
    monkeypatch.setattr(tasks._shutting_down, "wait", lambda seconds: time.sleep(0.01))

    def work():
        raise _unavailable()

    with pytest.raises(tasks.DatabaseGone):
        tasks.with_database(work, time.time() + 0.3, "monitor 1 slot 5.000: recording the result")
    given_up = [r for r in caplog.records if "given up" in r.getMessage()]
    assert len(given_up) == 1 and "connection refused" in given_up[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


def test_other_database_errors_are_not_retried():
    def work():
        raise ProgrammingError("SELECT", {}, Exception("syntax error"))

    with pytest.raises(ProgrammingError):
        tasks.with_database(work, time.time() + 60, "test")
