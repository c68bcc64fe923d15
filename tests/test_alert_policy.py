"""Per-monitor alert policy and confirmation, recorded as the worker records checks (PostgreSQL).

Confirmation: a monitor with ``confirm_checks`` N announces "down" only on the Nth consecutive down
result; fewer and then a recovery send nothing at all (not even "up").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from shared.alerts import outbox, rules
from shared.models import AlertEvent, Monitor, MonitorState, utcnow
from shared.recording import Transition
from shared.schemas import AlertSettings
from tests.helpers import add_routed_monitor, configure_alerts, record_check
from tests.peers.webhook_receiver import WebhookReceiver
from worker import alerts

T0 = datetime(2026, 1, 26, 10, 30, tzinfo=UTC)
SYSTEM = AlertSettings(alert_type="once", repeat_minutes=30, alert_on_restored=True)


@pytest.mark.parametrize(
    ("monitor", "expected"),
    [
        ({}, rules.Policy("once", 30, True, 1)),
        (
            {"alert_type": None, "repeat_minutes": None, "alert_on_restored": None},
            rules.Policy("once", 30, True, 1),
        ),
        ({"alert_type": "repeated", "repeat_minutes": 5}, rules.Policy("repeated", 5, True, 1)),
        ({"alert_type": "none"}, rules.Policy("none", 30, True, 1)),
        ({"alert_on_restored": False}, rules.Policy("once", 30, False, 1)),
        ({"confirm_checks": 3}, rules.Policy("once", 30, True, 3)),
        ({"confirm_checks": 0}, rules.Policy("once", 30, True, 1)),
    ],
)
def test_the_monitor_policy_overrides_only_what_it_sets(monitor, expected):
    assert rules.policy_for(SimpleNamespace(**monitor), SYSTEM) == expected


@pytest.mark.parametrize(
    ("new", "streak", "confirm", "held"),
    [
        ("down", 1, 1, False),
        ("down", 1, 3, True),
        ("down", 2, 3, True),
        ("down", 3, 3, False),
        ("down", 4, 3, False),
        ("ok", 0, 3, False),
        ("degraded", 0, 3, False),
        ("stale", 0, 3, False),
    ],
)
def test_held_for_confirmation(new, streak, confirm, held):
    transition = Transition(1, 0, "ok", new, "", None, T0, streak)
    assert rules.held_for_confirmation(transition, rules.Policy("once", 30, True, confirm)) is held


@pytest.fixture
def receiver(sessions, key):
    with WebhookReceiver() as peer:
        configure_alerts(sessions, key, webhook_url=peer.url)
        yield peer


def events(sessions) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(AlertEvent.event).order_by(AlertEvent.id)))


def series(sessions, monitor_id, statuses, start=None) -> list[list[int]]:
    start = start or utcnow() - timedelta(hours=1)
    return [
        record_check(sessions, monitor_id, s, start + timedelta(seconds=60 * i))
        for i, s in enumerate(statuses)
    ]


def test_n_minus_one_failures_send_nothing_and_the_nth_sends_one(sessions, key, receiver):
    mid = add_routed_monitor(sessions, confirm_checks=3)
    written = series(sessions, mid, ["ok", "down", "down", "down", "down", "down"])
    assert [len(w) for w in written] == [0, 0, 0, 1, 0, 0]
    assert events(sessions) == ["down"]
    alerts.sweep(sessions, key)
    assert [p["event"] for p in receiver.received] == ["down"]
    with sessions() as session:
        state = session.get(MonitorState, (mid, 0))
        assert (state.status, state.fail_streak, state.announced_status) == ("down", 5, "down")


def test_a_blip_shorter_than_the_confirmation_says_nothing_at_all(sessions, key, receiver):
    mid = add_routed_monitor(sessions, confirm_checks=3)
    series(sessions, mid, ["ok", "down", "down", "ok", "down", "ok"])
    assert events(sessions) == []  # neither "down" nor the "up" of an outage nobody was told of
    with sessions() as session:
        assert session.get(MonitorState, (mid, 0)).fail_streak == 0


def test_a_confirmed_outage_then_recovery_says_down_and_up(sessions, key, receiver):
    mid = add_routed_monitor(sessions, confirm_checks=2)
    series(sessions, mid, ["ok", "down", "down", "ok"])
    assert events(sessions) == ["down", "up"]


def test_a_held_outage_that_turns_degraded_is_news_from_what_was_last_said(sessions, key, receiver):
    mid = add_routed_monitor(sessions, confirm_checks=3)
    series(sessions, mid, ["ok", "down", "degraded"])
    assert events(sessions) == ["degraded"]


def test_the_confirmation_is_announced_once_when_two_recorders_reach_it(sessions, key, receiver):
    mid = add_routed_monitor(sessions, confirm_checks=2)
    series(sessions, mid, ["ok", "down", "down"][:2])
    transition = Transition(mid, 0, "down", "down", "HTTP 503", None, utcnow(), 2)
    with sessions() as first, sessions() as second:
        monitor_a, monitor_b = first.get(Monitor, mid), second.get(Monitor, mid)
        settings = outbox.rules_settings(first)
        a = outbox.on_transition(first, monitor_a, transition, settings)
        first.commit()
        b = outbox.on_transition(second, monitor_b, transition, settings)
        second.commit()
    assert len(a) + len(b) == 1 and events(sessions) == ["down"]


def test_reminders_start_only_after_the_confirmation(sessions, key, receiver):
    mid = add_routed_monitor(sessions, confirm_checks=3, alert_type="repeated", repeat_minutes=1)
    t0 = utcnow() - timedelta(minutes=10)
    series(sessions, mid, ["ok", "down", "down"], start=t0)
    assert alerts.sweep(sessions, key, t0 + timedelta(minutes=5)) == []  # held: no reminder either
    record_check(sessions, mid, "down", t0 + timedelta(minutes=6))
    assert events(sessions) == ["down"]
    assert len(alerts.sweep(sessions, key, t0 + timedelta(minutes=7, seconds=1))) == 1


def test_the_monitor_policy_overrides_the_system_one(sessions, key, receiver):
    configure_alerts(sessions, key, alert_type="none", alert_on_restored=True)
    loud = add_routed_monitor(sessions, name="loud", alert_type="once", alert_on_restored=False)
    quiet = add_routed_monitor(sessions, name="quiet")
    series(sessions, loud, ["ok", "down", "ok"])
    series(sessions, quiet, ["ok", "down", "ok"])
    with sessions() as session:
        rows = session.execute(
            select(AlertEvent.monitor_name, AlertEvent.event).order_by(AlertEvent.id)
        ).all()
    assert [tuple(r) for r in rows] == [("loud", "down")]  # its own "once", its own "no restored"


def test_a_monitor_set_to_repeated_is_reminded_while_the_system_says_once(sessions, key, receiver):
    mid = add_routed_monitor(sessions, alert_type="repeated", repeat_minutes=2)
    other = add_routed_monitor(sessions, name="other")
    t0 = utcnow() - timedelta(minutes=10)
    record_check(sessions, mid, "down", t0)
    record_check(sessions, other, "down", t0)
    reminders = alerts.sweep(sessions, key, t0 + timedelta(minutes=2, seconds=1))
    with sessions() as session:
        assert [session.get(AlertEvent, i).monitor_id for i in reminders] == [mid]
