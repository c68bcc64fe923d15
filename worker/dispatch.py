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

from shared import schedule
from shared.models import Monitor, SchedulerState

log = logging.getLogger(__name__)

TICK_SECONDS = 5.0
LOOKAHEAD_SECONDS = 10.0
MAX_CATCHUP_SECONDS = 30.0
EXPIRY_GRACE_SECONDS = 90.0
WATERMARK = "dispatched_until"


def due_checks(monitors, start: float, end: float) -> list[tuple[int, float, int]]:
    """(monitor id, slot, interval) for every slot in [start, end), in slot order."""
    due = [
        (monitor_id, slot, interval)
        for monitor_id, interval in monitors
        for slot in schedule.slots_between(monitor_id, interval, start, end)
    ]
    due.sort(key=lambda item: item[1])
    return due


def dispatch_once(session, send, now: float | None = None) -> int:
    """Enqueue the checks of the next window and move the watermark; returns how many were sent.

    ``send(monitor_id, slot, countdown, expires)`` enqueues one check.
    """
    now = time.time() if now is None else now
    state = session.get(SchedulerState, WATERMARK, with_for_update=True)
    start, end = schedule.dispatch_window(
        state.value if state else None, now, LOOKAHEAD_SECONDS, MAX_CATCHUP_SECONDS
    )
    monitors = session.execute(
        select(Monitor.id, Monitor.interval_seconds).where(
            Monitor.enabled.is_(True), Monitor.agent_id.is_(None)
        )
    ).all()
    due = due_checks(monitors, start, end)
    for monitor_id, slot, interval in due:
        send(
            monitor_id,
            slot,
            max(0.0, slot - now),
            schedule.check_expiry(slot, interval, EXPIRY_GRACE_SECONDS),
        )
    if state is None:
        session.add(SchedulerState(name=WATERMARK, value=end))
    else:
        state.value = end
    session.commit()
    return len(due)
