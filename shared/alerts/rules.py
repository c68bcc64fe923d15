"""Which alert events a state change causes, and when a reminder is due: pure functions.

The README's alert behaviour (once / repeated / none, alert on restored, SSL-expiry warnings) lives
here as plain decisions over plain values, so it can be read as a table and tested as one; writing
the events and sending them happen elsewhere (``outbox``, ``transports``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shared.status import DEGRADED, DOWN, OK, STALE, UNKNOWN

if TYPE_CHECKING:
    from shared.recording import Transition

EVENT_DOWN = "down"
EVENT_DEGRADED = "degraded"
EVENT_UP = "up"
EVENT_SSL_EXPIRING = "ssl_expiring"
EVENT_STALE = "stale"
EVENT_AGENT_OFFLINE = "agent_offline"
EVENT_AGENT_ONLINE = "agent_online"
EVENTS = (
    EVENT_DOWN,
    EVENT_DEGRADED,
    EVENT_UP,
    EVENT_SSL_EXPIRING,
    EVENT_STALE,
    EVENT_AGENT_OFFLINE,
    EVENT_AGENT_ONLINE,
)


@dataclass(frozen=True)
class Policy:
    """How one monitor alerts: Settings > Alerts, with what the monitor sets for itself on top."""

    alert_type: str
    repeat_minutes: int
    alert_on_restored: bool
    confirm_checks: int = 1


def policy_for(monitor, settings) -> Policy:
    """``monitor``: anything with the optional ``alert_type``, ``repeat_minutes``,
    ``alert_on_restored`` and ``confirm_checks``; None (or missing) means "as the settings say"."""

    def own(name):
        value = getattr(monitor, name, None)
        return getattr(settings, name) if value is None else value

    return Policy(
        own("alert_type"),
        own("repeat_minutes"),
        own("alert_on_restored"),
        max(1, getattr(monitor, "confirm_checks", None) or 1),
    )


def held_for_confirmation(transition: Transition, policy: Policy) -> bool:
    """A down result that has not yet been seen ``confirm_checks`` times in a row: no alert yet."""
    return transition.new == DOWN and policy.confirm_checks > 1 and transition.streak < policy.confirm_checks


@dataclass(frozen=True)
class Decision:
    """The events to write for one state change, and the location's ``ssl_warned`` afterwards."""

    events: tuple[str, ...]
    ssl_warned: bool


def in_ssl_warning_window(monitor_type: str, status: str, days_left: int | None) -> bool:
    """An SSL certificate between ``ssl_warning_days`` and ``ssl_ok_days``: the check says degraded
    and knows the days left. (Below ``ssl_warning_days`` or expired the check says down instead.)"""
    return monitor_type == "ssl" and status == DEGRADED and days_left is not None


def decide(transition: Transition, monitor_type: str, settings, ssl_warned: bool = False) -> Decision:
    """Events for one state change (``transition.old`` → ``transition.new``) at one location.

    ``settings`` is anything with ``alert_type`` and ``alert_on_restored`` (``AlertSettings``).
    ``ssl_warned`` says an SSL-expiry warning is already out for this location: it is sent once per
    stay in the warning window, cleared only when the certificate is fine again (``ok``), so a
    check flapping between degraded and down does not warn again and again (its return from down
    is still announced, as "degraded").
    """
    old, new = transition.old, transition.new
    warned = False if new == OK else ssl_warned
    if settings.alert_type == "none" or old == new:
        return Decision((), warned)
    if new == STALE:
        # Silence is news whatever came before: nobody knows the service's state any more.
        return Decision((EVENT_STALE,), warned)
    if new == DOWN:
        return Decision((EVENT_DOWN,), warned)
    if new == DEGRADED:
        if in_ssl_warning_window(monitor_type, new, transition.days_left):
            if not ssl_warned:
                return Decision((EVENT_SSL_EXPIRING,), True)
            # Warned already, and it was down since: that it answers again must be said; only
            # the expiry warning itself is not repeated within one stay in the window.
            return Decision((EVENT_DEGRADED,) if old == DOWN else (), True)
        # From down too: the service answers again but slowly, which is news of its own.
        return Decision((EVENT_DEGRADED,), warned)
    if new == OK:
        if old == UNKNOWN:
            return Decision((), warned)  # the first check found it fine: nothing was wrong
        # From stale too: results arrive again and it is fine.
        return Decision((EVENT_UP,) if settings.alert_on_restored else (), warned)
    return Decision((), warned)


def agent_events(event: str, settings) -> tuple[str, ...]:
    """An agent that went silent is always news; its return only with ``alert_on_restored``."""
    if settings.alert_type == "none":
        return ()
    if event == EVENT_AGENT_ONLINE and not settings.alert_on_restored:
        return ()
    return (event,)


def reminder_due(state, settings, now: datetime) -> bool:
    """For ``repeated``: a location still down gets another "down" every ``repeat_minutes``.

    ``state`` is anything with ``status``, ``last_alert_at`` and ``since`` (a ``MonitorState``).
    Counted from the last alert, or from when it went down when none was sent (alerts were off, or
    the type was "once" then): switching to "repeated" reminds of outages already going on.
    """
    if settings.alert_type != "repeated" or state.status != DOWN:
        return False
    last = state.last_alert_at or state.since
    return now - last >= timedelta(minutes=settings.repeat_minutes)
