"""Celery tasks: small, idempotent, taking ids (Celery's conventions)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import NamedTuple

from celery.signals import worker_shutting_down
from sqlalchemy.exc import IntegrityError

from shared import alert_hook, recording, retention
from shared import monitors as monitor_rules
from shared.checks import CheckSpec
from shared.checks import run_check as run_one_check
from shared.db import first_line, is_unavailable
from shared.models import Monitor, utcnow
from shared.timefmt import from_epoch
from worker import alert_queue, context
from worker.celery_app import app
from worker.dispatch import server_uid

log = logging.getLogger(__name__)


_shutting_down = threading.Event()


@worker_shutting_down.connect
def _on_shutdown(**_kwargs) -> None:
    _shutting_down.set()


class DatabaseGone(Exception):
    """The database stayed away until the check's expiry; beat re-sends what has no result."""


def with_database(work, deadline: float, what: str):
    """Run ``work()`` (one transaction), retrying with backoff while the database is unavailable,
    until ``deadline`` (epoch seconds) or the worker stops. Returns its value, or raises
    :class:`DatabaseGone` when it never got through: a short outage costs a late write, not a
    lost result, and a long one ends in one log line instead of a traceback per check."""
    wait = 0.5
    while True:
        try:
            return work()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            if time.time() + wait > deadline or _shutting_down.is_set():
                log.warning(
                    "%s given up: database unavailable until the check expired (%s)", what, first_line(exc)
                )
                raise DatabaseGone() from None
            log.info("%s: database unavailable (%s); retrying in %.1f s", what, first_line(exc), wait)
            _shutting_down.wait(wait)
            wait = min(wait * 2, 8.0)


def _deadline(request, slot: float) -> float:
    expires = getattr(request, "expires", None)
    if isinstance(expires, str):
        try:
            return datetime.fromisoformat(expires).timestamp()
        except ValueError:
            pass
    if isinstance(expires, datetime):
        return expires.timestamp()
    return slot + 90.0


class Checked(NamedTuple):
    """The monitor as its check saw it: what recording needs, and its ``updated_at`` then."""

    id: int
    confirm_checks: int
    updated_at: datetime


#: A monitor edited again and again while its check runs is read (and checked) this many times.
MAX_READS = 3


def _read_monitor(monitor_id: int) -> tuple[CheckSpec, Checked] | None:
    """The check of a monitor as it is now; None if it is no longer the server's to check."""
    with context.sessions()() as session:
        monitor = session.get(Monitor, monitor_id)
        if monitor is None or not monitor.enabled or monitor.agent_id is not None:
            return None  # deleted, paused or moved to an agent since it was dispatched
        if monitor.type == "heartbeat":
            return None  # turned into a heartbeat since: those are judged by beat, not checked
        defaults = context.monitoring_defaults(session)
        spec = monitor_rules.check_spec(monitor, defaults, context.config().secret_key)
        return spec, Checked(monitor.id, monitor.confirm_checks or 1, monitor.updated_at)


def _record(checked: Checked, slot: float, started: datetime, outcome) -> list[int]:
    """One transaction: the result (raises ``MonitorChanged`` if the monitor changed since
    ``checked``) and, on a change of state, its alert events, whose ids are returned."""
    with context.sessions()() as session:
        try:
            _, transition = recording.record(
                session,
                checked,
                server_uid(checked.id, slot),
                started,
                outcome,
                slot_at=from_epoch(slot),
                unchanged_since=checked.updated_at,
            )
        except IntegrityError:
            raise recording.MonitorChanged() from None  # deleted while recording
        event_ids = []
        if transition is not None:  # rare: the alert rules need the whole monitor
            monitor = session.get(Monitor, checked.id)
            event_ids = alert_hook.write_events(session, [(monitor, transition)])
        session.commit()
        return event_ids


@app.task(name="worker.run_check", ignore_result=True, bind=True)
def run_check(self, monitor_id: int, slot: float, message: dict | None = None) -> None:
    """Check one monitor for one slot and record it (once, whatever the redeliveries).

    ``message`` (``monitors.check_message``, sent by beat) carries what the check needs, so the
    monitor is not read before it; without one (a re-sent check, a task from before an upgrade) it
    is read. Either way the result is recorded only if the monitor is unchanged since: edited
    meanwhile, it is read again and checked again unless its check is the same; deleted, paused,
    moved to an agent or made a heartbeat, nothing is recorded.

    The result is recorded at the time the check ran (``checked_at``), its slot kept in the uid for
    idempotency; a check that can't start before its expiry is dropped by Celery, never run late
    as if on time. While PostgreSQL is away the read and the write are retried until the expiry.
    """
    deadline = _deadline(self.request, slot)
    label = f"monitor {monitor_id} slot {slot:.3f}"
    spec, checked, outcome = None, None, None
    if message is not None:
        spec = monitor_rules.spec_from_message(message, context.config().secret_key)
        updated_at = datetime.fromisoformat(message["updated_at"])
        checked = Checked(monitor_id, message["confirm_checks"], updated_at)
    for _ in range(MAX_READS):
        if checked is None:
            try:
                loaded = with_database(
                    lambda: _read_monitor(monitor_id), deadline, f"{label}: reading the monitor"
                )
            except DatabaseGone:
                return
            if loaded is None:
                return
            fresh, checked = loaded
            if outcome is not None and (fresh != spec or fresh.options != spec.options):
                outcome = None  # edited in a way that changes the check: check it again
            spec = fresh
        if outcome is None:
            started = utcnow()
            t0 = time.perf_counter()
            outcome = run_one_check(spec)
            log.debug("%s: %s in %.0f ms", label, outcome.status, (time.perf_counter() - t0) * 1000)
        try:
            event_ids = with_database(
                lambda: _record(checked, slot, started, outcome),  # noqa: B023 (called at once)
                max(deadline, time.time() + 5),
                f"{label}: recording the result",
            )
        except DatabaseGone:
            return
        except recording.MonitorChanged:
            checked = None  # read it again
            continue
        alert_queue.enqueue(event_ids)
        return
    log.warning("%s: not recorded, the monitor kept changing while it was checked", label)


@app.task(name="worker.purge_old_data", ignore_result=True)
def purge_old_data() -> None:
    """Hourly: old rows deleted, old result days dropped and the coming ones made (PostgreSQL)."""
    cfg = context.config()
    with context.sessions()() as session:
        removed = retention.purge(
            session, utcnow(), timedelta(days=cfg.result_retention_days), timedelta(days=cfg.session_days)
        )
    if any(removed.values()):
        log.info("retention: removed %s", ", ".join(f"{n} {k}" for k, n in removed.items()))
