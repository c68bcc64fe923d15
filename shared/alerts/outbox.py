"""The alert outbox: events written with the state change, and the bookkeeping of their delivery.

Writing: :func:`on_transition` stages ``AlertEvent`` rows in the caller's transaction, the one that
records the state change, so a change is never committed without its alerts nor an alert without
its change (the outbox pattern). The caller commits, then hands the ids to ``worker.alerts.enqueue``.

Delivering: each channel of an event has its own state (``pending`` → ``sent`` | ``failed`` |
``skipped``); ``next_attempt_at`` is shared by the channels and means "nobody may send this event
before then". A sender claims an event by moving ``next_attempt_at`` into the future (a lease) with
a compare-and-set on the value it read, so of several senders exactly one wins; it marks each channel
as it succeeds, and on failure leaves ``next_attempt_at`` at the end of a backoff for the periodic
sweep. A sender that dies holding a lease only delays delivery until the lease runs out.

Guarantee: a channel is sent again only if its sender died (or hung past the lease) between the
server accepting the message and the commit that marks it ``sent``, which is the one window no
outbox can close. Nothing is given up before :data:`GIVE_UP_AFTER` of retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from shared import maintenance, settings_store
from shared.alerts import rules
from shared.alerts.transports import CHANNELS, TRANSPORTS
from shared.models import AlertEvent, Monitor, MonitorState
from shared.recording import Transition
from shared.schemas import AlertSettings
from shared.timefmt import iso

PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"
#: Longer than the slowest send (webhook 10 s; SMTP 30 s per command), so a live sender keeps it.
LEASE = timedelta(minutes=5)
#: Wait after the 1st, 2nd, … failed attempt; the last value repeats.
BACKOFF_SECONDS = (10, 30, 120, 600, 1800)
GIVE_UP_AFTER = timedelta(hours=24)


def _state_column(channel: str):
    return getattr(AlertEvent, f"{channel}_state")


def backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed attempts (1 or more)."""
    return timedelta(seconds=BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1])


def rules_settings(session: Session) -> AlertSettings:
    """The alert settings without the SMTP password: what writing events needs.

    Unlike ``settings_store.load_section`` this never decrypts, so recording a check can't fail
    because SECRET_KEY changed; only sending email needs the password.
    """
    view = dict(settings_store.public_view(session)["alerts"])
    view.pop("smtp_password_set", None)
    return AlertSettings.model_validate(view, strict=False)


def initial_states(settings) -> dict[str, str]:
    """A channel that is not configured when the event is written is ``skipped`` for good."""
    return {
        f"{name}_state": PENDING if transport.configured(settings) else SKIPPED
        for name, transport in TRANSPORTS.items()
    }


def write_event(
    session: Session, monitor: Monitor, event: str, details: str, location: int, at: datetime, settings
) -> int:
    """Stage one event, snapshotting the monitor (its name may change, or it may be deleted later)."""
    row = AlertEvent(
        monitor_id=monitor.id,
        agent_id=location or None,
        event=event,
        monitor_name=monitor.name[:200],
        monitor_type=monitor.type,
        target=monitor.target[:2048],
        details=(details or "")[:500],
        created_at=at,
        attempts=0,
        **initial_states(settings),
    )
    session.add(row)
    session.flush()
    return row.id


def write_agent_event(session: Session, agent, event: str, at: datetime, settings) -> list[int]:
    """``agent_offline`` / ``agent_online``: an event about an agent, named like a monitor's so
    every channel can carry it (type ``agent``, target its last address)."""
    if not rules.agent_events(event, settings):
        return []
    details = (
        f"agent {agent.name or agent.uuid} sent nothing for {int((at - agent.last_seen_at).total_seconds())} s"
        if event == rules.EVENT_AGENT_OFFLINE
        else f"agent {agent.name or agent.uuid} is reporting again"
    )
    row = AlertEvent(
        monitor_id=None,
        agent_id=agent.id,
        event=event,
        monitor_name=(agent.name or agent.uuid)[:200],
        monitor_type="agent",
        target=(agent.address or agent.uuid)[:2048],
        details=details[:500],
        created_at=at,
        attempts=0,
        **initial_states(settings),
    )
    session.add(row)
    session.flush()
    return [row.id]


def _state_where(monitor_id: int, location: int):
    return (MonitorState.monitor_id == monitor_id, MonitorState.location == location)


def on_transition(session: Session, monitor: Monitor, transition: Transition, settings) -> list[int]:
    """Stage the events one state change causes (per ``rules.decide``); the caller commits.

    Call it with the session that recorded ``transition``, before its commit. Returns the new
    event ids, to be enqueued once the transaction has committed.
    """
    where = _state_where(monitor.id, transition.location)
    if maintenance.monitor_in_maintenance(session, monitor.id, transition.at):
        # Planned work: no event now, and the change is not "announced"; when the window is over,
        # ``announce_after_maintenance`` announces whatever still differs from what was last said.
        if transition.new == rules.DOWN:
            session.execute(
                update(MonitorState)
                .where(*where)
                .values(last_alert_at=None)
                .execution_options(synchronize_session=False)
            )
        return []
    ssl_warned = bool(session.scalar(select(MonitorState.ssl_warned).where(*where)))
    decision = rules.decide(transition, monitor.type, settings, ssl_warned)
    ids = [
        write_event(session, monitor, event, transition.details, transition.location, transition.at, settings)
        for event in decision.events
    ]
    values: dict = {"announced_status": transition.new}
    if decision.ssl_warned != ssl_warned:
        values["ssl_warned"] = decision.ssl_warned
    if rules.EVENT_DOWN in decision.events:
        values["last_alert_at"] = transition.at
    elif transition.new == rules.DOWN:
        values["last_alert_at"] = None  # down without an alert: reminders count from ``since``
    session.execute(
        update(MonitorState).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    return ids


def announce_after_maintenance(session: Session, settings, now: datetime) -> list[int]:
    """Stage the alerts held back by maintenance windows that are over; the caller commits.

    One query finds the locations whose state differs from the one last announced (only a change
    inside a window leaves them apart); each of those no longer in maintenance is announced as the
    change from the announced state to the current one (``rules.decide``: went down inside the
    window and is still down → "down"; came back up → "up"; went down and back up → nothing, the
    states match). A compare-and-set on ``announced_status`` makes two sweeps announce it once.
    """
    rows = session.execute(
        select(MonitorState, Monitor)
        .join(Monitor, Monitor.id == MonitorState.monitor_id)
        .where(
            Monitor.enabled.is_(True),
            MonitorState.location == func.coalesce(Monitor.agent_id, 0),
            or_(
                MonitorState.announced_status.is_(None), MonitorState.announced_status != MonitorState.status
            ),
        )
        .order_by(MonitorState.monitor_id)
    ).all()
    if not rows:
        return []
    windows = maintenance.load(session, now)
    ids: list[int] = []
    for state, monitor in rows:
        if maintenance.in_maintenance(windows, monitor.id, now):
            continue
        announced = state.announced_status
        seen = MonitorState.announced_status.is_not_distinct_from(announced)
        moved = session.execute(
            update(MonitorState)
            .where(*_state_where(state.monitor_id, state.location), MonitorState.status == state.status, seen)
            .values(announced_status=state.status)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            continue
        transition = Transition(
            monitor.id,
            state.location,
            announced or rules.UNKNOWN,
            state.status,
            f"{state.last_details or state.status} (after maintenance; {state.status} since {iso(state.since)})",
            None,
            now,
        )
        ids += on_transition(session, monitor, transition, settings)
    return ids


def remind(session: Session, settings, now: datetime) -> list[int]:
    """Stage a "down" reminder for each location due one (``repeated``); the caller commits.

    Each reminder moves ``last_alert_at`` by compare-and-set first, so two sweeps running at once
    write one reminder, and a monitor that came back up meanwhile gets none.
    """
    if settings.alert_type != "repeated":
        return []
    windows = maintenance.load(session, now)
    rows = session.execute(
        select(MonitorState, Monitor)
        .join(Monitor, Monitor.id == MonitorState.monitor_id)
        .where(
            MonitorState.status == rules.DOWN,
            Monitor.enabled.is_(True),
            # Only where the monitor is checked now: a state left behind by a move to an agent is stale.
            MonitorState.location == func.coalesce(Monitor.agent_id, 0),
        )
        .order_by(MonitorState.monitor_id)
    ).all()
    ids = []
    for state, monitor in rows:
        if not rules.reminder_due(state, settings, now) or maintenance.in_maintenance(
            windows, monitor.id, now
        ):
            continue
        seen = MonitorState.last_alert_at.is_not_distinct_from(state.last_alert_at)
        moved = session.execute(
            update(MonitorState)
            .where(*_state_where(state.monitor_id, state.location), MonitorState.status == rules.DOWN, seen)
            .values(last_alert_at=now)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:
            details = f"{state.last_details or 'down'} (down since {iso(state.since)})"
            ids.append(
                write_event(session, monitor, rules.EVENT_DOWN, details, state.location, now, settings)
            )
    return ids


# --- Delivery bookkeeping ------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """The right to send an event's pending channels until ``lease``."""

    event_id: int
    lease: datetime
    channels: tuple[str, ...]
    attempts: int
    created_at: datetime


def _any_pending():
    return or_(*(_state_column(c) == PENDING for c in CHANNELS))


def due_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Events with a pending channel that nobody holds and whose backoff is over, oldest first."""
    return list(
        session.scalars(
            select(AlertEvent.id)
            .where(
                _any_pending(), or_(AlertEvent.next_attempt_at.is_(None), AlertEvent.next_attempt_at <= now)
            )
            .order_by(AlertEvent.id)
            .limit(limit)
        )
    )


def _pending_channels(session: Session, event_id: int):
    row = session.execute(
        select(
            *(_state_column(c) for c in CHANNELS),
            AlertEvent.next_attempt_at,
            AlertEvent.attempts,
            AlertEvent.created_at,
        ).where(AlertEvent.id == event_id)
    ).one_or_none()
    if row is None:
        return None
    channels = tuple(c for c, state in zip(CHANNELS, row[: len(CHANNELS)], strict=True) if state == PENDING)
    return channels, row.next_attempt_at, row.attempts, row.created_at


def claim(session: Session, event_id: int, now: datetime) -> Claim | None:
    """Take the event for sending, or None when there is nothing due or another sender has it.

    Commits: the lease must be visible to other senders before anything is sent.
    """
    found = _pending_channels(session, event_id)
    session.rollback()
    if found is None:
        return None
    channels, seen, attempts, created_at = found
    if not channels or (seen is not None and seen > now):
        return None
    lease = now + LEASE
    unchanged = AlertEvent.next_attempt_at.is_not_distinct_from(seen)
    taken = session.execute(
        update(AlertEvent)
        .where(AlertEvent.id == event_id, unchanged, _any_pending())
        .values(next_attempt_at=lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if taken.rowcount != 1:
        return None
    # Read again under the lease: a sender that finished between our read and our claim has
    # already marked its channels, and those must not go out twice.
    channels, _, attempts, created_at = _pending_channels(session, event_id)
    session.rollback()
    return Claim(event_id, lease, channels, attempts, created_at)


def mark(session: Session, event_id: int, channel: str, state: str) -> None:
    """Record one channel's outcome at once (committed), so a later failure of another channel,
    or a crash, can't make this one go out again."""
    column = _state_column(channel)
    session.execute(
        update(AlertEvent)
        .where(AlertEvent.id == event_id, column == PENDING)
        .values({column: state})
        .execution_options(synchronize_session=False)
    )
    session.commit()


def release(session: Session, held: Claim, now: datetime, failures: dict[str, str]) -> bool:
    """End a claim: schedule the failed channels' retry, or give them up after ``GIVE_UP_AFTER``.

    Returns False when the lease had already run out and another sender took the event over; it
    then owns the bookkeeping and nothing is written here.
    """
    values: dict = {"next_attempt_at": now}
    if failures:
        attempts = held.attempts + 1
        values["attempts"] = attempts
        values["last_error"] = "; ".join(f"{c}: {reason}" for c, reason in failures.items())[:500]
        if now - held.created_at >= GIVE_UP_AFTER:
            values.update({f"{c}_state": FAILED for c in failures})
        else:
            values["next_attempt_at"] = now + backoff(attempts)
    released = session.execute(
        update(AlertEvent)
        .where(AlertEvent.id == held.event_id, AlertEvent.next_attempt_at == held.lease)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return released.rowcount == 1
