"""Celery tasks: small, idempotent, taking ids (Celery's conventions)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from shared import alert_hook, recording, retention
from shared import monitors as monitor_rules
from shared.checks import run_check as run_one_check
from shared.models import Monitor, utcnow
from shared.timefmt import from_epoch
from worker import context
from worker.celery_app import app

log = logging.getLogger(__name__)


def server_uid(monitor_id: int, slot: float) -> str:
    return f"srv:{monitor_id}:{slot:.3f}"


@app.task(name="worker.run_check", ignore_result=True)
def run_check(monitor_id: int, slot: float) -> None:
    """Check one monitor for one slot and record it (once, whatever the redeliveries)."""
    sessions = context.sessions()
    with sessions() as session:
        monitor = session.get(Monitor, monitor_id)
        if monitor is None or not monitor.enabled or monitor.agent_id is not None:
            return  # deleted, paused or moved to an agent since it was dispatched
        spec = monitor_rules.check_spec(monitor, context.monitoring_defaults(session))
        session.rollback()  # don't hold a transaction open while the check runs
    started = utcnow()
    t0 = time.perf_counter()
    outcome = run_one_check(spec)
    log.debug(
        "monitor %s slot %s: %s in %.0f ms",
        monitor_id,
        slot,
        outcome.status,
        (time.perf_counter() - t0) * 1000,
    )
    with sessions() as session:
        monitor = session.get(Monitor, monitor_id)
        if monitor is None:
            return
        _, transition = recording.record(
            session, monitor, server_uid(monitor_id, slot), started, outcome, slot_at=from_epoch(slot)
        )
        event_ids = alert_hook.write_events(session, [(monitor, transition)] if transition else [])
        session.commit()
    alert_hook.enqueue(event_ids)


@app.task(name="worker.purge_old_data", ignore_result=True)
def purge_old_data() -> None:
    cfg = context.config()
    with context.sessions()() as session:
        removed = retention.purge(
            session, utcnow(), timedelta(days=cfg.result_retention_days), timedelta(days=cfg.session_days)
        )
    if any(removed.values()):
        log.info("retention: removed %s", ", ".join(f"{n} {k}" for k, n in removed.items()))
