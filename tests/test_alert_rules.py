"""The alert rules as tables: which events a state change causes, and when a reminder is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from shared.alerts.rules import decide, in_ssl_warning_window, reminder_due
from shared.recording import Transition
from shared.schemas import AlertSettings

T0 = datetime(2026, 1, 26, 10, 30, tzinfo=UTC)
ONCE = AlertSettings(alert_type="once", alert_on_restored=True)
QUIET_RESTORE = AlertSettings(alert_type="once", alert_on_restored=False)
REPEATED = AlertSettings(alert_type="repeated", repeat_minutes=5)
NONE = AlertSettings(alert_type="none")


def change(old: str, new: str, days_left: int | None = None) -> Transition:
    return Transition(1, 0, old, new, "details", days_left, T0)


@pytest.mark.parametrize(
    ("old", "new", "settings", "events"),
    [
        ("ok", "down", ONCE, ("down",)),
        ("degraded", "down", ONCE, ("down",)),
        ("unknown", "down", ONCE, ("down",)),
        ("ok", "degraded", ONCE, ("degraded",)),
        ("unknown", "degraded", ONCE, ("degraded",)),
        ("down", "degraded", ONCE, ("degraded",)),
        ("down", "ok", ONCE, ("up",)),
        ("degraded", "ok", ONCE, ("up",)),
        ("down", "ok", QUIET_RESTORE, ()),
        ("degraded", "ok", QUIET_RESTORE, ()),
        ("down", "degraded", QUIET_RESTORE, ("degraded",)),
        ("unknown", "ok", ONCE, ()),
        ("ok", "down", REPEATED, ("down",)),
        ("down", "ok", REPEATED, ("up",)),
        ("ok", "down", NONE, ()),
        ("ok", "degraded", NONE, ()),
        ("down", "ok", NONE, ()),
        ("ok", "ok", ONCE, ()),
    ],
)
def test_events_for_a_change(old, new, settings, events):
    assert decide(change(old, new), "http", settings).events == events


@pytest.mark.parametrize(
    ("old", "new", "days_left", "warned", "events", "warned_after"),
    [
        ("ok", "degraded", 20, False, ("ssl_expiring",), True),
        ("unknown", "degraded", 20, False, ("ssl_expiring",), True),
        ("down", "degraded", 20, False, ("ssl_expiring",), True),
        # Already warned, then down and back: the return is news (it answers again), announced as
        # degraded like any monitor's down → degraded; the expiry warning is not repeated.
        ("down", "degraded", 20, True, ("degraded",), True),
        ("ok", "degraded", 20, True, (), True),
        ("degraded", "down", 5, True, ("down",), True),
        # Renewed: restored, and the next entry into the window warns again.
        ("degraded", "ok", 90, True, ("up",), False),
        ("down", "ok", 90, True, ("up",), False),
        ("unknown", "ok", 90, False, (), False),
        # A degraded SSL check without days left (not a certificate verdict) is plain "degraded".
        ("ok", "degraded", None, False, ("degraded",), False),
    ],
)
def test_ssl_warning_window(old, new, days_left, warned, events, warned_after):
    decision = decide(change(old, new, days_left), "ssl", ONCE, ssl_warned=warned)
    assert (decision.events, decision.ssl_warned) == (events, warned_after)


def test_ssl_warning_respects_alert_type_none():
    decision = decide(change("ok", "degraded", 20), "ssl", NONE, ssl_warned=False)
    assert decision.events == () and decision.ssl_warned is False


@pytest.mark.parametrize(
    ("monitor_type", "status", "days_left", "inside"),
    [
        ("ssl", "degraded", 20, True),
        ("ssl", "down", 5, False),
        ("ssl", "ok", 60, False),
        ("https", "degraded", 20, False),
        ("ssl", "degraded", None, False),
    ],
)
def test_in_ssl_warning_window(monitor_type, status, days_left, inside):
    assert in_ssl_warning_window(monitor_type, status, days_left) is inside


def state(status="down", last_alert_at=None, since=T0):
    return SimpleNamespace(status=status, last_alert_at=last_alert_at, since=since)


@pytest.mark.parametrize(
    ("settings", "st", "now", "due"),
    [
        (REPEATED, state(last_alert_at=T0), T0 + timedelta(minutes=4, seconds=59), False),
        (REPEATED, state(last_alert_at=T0), T0 + timedelta(minutes=5), True),
        (REPEATED, state(last_alert_at=T0), T0 + timedelta(hours=3), True),
        # Down before "repeated" was chosen (no alert sent): counted from when it went down.
        (REPEATED, state(last_alert_at=None, since=T0), T0 + timedelta(minutes=5), True),
        (REPEATED, state(last_alert_at=None, since=T0), T0 + timedelta(minutes=1), False),
        (REPEATED, state("ok", last_alert_at=T0), T0 + timedelta(hours=1), False),
        (REPEATED, state("degraded", last_alert_at=T0), T0 + timedelta(hours=1), False),
        (ONCE, state(last_alert_at=T0), T0 + timedelta(hours=1), False),
        (NONE, state(last_alert_at=T0), T0 + timedelta(hours=1), False),
        (
            AlertSettings(alert_type="repeated", repeat_minutes=1),
            state(last_alert_at=T0),
            T0 + timedelta(minutes=1),
            True,
        ),
    ],
)
def test_reminder_due(settings, st, now, due):
    assert reminder_due(st, settings, now) is due
