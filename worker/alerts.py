"""Celery tasks that deliver alert events from the outbox (queue ``alerts``, see celeryconfig).

``send_alert`` delivers one event as soon as the transaction that wrote it has committed;
``sweep_alerts`` (beat, every 30 s) delivers whatever is due: retries after a backoff, events whose
sender died, events whose ``send_alert`` was never enqueued (broker down), and writes the reminders
of ``repeated``. Both go through the outbox's claims, so running them at once, twice, or on several
workers sends each channel once. Settings are read on every run: a change applies without a restart.

The work is in plain functions taking a session factory, the secret key and ``now``, so tests drive
them directly (and move time forward) without a broker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from shared import settings_store
from shared.alerts import message, outbox
from shared.alerts.transports import TRANSPORTS, DeliveryError
from shared.crypto import SecretUnreadable
from shared.models import AlertEvent, utcnow
from worker import context
from worker.celery_app import app

log = logging.getLogger(__name__)

#: A sweep stops starting new deliveries after this long, so sweeps don't pile up behind a dead
#: mail server; what is left is due again at the next sweep.
SWEEP_BUDGET_SECONDS = 25.0
SWEEP_BATCH = 200


def load_settings(session: Session, secret_key: bytes, unreadable: list[str] | None = None):
    return settings_store.load_section(session, "alerts", secret_key, unreadable)


def unreadable_reason(names) -> str:
    return (
        f"the stored {', '.join(n.replace('_', ' ') for n in names)} can't be decrypted "
        "(was SECRET_KEY changed?); enter it again in Settings > Alerts"
    )


def deliver(
    sessions: sessionmaker, secret_key: bytes, event_id: int, now: datetime | None = None
) -> dict[str, str] | None:
    """Send every pending channel of one event, if it is due and nobody else is sending it.

    Returns each attempted channel's outcome (``sent``, ``skipped`` or the failure reason), or None
    when there was nothing to do.
    """
    now = now or utcnow()
    started = time.monotonic()
    with sessions() as session:
        held = outbox.claim(session, event_id, now)
        if held is None:
            return None
        unreadable: list[str] = []
        settings = load_settings(session, secret_key, unreadable)
        event = session.get(AlertEvent, event_id)
        if event is None:
            return None  # deleted (monitor purge) since the claim
        history = message.load_history(session, event) if settings.include_history == "24h" else None
        alert = message.Alert.from_event(event, message.agent_label(session, event.agent_id), history)
        session.rollback()  # hold no transaction open while talking to the network

        outcomes: dict[str, str] = {}
        failures: dict[str, str] = {}
        for channel in held.channels:
            transport = TRANSPORTS[channel]
            missing = [name for name in transport.secrets if name in unreadable]
            if missing:
                # This channel's failure is its own: the others still go out.
                failures[channel] = outcomes[channel] = unreadable_reason(missing)
                log.error("alert %s: %s not delivered: %s", event_id, channel, outcomes[channel])
                continue
            if not transport.configured(settings):
                outbox.mark(session, event_id, channel, outbox.SKIPPED)  # unconfigured since written
                outcomes[channel] = outbox.SKIPPED
                continue
            try:
                transport.send(alert, settings)
            except DeliveryError as exc:
                failures[channel] = outcomes[channel] = str(exc)
                log.warning("alert %s: %s not delivered: %s", event_id, channel, exc)
                continue
            except Exception as exc:  # a bug, not the peer: still retried, and given up after a day
                failures[channel] = outcomes[channel] = f"internal error ({type(exc).__name__})"
                log.exception("alert %s: %s failed unexpectedly", event_id, channel)
                continue
            outbox.mark(session, event_id, channel, outbox.SENT)
            outcomes[channel] = outbox.SENT
        finished = now + timedelta(seconds=time.monotonic() - started)
        if not outbox.release(session, held, finished, failures):
            log.warning("alert %s: lease ran out while sending; another sender took over", event_id)
    return outcomes


def sweep(sessions: sessionmaker, secret_key: bytes, now: datetime | None = None) -> list[int]:
    """Write due reminders, then deliver every due event (within the time budget).

    Returns the ids of the reminder events written.
    """
    now = now or utcnow()
    started = time.monotonic()
    with sessions() as session:
        reminders = outbox.remind(session, outbox.rules_settings(session), now)
        session.commit()
        due = outbox.due_ids(session, now, SWEEP_BATCH)
        session.rollback()
    for done, event_id in enumerate(due):
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            log.info("alert sweep: out of time, %d events left for the next sweep", len(due) - done)
            break
        try:
            deliver(sessions, secret_key, event_id, now + timedelta(seconds=time.monotonic() - started))
        except Exception:  # noqa: BLE001 - one event's failure must not stop the others
            log.exception("alert %s: delivery failed; the next sweep tries again", event_id)
    return reminders


@app.task(name="worker.send_alert", ignore_result=True)
def send_alert(event_id: int) -> None:
    """Deliver one event now; failures are left to the sweep, at the backoff the outbox set."""
    try:
        deliver(context.sessions(), context.config().secret_key, event_id)
    except SecretUnreadable as exc:
        log.error("alert %s not sent: %s", event_id, exc)


@app.task(name="worker.sweep_alerts", ignore_result=True)
def sweep_alerts() -> None:
    try:
        sweep(context.sessions(), context.config().secret_key)
    except SecretUnreadable as exc:
        log.error("alerts not sent: %s", exc)


def enqueue(event_ids: Iterable[int], send=None) -> None:
    """Ask the ``alerts`` queue to deliver these events; call only after their transaction commits.

    A broker that can't be reached is not an error here: the events are in the outbox and the next
    sweep delivers them. ``send`` replaces ``send_alert.apply_async`` (tests).
    """
    for event_id in event_ids:
        try:
            (send or send_alert.apply_async)((event_id,), retry=False)
        except Exception as exc:  # noqa: BLE001 - any broker failure: the sweep is the fallback
            log.warning("alert %s not enqueued (%s); the sweep will deliver it", event_id, type(exc).__name__)
