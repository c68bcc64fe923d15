"""The 5-second dispatch: enqueue every server-side check due in the coming window.

It runs inside the single beat process (see ``worker.beat``), so checks are enqueued on time even
when every worker is busy, and enqueues each ``run_check`` with a ``countdown`` to its slot and an
``expires`` after which a check that could not start is dropped. How far it got is kept in the
database, so a restarted beat neither skips nor repeats slots.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from shared import monitors as monitor_rules
from shared import schedule, settings_store
from shared.models import CheckResult, Monitor, SchedulerState

log = logging.getLogger(__name__)

TICK_SECONDS = 5.0
LOOKAHEAD_SECONDS = 10.0
MAX_CATCHUP_SECONDS = 30.0
EXPIRY_GRACE_SECONDS = 90.0
WATERMARK = "dispatched_until"
#: Where the current unbroken run of dispatch windows began: slots before it (beat was down for
#: longer than the catch-up) were never sent, so nothing is owed for them.
DISPATCH_SINCE = "dispatched_since"


def due_checks(monitors, start: float, end: float) -> list[tuple[int, float, int]]:
    """(monitor id, slot, interval) for every slot in [start, end), in slot order."""
    due = [
        (monitor_id, slot, interval)
        for monitor_id, interval in monitors
        for slot in schedule.slots_between(monitor_id, interval, start, end)
    ]
    due.sort(key=lambda item: item[1])
    return due


def check_messages(session, monitor_ids) -> dict[int, dict]:
    """What each worker needs to check these monitors (``monitors.check_message``), read for the
    window's due monitors only: the worker then reads no monitor before its check."""
    defaults = settings_store.monitoring_defaults(session)
    ids = sorted(monitor_ids)
    messages = {}
    for chunk in range(0, len(ids), 5000):
        rows = session.execute(
            select(*monitor_rules.MESSAGE_COLUMNS).where(Monitor.id.in_(ids[chunk : chunk + 5000]))
        )
        messages.update((row.id, monitor_rules.check_message(row, defaults)) for row in rows)
    return messages


def dispatch_once(session, send, now: float | None = None) -> int:
    """Enqueue the checks of the next window and move the watermark; returns how many were sent.

    ``send(monitor_id, slot, countdown, expires, message)`` enqueues one check, ``message`` being
    what the check needs (see :func:`check_messages`).
    """
    now = time.time() if now is None else now
    state = session.get(SchedulerState, WATERMARK, with_for_update=True)
    start, end = schedule.dispatch_window(
        state.value if state else None, now, LOOKAHEAD_SECONDS, MAX_CATCHUP_SECONDS
    )
    monitors = session.execute(
        select(Monitor.id, Monitor.interval_seconds).where(
            Monitor.enabled.is_(True), Monitor.agent_id.is_(None), Monitor.type != "heartbeat"
        )
    ).all()
    due = due_checks(monitors, start, end)
    messages = check_messages(session, {monitor_id for monitor_id, _, _ in due})
    for monitor_id, slot, interval in due:
        send(
            monitor_id,
            slot,
            max(0.0, slot - now),
            schedule.check_expiry(slot, interval, EXPIRY_GRACE_SECONDS),
            messages.get(monitor_id),  # None: deleted meanwhile (the worker reads it)
        )
    if state is None or start > state.value:
        since = session.get(SchedulerState, DISPATCH_SINCE)
        if since is None:
            session.add(SchedulerState(name=DISPATCH_SINCE, value=start))
        else:
            since.value = start
    if state is None:
        session.add(SchedulerState(name=WATERMARK, value=end))
    else:
        state.value = end
    session.commit()
    return len(due)


# --- Re-dispatching what was lost -----------------------------------------------------------------

REDISPATCH_WATERMARK = "redispatched_until"
#: How long after its slot (beyond the monitor's timeout) a check's result must be there before
#: it is sent again: the countdown lag, a busy pool and the write, with room to spare.
REDISPATCH_AFTER_SECONDS = 15.0
#: After a long beat outage, slots further back than this are not re-sent (they expired anyway).
REDISPATCH_MAX_CATCHUP = 120.0


def server_uid(monitor_id: int, slot: float) -> str:
    return f"srv:{monitor_id}:{slot:.3f}"


def overdue_slots(monitors, start: float, end: float, since: float) -> list[tuple[int, float, int]]:
    """(monitor, slot, interval) whose result was due in [start, end): the slot plus the monitor's
    timeout plus :data:`REDISPATCH_AFTER_SECONDS` falls in the span. ``monitors`` are
    (id, interval, timeout, changed_at epoch) rows. Only slots that were dispatched are owed: none
    before ``since`` (the dispatch run's start), none within one dispatch window of the monitor's
    last change (created or re-enabled after the window that held them was sent)."""
    owed = []
    settle = LOOKAHEAD_SECONDS
    for monitor_id, interval, timeout, changed_at in monitors:
        wait = timeout + REDISPATCH_AFTER_SECONDS
        first = max(start - wait, changed_at + settle, since)
        for slot in schedule.slots_between(monitor_id, interval, first, end - wait):
            owed.append((monitor_id, slot, interval))
    return owed


def redispatch_missing(session, send, now: float | None = None) -> int:
    """Send again every server check whose result is overdue, whatever lost it: a worker killed
    while holding it (Redis would hand it on only after its visibility timeout, and kombu rescans
    even later), a broker restarted empty, a send that failed. Recording is idempotent by slot, so
    if the first delivery does run after all, nothing is stored twice. Each slot is re-sent once;
    the check still expires at its usual time. Returns how many were re-sent."""
    now = time.time() if now is None else now
    state = session.get(SchedulerState, REDISPATCH_WATERMARK, with_for_update=True)
    start = now if state is None else max(state.value, now - REDISPATCH_MAX_CATCHUP)
    monitors = session.execute(
        select(Monitor.id, Monitor.interval_seconds, Monitor.timeout_seconds, Monitor.updated_at).where(
            Monitor.enabled.is_(True), Monitor.agent_id.is_(None), Monitor.type != "heartbeat"
        )
    ).all()
    since = session.get(SchedulerState, DISPATCH_SINCE)
    if since is None:
        return 0  # nothing was ever dispatched
    owed = overdue_slots([(m, i, t, u.timestamp()) for m, i, t, u in monitors], start, now, since.value)
    missing = []
    for chunk in range(0, len(owed), 1000):
        part = owed[chunk : chunk + 1000]
        uids = {server_uid(m, s): (m, s, i) for m, s, i in part}
        present = set(session.scalars(select(CheckResult.uid).where(CheckResult.uid.in_(list(uids)))))
        missing += [item for uid, item in uids.items() if uid not in present]
    sent = 0
    for monitor_id, slot, interval in missing:
        expires = schedule.check_expiry(slot, interval, EXPIRY_GRACE_SECONDS)
        if expires > now:
            send(monitor_id, slot, 0.0, expires)
            sent += 1
    if state is None:
        session.add(SchedulerState(name=REDISPATCH_WATERMARK, value=now))
    else:
        state.value = now
    session.commit()
    if sent:
        log.warning("re-sent %d checks whose results were overdue (lost with a worker or the broker)", sent)
    return sent
