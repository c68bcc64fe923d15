"""Stale monitors and offline agents: a monitor that goes silent must say so.

If the workers stop, beat stops dispatching or an agent dies, no result arrives and a monitor
would keep its last state (say ``ok``) for ever. A location that has recorded nothing for three
intervals plus the timeout is ``stale``: the API shows it at once (:func:`effective_status`, computed
on read, so it holds even when beat itself is gone) and beat's sweep (:func:`sweep`) turns it into a
state change with a ``stale`` alert, by the same compare-and-set as any recorded change. The next
result clears it like any other change. An agent silent for three poll periods is ``offline``
(``agent_offline`` alert); heard again, ``agent_online``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.alerts import rules
from shared.dialect import insert
from shared.models import CURRENT_STATE, Agent, Monitor, MonitorState
from shared.recording import Transition
from shared.status import MAINTENANCE, STALE, UNKNOWN

log = logging.getLogger(__name__)


MISSED_INTERVALS = 3
#: Agents poll their monitors every 30 s (agent_gateway.agent); three polls missed is offline.
AGENT_POLL_SECONDS = 30
AGENT_OFFLINE_AFTER = timedelta(seconds=MISSED_INTERVALS * AGENT_POLL_SECONDS)


def silence_limit(interval_seconds: int, timeout_seconds: int) -> timedelta:
    return timedelta(seconds=MISSED_INTERVALS * interval_seconds + timeout_seconds)


def is_stale(
    last_checked_at: datetime | None,
    changed_at: datetime,
    interval_seconds: int,
    timeout_seconds: int,
    now: datetime,
) -> bool:
    """Nothing recorded within the limit, counted from the last result or, if later, from the last
    change to the monitor (created, re-enabled, interval changed), so an edit never reads as silence."""
    since = max(last_checked_at, changed_at) if last_checked_at else changed_at
    return now - since > silence_limit(interval_seconds, timeout_seconds)


def effective_status(
    status: str | None,
    enabled: bool,
    last_checked_at: datetime | None,
    changed_at: datetime,
    interval_seconds: int,
    timeout_seconds: int,
    now: datetime,
    monitor_type: str = "",
    in_maintenance: bool = False,
) -> str:
    """The status the API shows: the stored one, or ``stale`` when the location fell silent.
    (A heartbeat's silence is its own verdict, ``down``, judged by beat: never stale.) An enabled
    monitor inside a maintenance window shows ``maintenance`` whatever its checks say."""
    status = status or UNKNOWN
    if enabled and in_maintenance:
        return MAINTENANCE
    if not enabled or monitor_type == "heartbeat":
        return UNKNOWN if status == STALE else status  # paused: nobody expects results
    if status == STALE:
        return status
    if is_stale(last_checked_at, changed_at, interval_seconds, timeout_seconds, now):
        return STALE
    return status


def _describe(monitor: Monitor, last_checked_at: datetime | None, agent_name: str | None) -> str:
    where = f"agent {agent_name or monitor.agent_id}" if monitor.agent_id else "the server"
    heard = f"last result at {last_checked_at:%Y-%m-%d %H:%M:%S} UTC" if last_checked_at else "no result yet"
    return (
        f"no result from {where} for {MISSED_INTERVALS} intervals ({monitor.interval_seconds} s each); "
        f"{heard} — are the workers, beat or the agent running?"
    )


def stale_transitions(session: Session, now: datetime) -> list[tuple[Monitor, Transition]]:
    """Mark every silent location ``stale`` (compare-and-set) and return the changes; the caller
    writes their alert events and commits."""
    rows = session.execute(
        select(Monitor, MonitorState.status, MonitorState.last_checked_at, Agent.name)
        .outerjoin(MonitorState, CURRENT_STATE)
        .outerjoin(Agent, Agent.id == Monitor.agent_id)
        .where(Monitor.enabled.is_(True), Monitor.type != "heartbeat")
        .where((MonitorState.status.is_(None)) | (MonitorState.status != STALE))
    ).all()
    changes = []
    for monitor, status, last_checked_at, agent_name in rows:
        if not is_stale(
            last_checked_at, monitor.updated_at, monitor.interval_seconds, monitor.timeout_seconds, now
        ):
            continue
        where_loc = monitor.agent_id or 0
        details = _describe(monitor, last_checked_at, agent_name)
        if status is None:
            done = session.execute(
                insert(session, MonitorState.__table__)
                .values(monitor_id=monitor.id, location=where_loc, status=STALE, since=now, ssl_warned=False)
                .on_conflict_do_nothing()
            )
        else:
            seen = MonitorState.last_checked_at.is_not_distinct_from(last_checked_at)
            done = session.execute(
                update(MonitorState)
                .where(
                    MonitorState.monitor_id == monitor.id,
                    MonitorState.location == where_loc,
                    MonitorState.status == status,
                    seen,
                )
                .values(status=STALE, since=now)
                .execution_options(synchronize_session=False)
            )
        if done.rowcount == 1:
            changes.append(
                (monitor, Transition(monitor.id, where_loc, status or UNKNOWN, STALE, details, None, now))
            )
    return changes


def agent_changes(session: Session, now: datetime) -> list[tuple[Agent, str]]:
    """Agents that went offline or came back since the last sweep: (agent, event), CAS-marked."""
    changes = []
    silent_before = now - AGENT_OFFLINE_AFTER
    fresh = select(Agent).where(Agent.approved.is_(True)).execution_options(populate_existing=True)
    for agent in session.scalars(fresh):
        seen = agent.last_seen_at
        if agent.offline_since is None and seen is not None and seen < silent_before:
            done = session.execute(
                update(Agent)
                .where(Agent.id == agent.id, Agent.offline_since.is_(None), Agent.last_seen_at == seen)
                .values(offline_since=now)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount == 1:
                changes.append((agent, rules.EVENT_AGENT_OFFLINE))
        elif agent.offline_since is not None and seen is not None and seen > agent.offline_since:
            done = session.execute(
                update(Agent)
                .where(Agent.id == agent.id, Agent.offline_since == agent.offline_since)
                .values(offline_since=None)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount == 1:
                changes.append((agent, rules.EVENT_AGENT_ONLINE))
    return changes
