"""Heartbeat monitors: the job calls us, and silence past its period plus grace is ``down``.

Recording a ping and judging overdue ones both go through ``recording.record``, so a heartbeat's
results, bars, uptime, state changes and alerts work like any other monitor's. Pings are stored
at most one a second per monitor (the uid is the second); the rest are only counted, so a flood
of one token can't fill the results table.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from shared import recording
from shared.accounts import sha256
from shared.checks import CheckResult as Outcome
from shared.models import Monitor, MonitorState
from shared.status import DOWN, OK, from_latency
from shared.thresholds import Thresholds

PING, FAIL, START = "ping", "fail", "start"


def find(session: Session, token: str) -> Monitor | None:
    if not token or len(token) > 100:
        return None
    return session.scalars(
        select(Monitor).where(Monitor.push_token_hash == sha256(token), Monitor.type == "heartbeat")
    ).first()


def ping_outcome(monitor: Monitor, kind: str, now: datetime, note: str = "") -> Outcome:
    """What a ping says. The run time (after ``/start``) is the latency; it is judged against
    thresholds only when the monitor sets its own (the system defaults are network latencies)."""
    note = f": {note}" if note else ""
    if kind == FAIL:
        return Outcome(DOWN, None, f"the job reported a failure{note}"[:500])
    latency = None
    if monitor.run_started_at is not None and monitor.run_started_at <= now:
        latency = round((now - monitor.run_started_at).total_seconds() * 1000, 1)
    status = OK
    if latency is not None and monitor.ok_ms is not None and monitor.degraded_ms is not None:
        status = from_latency(latency, Thresholds(ok_ms=monitor.ok_ms, degraded_ms=monitor.degraded_ms))
    took = f" after a run of {latency / 1000:.1f} s" if latency is not None else ""
    return Outcome(status, latency, f"ping received{took}{note}"[:500])


def record_ping(session: Session, monitor: Monitor, kind: str, now: datetime, note: str = ""):
    """Stage one ping; returns (stored, transition). ``start`` only notes when the run began."""
    if kind == START:
        session.execute(update(Monitor).where(Monitor.id == monitor.id).values(run_started_at=now))
        return True, None
    outcome = ping_outcome(monitor, kind, now, note)
    stored, transition = recording.record(
        session, monitor, f"push:{monitor.id}:{int(now.timestamp())}", now, outcome
    )
    if stored:
        session.execute(update(Monitor).where(Monitor.id == monitor.id).values(run_started_at=None))
    else:
        session.execute(
            update(Monitor).where(Monitor.id == monitor.id).values(pings_ignored=Monitor.pings_ignored + 1)
        )
    return stored, transition


def overdue(monitor: Monitor, last_ping: datetime | None, now: datetime) -> datetime | None:
    """When the ping was due, if it is now late past the grace; else None."""
    since = max(last_ping, monitor.updated_at) if last_ping else monitor.updated_at
    due = since + timedelta(seconds=monitor.interval_seconds + monitor.grace_seconds)
    return due if now > due else None


def judge_overdue(session: Session, now: datetime) -> list[tuple[Monitor, recording.Transition]]:
    """One query for every enabled heartbeat not already down; a late one gets a ``down`` result
    (once per due time) and, by its state change, an alert. The caller commits."""
    rows = session.execute(
        select(Monitor, MonitorState.last_checked_at)
        .outerjoin(MonitorState, and_(MonitorState.monitor_id == Monitor.id, MonitorState.location == 0))
        .where(Monitor.type == "heartbeat", Monitor.enabled.is_(True))
        .where((MonitorState.status.is_(None)) | (MonitorState.status != DOWN))
    ).all()
    changes = []
    for monitor, last_ping in rows:
        due = overdue(monitor, last_ping, now)
        if due is None:
            continue
        late = int((now - due).total_seconds()) + monitor.grace_seconds
        details = (
            f"no ping for {monitor.interval_seconds + late} s "
            f"(expected every {monitor.interval_seconds} s, grace {monitor.grace_seconds} s)"
        )
        stored, transition = recording.record(
            session,
            monitor,
            f"hb-late:{monitor.id}:{int(due.timestamp())}",
            now,
            Outcome(DOWN, None, details),
        )
        if transition is not None:
            changes.append((monitor, transition))
    return changes
