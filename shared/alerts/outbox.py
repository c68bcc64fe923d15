"""The alert outbox: events written with the state change, and the bookkeeping of their delivery.

Writing: :func:`on_transition` stages an ``AlertEvent`` and one ``AlertDelivery`` per channel the
event is routed to, in the caller's transaction, the one that records the state change, so a change
is never committed without its alerts nor an alert without its change (the outbox pattern). The
caller commits, then hands the event ids to ``worker.alerts.enqueue``.

Delivering: each delivery (one event to one channel) has its own state (``pending`` → ``sent`` |
``failed`` | ``skipped``) and ``next_attempt_at``, meaning "nobody may send this before then". A
sender claims a delivery by moving ``next_attempt_at`` into the future (a lease) with a
compare-and-set on the value it read, so of several senders exactly one wins; on failure it leaves
``next_attempt_at`` at the end of a backoff for the periodic sweep. A sender that dies holding a
lease only delays delivery until the lease runs out. Channels don't wait for each other: a dead
Slack doesn't hold back the email.

Guarantee: a delivery is sent again only if its sender died (or hung past the lease) between the
service accepting the message and the commit that marks it ``sent``, which is the one window no
outbox can close. Nothing is given up before :data:`GIVE_UP_AFTER` of retries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from shared import channels, maintenance, settings_store
from shared.alerts import rules
from shared.alerts.transports import TRANSPORTS
from shared.models import CURRENT_STATE, AlertDelivery, AlertEvent, Channel, Monitor, MonitorState
from shared.recording import Transition
from shared.schemas import AlertSettings
from shared.timefmt import iso

PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"
#: Longer than the slowest send (webhook 10 s; Apprise 30 s; SMTP 30 s per command), so a live
#: sender keeps it.
LEASE = timedelta(minutes=5)
#: Wait after the 1st, 2nd, … failed attempt; the last value repeats.
BACKOFF_SECONDS = (10, 30, 120, 600, 1800)
GIVE_UP_AFTER = timedelta(hours=24)


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


def _route(session: Session, event: AlertEvent, monitor_id: int | None, settings) -> None:
    """One delivery per channel that takes this event; a channel that can't send now (email with no
    SMTP server) is ``skipped`` with the reason, so the history says why nothing went out."""
    for channel in channels.routes(session, monitor_id, event.event):
        problem = TRANSPORTS[channel.kind].ready(settings)
        session.add(
            AlertDelivery(
                event_id=event.id,
                channel_id=channel.id,
                channel_name=channel.name,
                kind=channel.kind,
                state=SKIPPED if problem else PENDING,
                last_error=problem,
                attempts=0,
            )
        )


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
    )
    session.add(row)
    session.flush()
    _route(session, row, monitor.id, settings)
    return row.id


def write_agent_event(session: Session, agent, event: str, at: datetime, settings) -> list[int]:
    """``agent_offline`` / ``agent_online``: an event about an agent, named like a monitor's so
    every channel can carry it (type ``agent``, target its last address); it goes to the default
    channels, as no monitor routes it."""
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
    )
    session.add(row)
    session.flush()
    _route(session, row, None, settings)
    return [row.id]


def _state_where(monitor_id: int, location: int):
    return (MonitorState.monitor_id == monitor_id, MonitorState.location == location)


def on_transition(session: Session, monitor: Monitor, transition: Transition, settings) -> list[int]:
    """Stage the events one state change causes (per ``rules.decide``); the caller commits.

    Call it with the session that recorded ``transition``, before its commit. Returns the new
    event ids, to be enqueued once the transaction has committed.
    """
    where = _state_where(monitor.id, transition.location)
    policy = rules.policy_for(monitor, settings)
    # Held: down, but not yet ``confirm_checks`` times in a row. Planned work: inside a maintenance
    # window. Either way no event now and the change is not "announced" (the location keeps the
    # state last announced): the confirmation, or ``announce_after_maintenance`` once the window is
    # over, says what still differs; reminders of a down count from then.
    held = rules.held_for_confirmation(transition, policy)
    if held or maintenance.monitor_in_maintenance(session, monitor.id, transition.at):
        if transition.new == rules.DOWN:
            session.execute(
                update(MonitorState)
                .where(*where)
                .values(last_alert_at=None)
                .execution_options(synchronize_session=False)
            )
        return []
    state = session.execute(
        select(MonitorState.ssl_warned, MonitorState.announced_status).where(*where)
    ).first()
    ssl_warned, announced = (bool(state.ssl_warned), state.announced_status) if state else (False, None)
    if policy.confirm_checks > 1 and transition.old == rules.DOWN and announced != rules.DOWN:
        # The outage was never announced: judge the change from what was last said. When this is
        # the confirmation itself (down → down), one recorder wins the compare-and-set.
        if transition.new == rules.DOWN:
            seen = MonitorState.announced_status.is_not_distinct_from(announced)
            won = session.execute(
                update(MonitorState)
                .where(*where, seen)
                .values(announced_status=rules.DOWN)
                .execution_options(synchronize_session=False)
            )
            if won.rowcount != 1:
                return []
        transition = replace(transition, old=announced or rules.UNKNOWN)
    decision = rules.decide(transition, monitor.type, policy, ssl_warned)
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
        .join(Monitor, CURRENT_STATE)
        .where(
            Monitor.enabled.is_(True),
            or_(
                MonitorState.announced_status.is_(None), MonitorState.announced_status != MonitorState.status
            ),
            # An outage still waiting for its confirming checks is not news yet.
            or_(MonitorState.status != rules.DOWN, MonitorState.fail_streak >= Monitor.confirm_checks),
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
            state.fail_streak or 0,
        )
        ids += on_transition(session, monitor, transition, settings)
    return ids


def remind(session: Session, settings, now: datetime) -> list[int]:
    """Stage a "down" reminder for each location due one (``repeated``, the system's or the
    monitor's own); the caller commits.

    Each reminder moves ``last_alert_at`` by compare-and-set first, so two sweeps running at once
    write one reminder, and a monitor that came back up meanwhile gets none.
    """
    rows = session.execute(
        select(MonitorState, Monitor)
        # Only where the monitor is checked now: a state left behind by a move to an agent is stale.
        .join(Monitor, CURRENT_STATE)
        .where(
            MonitorState.status == rules.DOWN,
            Monitor.enabled.is_(True),
            MonitorState.fail_streak >= Monitor.confirm_checks,
        )
        .order_by(MonitorState.monitor_id)
    ).all()
    due = [(s, m) for s, m in rows if rules.reminder_due(s, rules.policy_for(m, settings), now)]
    if not due:
        return []
    windows = maintenance.load(session, now)
    ids = []
    for state, monitor in due:
        if maintenance.in_maintenance(windows, monitor.id, now):
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
    """The right to send one delivery until ``lease``."""

    delivery_id: int
    event_id: int
    channel_id: int | None
    channel_name: str
    kind: str
    lease: datetime
    attempts: int
    created_at: datetime


def _due():
    return AlertDelivery.state == PENDING


def due_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Pending deliveries that nobody holds and whose backoff is over, oldest first."""
    return list(
        session.scalars(
            select(AlertDelivery.id)
            .where(_due(), or_(AlertDelivery.next_attempt_at.is_(None), AlertDelivery.next_attempt_at <= now))
            .order_by(AlertDelivery.id)
            .limit(limit)
        )
    )


def pending_of(session: Session, event_id: int) -> list[int]:
    """An event's deliveries still pending, in channel order."""
    return list(
        session.scalars(
            select(AlertDelivery.id)
            .where(AlertDelivery.event_id == event_id, _due())
            .order_by(AlertDelivery.id)
        )
    )


def claim(session: Session, delivery_id: int, now: datetime) -> Claim | None:
    """Take the delivery for sending, or None when it is not due or another sender has it.

    Commits: the lease must be visible to other senders before anything is sent.
    """
    row = session.execute(
        select(
            AlertDelivery.state,
            AlertDelivery.next_attempt_at,
            AlertDelivery.attempts,
            AlertDelivery.event_id,
            AlertDelivery.channel_id,
            AlertDelivery.channel_name,
            AlertDelivery.kind,
            AlertEvent.created_at,
        )
        .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
        .where(AlertDelivery.id == delivery_id)
    ).one_or_none()
    session.rollback()
    if row is None or row.state != PENDING or (row.next_attempt_at is not None and row.next_attempt_at > now):
        return None
    lease = now + LEASE
    taken = session.execute(
        update(AlertDelivery)
        .where(
            AlertDelivery.id == delivery_id,
            _due(),
            AlertDelivery.next_attempt_at.is_not_distinct_from(row.next_attempt_at),
        )
        .values(next_attempt_at=lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if taken.rowcount != 1:
        return None
    return Claim(
        delivery_id,
        row.event_id,
        row.channel_id,
        row.channel_name,
        row.kind,
        lease,
        row.attempts,
        row.created_at,
    )


def _set_channel(session: Session, channel_id: int | None, **values) -> None:
    if channel_id is not None:
        session.execute(
            update(Channel)
            .where(Channel.id == channel_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def sent(session: Session, held: Claim, now: datetime) -> None:
    """Record the success at once (committed), so a crash can't make it go out again."""
    session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.id == held.delivery_id, _due())
        .values(state=SENT, sent_at=now, next_attempt_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    _set_channel(
        session, held.channel_id, last_sent_at=now, failing_since=None, failed_at=None, last_error=None
    )
    session.commit()


def skipped(session: Session, held: Claim, reason: str) -> None:
    session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.id == held.delivery_id, _due())
        .values(state=SKIPPED, last_error=reason[:500])
        .execution_options(synchronize_session=False)
    )
    session.commit()


def failed(session: Session, held: Claim, now: datetime, reason: str) -> bool:
    """Schedule the retry after the backoff, or give the delivery up after ``GIVE_UP_AFTER``.

    Returns False when the lease had already run out and another sender took the delivery over;
    it then owns the bookkeeping and nothing is written here.
    """
    attempts = held.attempts + 1
    values: dict = {"attempts": attempts, "last_error": reason[:500]}
    give_up = now - held.created_at >= GIVE_UP_AFTER
    if give_up:
        values.update(state=FAILED, next_attempt_at=now)
    else:
        values["next_attempt_at"] = now + backoff(attempts)
    released = session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.id == held.delivery_id, AlertDelivery.next_attempt_at == held.lease)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if released.rowcount == 1:
        channel = {"failing_since": func.coalesce(Channel.failing_since, now), "last_error": reason[:500]}
        if give_up:
            channel["failed_at"] = now
        _set_channel(session, held.channel_id, **channel)
    session.commit()
    return released.rowcount == 1
