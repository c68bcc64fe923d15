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

from shared import channels, settings_store
from shared.alerts import message, outbox
from shared.alerts.transports import TRANSPORTS, attempt
from shared.crypto import SecretUnreadable
from shared.models import AlertEvent, Channel, utcnow
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


UNREADABLE_URL = (
    "the stored URL can't be decrypted (was SECRET_KEY changed?); enter it again in Settings > Notifications"
)


def deliver_one(
    sessions: sessionmaker,
    secret_key: bytes,
    delivery_id: int,
    now: datetime | None = None,
    public_url: str | None = None,
) -> tuple[str, str] | None:
    """Send one delivery, if it is due and nobody else is sending it.

    Returns ``(channel name, outcome)``: ``sent``, ``skipped`` or the failure reason; None when
    there was nothing to do.
    """
    now = now or utcnow()
    started = time.monotonic()
    with sessions() as session:
        held = outbox.claim(session, delivery_id, now)
        if held is None:
            return None
        event = session.get(AlertEvent, held.event_id)
        channel = session.get(Channel, held.channel_id) if held.channel_id is not None else None
        if event is None:
            return None  # deleted with its event (retention) since the claim
        if channel is None:
            outbox.skipped(session, held, "the channel was deleted")
            return held.channel_name, outbox.SKIPPED
        transport = TRANSPORTS[channel.kind]
        unreadable: list[str] = []
        settings = load_settings(session, secret_key, unreadable)
        reason = None
        missing = [name for name in getattr(transport, "secrets", ()) if name in unreadable]
        try:
            target = channels.target_of(channel, secret_key)
        except SecretUnreadable:
            target, reason = "", UNREADABLE_URL
        if missing:
            reason = unreadable_reason(missing)
        problem = transport.ready(settings)
        if problem:
            outbox.skipped(session, held, problem)  # e.g. the SMTP server was removed since
            return held.channel_name, outbox.SKIPPED
        wants_history = channel.kind == "email" and settings.include_history == "24h"
        history = message.load_history(session, event) if wants_history else None
        alert = message.Alert.from_event(event, message.agent_label(session, event.agent_id), history)
        name = channel.name
        session.rollback()  # hold no transaction open while talking to the network

        if reason is None:
            reason = attempt(transport, alert, target, settings, public_url)
        finished = now + timedelta(seconds=time.monotonic() - started)
        if reason is None:
            outbox.sent(session, held, finished)
            return name, outbox.SENT
        log.warning("alert %s: %s (%s) not delivered: %s", held.event_id, name, channel.kind, reason)
        if not outbox.failed(session, held, finished, reason):
            log.warning(
                "alert %s: lease ran out while sending to %s; another sender took over", held.event_id, name
            )
        return name, reason


def deliver(
    sessions: sessionmaker,
    secret_key: bytes,
    event_id: int,
    now: datetime | None = None,
    public_url: str | None = None,
) -> dict[str, str] | None:
    """Send every pending delivery of one event; each channel is claimed and marked on its own.

    Returns each attempted channel's outcome by channel name, or None when there was nothing to do.
    """
    now = now or utcnow()
    started = time.monotonic()
    with sessions() as session:
        ids = outbox.pending_of(session, event_id)
        session.rollback()
    outcomes: dict[str, str] = {}
    for delivery_id in ids:
        at = now + timedelta(seconds=time.monotonic() - started)
        done = deliver_one(sessions, secret_key, delivery_id, at, public_url)
        if done is not None:
            outcomes[done[0]] = done[1]
    return outcomes or None


def sweep(
    sessions: sessionmaker, secret_key: bytes, now: datetime | None = None, public_url: str | None = None
) -> list[int]:
    """Write due reminders, then deliver every due delivery (within the time budget).

    Returns the ids of the reminder events written.
    """
    now = now or utcnow()
    started = time.monotonic()
    with sessions() as session:
        reminders = outbox.remind(session, outbox.rules_settings(session), now)
        session.commit()
        due = outbox.due_ids(session, now, SWEEP_BATCH)
        session.rollback()
    for done, delivery_id in enumerate(due):
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            log.info("alert sweep: out of time, %d deliveries left for the next sweep", len(due) - done)
            break
        try:
            at = now + timedelta(seconds=time.monotonic() - started)
            deliver_one(sessions, secret_key, delivery_id, at, public_url)
        except Exception:  # noqa: BLE001 - one delivery's failure must not stop the others
            log.exception("alert delivery %s failed; the next sweep tries again", delivery_id)
    return reminders


@app.task(name="worker.send_alert", ignore_result=True)
def send_alert(event_id: int) -> None:
    """Deliver one event now; failures are left to the sweep, at the backoff the outbox set."""
    try:
        config = context.config()
        deliver(context.sessions(), config.secret_key, event_id, public_url=config.public_url)
    except SecretUnreadable as exc:
        log.error("alert %s not sent: %s", event_id, exc)


@app.task(name="worker.sweep_alerts", ignore_result=True)
def sweep_alerts() -> None:
    try:
        config = context.config()
        sweep(context.sessions(), config.secret_key, public_url=config.public_url)
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
