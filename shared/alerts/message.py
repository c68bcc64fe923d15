"""What an alert says: the webhook JSON of API.md, the email subject and its two bodies.

Monitor names, targets and details are user text. The subject is one header line whatever they
contain (control characters become spaces: no header injection), the HTML body escapes every piece
of it, and the plain-text body keeps each field on its own line.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.models import Agent, AlertEvent, CheckResult, utcnow
from shared.timefmt import iso

SERVER_LABEL = "server"
HISTORY_HOURS = 24
RECENT_RESULTS = 10

#: Subject words per event; an unknown event is shown upper-cased with spaces.
LABELS = {"down": "DOWN", "up": "UP", "degraded": "DEGRADED", "ssl_expiring": "SSL EXPIRING", "test": "TEST"}

# C0/C1 controls, DEL, and the Unicode line/paragraph separators some mail readers break lines on.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s{2,}")


def one_line(text: str | None) -> str:
    """``text`` with every control or line-breaking character replaced by a space, trimmed."""
    return _SPACES.sub(" ", _UNSAFE.sub(" ", text or "")).strip()


@dataclass(frozen=True)
class CheckLine:
    checked_at: datetime
    status: str
    latency_ms: float | None
    details: str


@dataclass(frozen=True)
class History:
    """A monitor's checks at one location over the hours before an event."""

    hours: int
    counts: dict[str, int]
    recent: list[CheckLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def uptime_percent(self) -> float | None:
        """As API.md's uptime: the share of checks that were not down."""
        if not self.total:
            return None
        return 100.0 * (self.total - self.counts.get("down", 0)) / self.total


@dataclass(frozen=True)
class Alert:
    """One alert as the transports send it, built from an ``AlertEvent`` or made up for a test."""

    monitor: str
    type: str
    target: str
    event: str
    details: str
    timestamp: datetime
    agent: str = SERVER_LABEL
    history: History | None = None
    monitor_id: int | None = None

    @classmethod
    def from_event(cls, event: AlertEvent, agent: str, history: History | None = None) -> Alert:
        return cls(
            monitor=event.monitor_name,
            type=event.monitor_type,
            target=event.target,
            event=event.event,
            details=event.details or "",
            timestamp=event.created_at,
            agent=agent,
            history=history,
            monitor_id=event.monitor_id,
        )


def sample(details: str) -> Alert:
    """A made-up alert for the test buttons: it says what it is in every channel."""
    return Alert(
        monitor="OnlineTracker test",
        type="test",
        target="",
        event="test",
        details=details,
        timestamp=utcnow(),
    )


def agent_label(session: Session, agent_id: int | None) -> str:
    """``server`` for the server's own checks, else the agent's name, or ``agent <id>`` without one."""
    if not agent_id:
        return SERVER_LABEL
    name = session.scalar(select(Agent.name).where(Agent.id == agent_id))
    return one_line(name) or f"agent {agent_id}"


def load_history(session: Session, event: AlertEvent, hours: int = HISTORY_HOURS) -> History | None:
    """The event's monitor at the event's location over ``hours`` before the event, from raw results."""
    if event.monitor_id is None:
        return None  # the monitor was deleted; its results went with it
    where = [
        CheckResult.monitor_id == event.monitor_id,
        CheckResult.checked_at > event.created_at - timedelta(hours=hours),
        CheckResult.checked_at <= event.created_at,
        CheckResult.agent_id.is_(None) if not event.agent_id else CheckResult.agent_id == event.agent_id,
    ]
    counts = dict(
        session.execute(
            select(CheckResult.status, func.count()).where(*where).group_by(CheckResult.status)
        ).all()
    )
    rows = session.execute(
        select(CheckResult.checked_at, CheckResult.status, CheckResult.latency_ms, CheckResult.details)
        .where(*where)
        .order_by(CheckResult.checked_at.desc(), CheckResult.id.desc())
        .limit(RECENT_RESULTS)
    ).all()
    return History(hours, counts, [CheckLine(*row) for row in rows])


def webhook_payload(alert: Alert) -> dict:
    return {
        "monitor": alert.monitor,
        "type": alert.type,
        "target": alert.target,
        "event": alert.event,
        "details": alert.details,
        "timestamp": iso(alert.timestamp),
        "agent": alert.agent,
    }


def label(event: str) -> str:
    return LABELS.get(event) or one_line(event).upper().replace("_", " ")


def subject(alert: Alert) -> str:
    """``DOWN - <monitor> - <agent> - <type>``, always one line."""
    parts = (label(alert.event), alert.monitor, alert.agent, alert.type)
    return " - ".join(one_line(p) for p in parts)


def _latency(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:.0f} ms"


def _summary(history: History) -> str:
    counts = history.counts
    line = (
        f"Last {history.hours} hours: {history.total} checks, {counts.get('ok', 0)} ok, "
        f"{counts.get('degraded', 0)} degraded, {counts.get('down', 0)} down"
    )
    uptime = history.uptime_percent
    return line if uptime is None else f"{line} ({uptime:.1f} % up)"


def _fields(alert: Alert) -> list[tuple[str, str]]:
    return [
        ("Monitor", alert.monitor),
        ("Type", alert.type),
        ("Target", alert.target),
        ("Location", alert.agent),
        ("Event", alert.event),
        ("Details", alert.details),
        ("Time", iso(alert.timestamp) or ""),
    ]


def text_body(alert: Alert, public_url: str | None = None) -> str:
    lines = [subject(alert), ""]
    lines += [f"{name}: {one_line(value)}" for name, value in _fields(alert)]
    if alert.history is not None:
        lines += ["", _summary(alert.history)]
        if alert.history.recent:
            lines.append("Recent checks, newest first:")
            lines += [
                f"  {iso(c.checked_at)}  {c.status:<8}  {_latency(c.latency_ms):>8}  {one_line(c.details)}"
                for c in alert.history.recent
            ]
    link = monitor_link(alert, public_url)
    if link:
        lines += ["", f"Open in OnlineTracker: {link}"]
    lines += ["", "Sent by OnlineTracker."]
    return "\n".join(lines) + "\n"


def html_body(alert: Alert, public_url: str | None = None) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><th align='left'>{e(name)}</th><td>{e(value or '')}</td></tr>" for name, value in _fields(alert)
    )
    parts = [f"<h2>{e(subject(alert))}</h2>", f"<table>{rows}</table>"]
    if alert.history is not None:
        parts.append(f"<p>{e(_summary(alert.history))}</p>")
        if alert.history.recent:
            recent = "".join(
                f"<tr><td>{e(iso(c.checked_at) or '')}</td><td>{e(c.status)}</td>"
                f"<td>{e(_latency(c.latency_ms))}</td><td>{e(c.details or '')}</td></tr>"
                for c in alert.history.recent
            )
            parts.append(
                "<table><tr><th>Checked at</th><th>Status</th><th>Latency</th><th>Details</th></tr>"
                f"{recent}</table>"
            )
    link = monitor_link(alert, public_url)
    if link:
        parts.append(f"<p><a href='{e(link)}'>Open in OnlineTracker</a></p>")
    parts.append("<p>Sent by OnlineTracker.</p>")
    return "<html><body>" + "".join(parts) + "</body></html>"


def monitor_link(alert: Alert, public_url: str | None) -> str | None:
    """The monitor's page in the dashboard, when ``PUBLIC_URL`` says where the dashboard is."""
    if not public_url or alert.monitor_id is None:
        return None
    return f"{public_url.rstrip('/')}/monitors/{alert.monitor_id}"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md(text: str | None) -> str:
    """User text made inert in Markdown: one line, the characters that start emphasis, code, links
    or HTML escaped (each value follows a bold label, so "#", "-" and "1." can't start a block)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))


def notification_title(alert: Alert) -> str:
    return subject(alert)


def notification_body(alert: Alert, public_url: str | None = None) -> str:
    """The Markdown text every Apprise service gets (Apprise turns it into what each one renders:
    Slack's mrkdwn, Telegram's HTML, plain text for SMS-like services)."""
    lines = [f"**{md(label(alert.event))}**: {md(alert.monitor)}", ""]
    lines += [f"- **{name}:** {md(value)}" for name, value in _fields(alert) if name != "Monitor" and value]
    if alert.history is not None:
        lines += ["", md(_summary(alert.history))]
    link = monitor_link(alert, public_url)
    if link:
        lines += ["", f"[Open in OnlineTracker]({link})"]
    return "\n".join(lines)
