"""Maintenance windows against PostgreSQL and a real webhook receiver: alerts held back inside a
window, sent when it is over if the state still differs; uptime leaves the window out.

Checks are recorded as the worker records them (``recording.record`` + ``outbox.on_transition``),
beat's end-of-window job is ``worker.watchdog.announce_after_maintenance``, delivery is
``worker.alerts.deliver``; ``now`` moves forward instead of sleeping.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from shared import history, recording, settings_store
from shared.alerts import outbox
from shared.buckets import DAY, bucket_start
from shared.checks import CheckResult as Outcome
from shared.db import make_engine, session_factory
from shared.models import AlertEvent, MaintenanceWindow, Monitor, MonitorState, Rollup, utcnow
from tests.helpers import add_routed_monitor, configure_alerts
from tests.peers.webhook_receiver import WebhookReceiver
from worker import alerts, watchdog


@pytest.fixture
def receiver(sessions, key):
    with WebhookReceiver() as peer:
        configure_alerts(sessions, key, webhook_url=peer.url)
        yield peer


def add_monitor(sessions, name="API Server") -> int:
    return add_routed_monitor(sessions, name=name)


def add_window(sessions, start, end, monitor_ids=None, recurrence=None) -> int:
    with sessions() as session:
        row = MaintenanceWindow(
            title="upgrade",
            all_monitors=monitor_ids is None,
            monitor_ids=json.dumps(monitor_ids or []),
            starts_at=start,
            ends_at=end,
            recurrence=json.dumps(recurrence) if recurrence else None,
        )
        session.add(row)
        session.commit()
        return row.id


def check(sessions, monitor_id, status, at) -> list[int]:
    with sessions() as session:
        monitor = session.get(Monitor, monitor_id)
        outcome = Outcome(
            status, 40.0 if status != "down" else None, "HTTP 503" if status == "down" else "HTTP 200"
        )
        _, transition = recording.record(session, monitor, f"t:{monitor_id}:{at.timestamp()}", at, outcome)
        ids = (
            outbox.on_transition(session, monitor, transition, outbox.rules_settings(session))
            if transition
            else []
        )
        session.commit()
    return ids


def after_windows(sessions, now) -> list[int]:
    with sessions() as session:
        return watchdog.announce_after_maintenance(session, now)


def deliver(sessions, key, ids, now) -> None:
    for event_id in ids:
        assert alerts.deliver(sessions, key, event_id, now) == {"Webhook": "sent"}


def events(sessions) -> list[tuple[int, str]]:
    with sessions() as session:
        return [(e.monitor_id, e.event) for e in session.scalars(select(AlertEvent).order_by(AlertEvent.id))]


def test_down_inside_a_window_is_announced_when_it_ends_still_down(sessions, key, receiver):
    mid = add_monitor(sessions)
    control = add_monitor(sessions, "Control")
    t0 = utcnow() - timedelta(minutes=30)
    add_window(sessions, t0 + timedelta(minutes=1), t0 + timedelta(minutes=10), [mid])
    for m in (mid, control):
        assert check(sessions, m, "ok", t0) == []

    # Both go down inside the window: the control monitor (not in it) alerts at once, ours doesn't.
    held = check(sessions, mid, "down", t0 + timedelta(minutes=2))
    sent = check(sessions, control, "down", t0 + timedelta(minutes=2))
    assert held == [] and len(sent) == 1
    deliver(sessions, key, sent, t0 + timedelta(minutes=2))
    assert [r["monitor"] for r in receiver.received] == ["Control"]
    assert check(sessions, mid, "down", t0 + timedelta(minutes=5)) == []
    # The window is still on: beat's job says nothing yet.
    assert after_windows(sessions, t0 + timedelta(minutes=9)) == []

    # Over, still down: the "down" follows once, whichever sweep sees it first.
    ids = after_windows(sessions, t0 + timedelta(minutes=10, seconds=15))
    assert len(ids) == 1
    assert after_windows(sessions, t0 + timedelta(minutes=10, seconds=30)) == []
    deliver(sessions, key, ids, t0 + timedelta(minutes=10, seconds=15))
    assert [(r["monitor"], r["event"]) for r in receiver.received] == [
        ("Control", "down"),
        ("API Server", "down"),
    ]
    assert "after maintenance" in receiver.received[-1]["details"]
    with sessions() as session:
        state = session.get(MonitorState, (mid, 0))
        assert state.announced_status == "down" and state.last_alert_at is not None
    # Its next change is announced as usual.
    [up] = check(sessions, mid, "ok", t0 + timedelta(minutes=12))
    deliver(sessions, key, [up], t0 + timedelta(minutes=12))
    assert receiver.received[-1]["event"] == "up"


def test_down_and_back_up_inside_a_window_sends_nothing(sessions, key, receiver):
    mid = add_monitor(sessions)
    t0 = utcnow() - timedelta(minutes=30)
    add_window(sessions, t0 + timedelta(minutes=1), t0 + timedelta(minutes=10))  # all monitors
    check(sessions, mid, "ok", t0)
    assert check(sessions, mid, "down", t0 + timedelta(minutes=2)) == []
    assert check(sessions, mid, "ok", t0 + timedelta(minutes=4)) == []
    assert after_windows(sessions, t0 + timedelta(minutes=11)) == []
    assert events(sessions) == [] and receiver.received == []


def test_down_before_a_window_and_up_inside_it_says_up_when_it_ends(sessions, key, receiver):
    mid = add_monitor(sessions)
    t0 = utcnow() - timedelta(minutes=30)
    add_window(sessions, t0 + timedelta(minutes=1), t0 + timedelta(minutes=10), [mid])
    check(sessions, mid, "ok", t0 - timedelta(minutes=1))
    [down] = check(sessions, mid, "down", t0)
    assert check(sessions, mid, "ok", t0 + timedelta(minutes=3)) == []
    ids = after_windows(sessions, t0 + timedelta(minutes=11))
    deliver(sessions, key, [down, *ids], t0 + timedelta(minutes=11))
    assert [r["event"] for r in receiver.received] == ["down", "up"]


def test_stale_inside_a_recurring_window_is_announced_when_it_ends(sessions, key, receiver):
    mid = add_monitor(sessions)
    now = utcnow()
    with sessions() as session:  # created long ago, so silence counts
        session.get(Monitor, mid).updated_at = now - timedelta(hours=3)
        session.commit()
    # Every day around now (UTC wall clock), one hour long.
    start = now - timedelta(minutes=20)
    add_window(
        sessions,
        None,
        None,
        [mid],
        {"cron": f"{start.minute} {start.hour} * * *", "duration_minutes": 60, "timezone": "UTC"},
    )
    check(sessions, mid, "ok", now - timedelta(hours=2))  # announced: ok (before the window)
    with sessions() as session:
        assert watchdog.sweep_silence(session, now) == []  # goes stale inside: held
        assert session.get(MonitorState, (mid, 0)).status == "stale"
    later = start + timedelta(minutes=61)
    ids = after_windows(sessions, later)
    deliver(sessions, key, ids, later)
    assert [r["event"] for r in receiver.received] == ["stale"]


def test_results_inside_a_window_count_as_maintenance_not_uptime(sessions):
    mid = add_monitor(sessions)
    now = utcnow()
    day = bucket_start(now, DAY)
    if now - day < timedelta(minutes=40):
        pytest.skip("too close to midnight UTC for one day's bucket")
    add_window(sessions, now - timedelta(minutes=20), now - timedelta(minutes=10), [mid])
    check(sessions, mid, "ok", now - timedelta(minutes=30))
    check(sessions, mid, "down", now - timedelta(minutes=25))
    check(sessions, mid, "down", now - timedelta(minutes=15))  # inside
    check(sessions, mid, "down", now - timedelta(minutes=12))  # inside
    check(sessions, mid, "ok", now - timedelta(minutes=5))
    with sessions() as session:
        row = session.get(Rollup, (mid, DAY, day))
        assert (row.ok, row.degraded, row.down, row.maintenance) == (2, 0, 1, 2)
        body = history.uptime(session, mid, "24h", now)
        assert body["uptime"] == round(2 / 3, 6) and body["checks"] == 3 and body["maintenance"] == 2
        span = history.uptime_span(session, mid, now - timedelta(hours=1), now)
        assert span["uptime"] == round(2 / 3, 6) and span["maintenance"] == 2


def test_reminders_wait_while_in_maintenance(sessions, key, receiver):
    with sessions() as session:
        settings_store.update(session, {"alerts": {"alert_type": "repeated", "repeat_minutes": 5}}, key)
        session.commit()
    mid = add_monitor(sessions)
    t0 = utcnow() - timedelta(hours=1)
    check(sessions, mid, "ok", t0)
    [down] = check(sessions, mid, "down", t0 + timedelta(minutes=1))
    add_window(sessions, t0 + timedelta(minutes=2), t0 + timedelta(minutes=30), [mid])
    with sessions() as session:
        settings = outbox.rules_settings(session)
        assert outbox.remind(session, settings, t0 + timedelta(minutes=10)) == []  # inside: none
        assert len(outbox.remind(session, settings, t0 + timedelta(minutes=31))) == 1  # after: due
        session.commit()


def test_checks_inside_a_window_show_as_maintenance_on_the_72_hour_bars(client, db_url):
    """A 15-minute bucket holding only checks made inside a window is a maintenance bucket."""
    from datetime import timedelta

    from shared import history, recording
    from shared.checks import CheckResult as Outcome
    from shared.models import MaintenanceWindow, Monitor, utcnow

    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        monitor = Monitor(name="m", type="http", target="http://127.0.0.1:9/", interval_seconds=60)
        session.add(monitor)
        now = utcnow()
        session.add(
            MaintenanceWindow(
                title="deploy",
                all_monitors=True,
                starts_at=now - timedelta(minutes=5),
                ends_at=now + timedelta(hours=1),
            )
        )
        session.commit()
        recording.record(
            session, monitor, "mw-1", now - timedelta(seconds=30), Outcome("down", None, "HTTP 503")
        )
        session.commit()
        columns = history.history_columns(session, [monitor.id], 1, now)
        row = columns["monitors"][monitor.id]
        assert row["maintenance"][-1] == 1 and row["down"][-1] == 0
        buckets = history.history_buckets(session, [monitor.id], 1, now)[monitor.id]
        assert buckets[-1]["status"] == "maintenance"
    engine.dispose()
