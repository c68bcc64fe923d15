"""Alerts in the admin API: send a test alert over every channel, and list recent alert events."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from shared import channels, settings_store
from shared.alerts import message
from shared.alerts.transports import TRANSPORTS, attempt
from shared.crypto import SecretUnreadable
from shared.models import Agent, AlertDelivery, AlertEvent, Channel
from shared.timefmt import iso
from web.api import query_int
from web.errors import ApiError
from web.extensions import db
from web.openapi import doc

bp = Blueprint("alerts", __name__)

CHANNEL_RESULT = {
    "type": "object",
    "properties": {
        "ok": {"type": "boolean"},
        "error": {"type": ["string", "null"]},
        "skipped": {"type": "boolean"},
    },
}
DELIVERY = {
    "type": "object",
    "properties": {
        "channel_id": {"type": ["integer", "null"]},
        "channel": {"type": "string"},
        "kind": {"type": "string"},
        "state": {"type": "string", "enum": ["pending", "sent", "failed", "skipped"]},
        "attempts": {"type": "integer"},
        "last_error": {"type": ["string", "null"]},
        "next_attempt_at": {"type": ["string", "null"]},
        "sent_at": {"type": ["string", "null"]},
    },
}
ALERT_EVENT = {
    "type": "object",
    "properties": {
        **{
            name: {"type": kind}
            for name, kind in {
                "id": "integer",
                "monitor_id": ["integer", "null"],
                "monitor": "string",
                "type": "string",
                "target": "string",
                "event": "string",
                "details": "string",
                "agent_id": ["integer", "null"],
                "agent": "string",
                "created_at": "string",
                "webhook_state": "string",
                "email_state": "string",
                "attempts": "integer",
                "last_error": ["string", "null"],
                "next_attempt_at": ["string", "null"],
            }.items()
        },
        "deliveries": {"type": "array", "items": DELIVERY},
    },
}
#: Settings > Alerts' test sends to its two channels, named as before.
SLOT_RESULTS = tuple(channels.SETTINGS_SLOTS)


def saved_alert_settings():
    """Settings > Alerts with the SMTP password, for a test send; 409 when it can't be decrypted."""
    try:
        return settings_store.load_section(db.session, "alerts", current_app.config["OT"].secret_key)
    except SecretUnreadable:
        raise ApiError(
            409, "The saved SMTP password can't be decrypted (was SECRET_KEY changed?); enter it again."
        ) from None


@bp.post("/api/settings/alerts/test")
@doc(
    "Send a test webhook and a test email to the channels of Settings > Alerts",
    response={"type": "object", "properties": {name: CHANNEL_RESULT for name in SLOT_RESULTS}},
    tag="settings",
)
def send_test():
    secret_key = current_app.config["OT"].secret_key
    settings = saved_alert_settings()
    targets = {}
    for slot in SLOT_RESULTS:
        channel = channels.settings_slot(db.session, slot)
        if channel is None or TRANSPORTS[slot].ready(settings):
            continue
        try:
            targets[slot] = channels.target_of(channel, secret_key)
        except SecretUnreadable:
            targets[slot] = None
    db.session.rollback()  # no transaction open while talking to the network
    alert = message.sample("A test alert sent from Settings > Alerts.")
    results = {}
    for name in SLOT_RESULTS:
        if name not in targets:
            results[name] = {"ok": False, "error": None, "skipped": True}
            continue
        if targets[name] is None:
            results[name] = {
                "ok": False,
                "error": "the stored URL can't be decrypted; enter it again",
                "skipped": False,
            }
            continue
        error = attempt(TRANSPORTS[name], alert, targets[name], settings, current_app.config["OT"].public_url)
        results[name] = {"ok": error is None, "error": error, "skipped": False}
    current_app.logger.info(
        "test alert: %s", ", ".join(f"{n} {'ok' if r['ok'] else 'not sent'}" for n, r in results.items())
    )
    return jsonify(results)


def _delivery(row: AlertDelivery) -> dict:
    return {
        "channel_id": row.channel_id,
        "channel": row.channel_name,
        "kind": row.kind,
        "state": row.state,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "next_attempt_at": iso(row.next_attempt_at) if row.state == "pending" else None,
        "sent_at": iso(row.sent_at),
    }


def serialize_event(
    event: AlertEvent, agent_names: dict[int, str], deliveries: list[AlertDelivery], slots: dict[int, str]
) -> dict:
    """With each channel's delivery; ``webhook_state`` / ``email_state`` (API.md before channels)
    are the states of the Settings > Alerts channels, "skipped" when the event didn't go there."""
    by_slot = {slots[d.channel_id]: d for d in deliveries if d.channel_id in slots}
    pending = [d.next_attempt_at for d in deliveries if d.state == "pending" and d.next_attempt_at]
    errors = [f"{d.channel_name}: {d.last_error}" for d in deliveries if d.last_error and d.state != "sent"]
    return {
        "id": event.id,
        "monitor_id": event.monitor_id,
        "monitor": event.monitor_name,
        "type": event.monitor_type,
        "target": event.target,
        "event": event.event,
        "details": event.details,
        "agent_id": event.agent_id,
        "agent": agent_names.get(event.agent_id)
        or (f"agent {event.agent_id}" if event.agent_id else "server"),
        "created_at": iso(event.created_at),
        "webhook_state": by_slot["webhook"].state if "webhook" in by_slot else "skipped",
        "email_state": by_slot["email"].state if "email" in by_slot else "skipped",
        "attempts": max((d.attempts for d in deliveries), default=0),
        "last_error": "; ".join(errors)[:500] or None,
        "next_attempt_at": iso(min(pending)) if pending else None,
        "deliveries": [_delivery(d) for d in deliveries],
    }


@bp.get("/api/alerts")
@doc(
    "Recent alert events, newest first, with each channel's delivery state",
    response={"type": "object", "properties": {"items": {"type": "array", "items": ALERT_EVENT}}},
    params={"limit": {"type": "integer", "minimum": 1, "maximum": 500}, "monitor_id": {"type": "integer"}},
    tag="alerts",
)
def list_events():
    limit = query_int("limit", 50, 1, 500)
    monitor_id = query_int("monitor_id", 0, 1, 2**31 - 1) if "monitor_id" in request.args else None
    query = select(AlertEvent).order_by(AlertEvent.created_at.desc(), AlertEvent.id.desc()).limit(limit)
    if monitor_id is not None:
        query = query.where(AlertEvent.monitor_id == monitor_id)
    events = db.session.scalars(query).all()
    agent_ids = {e.agent_id for e in events if e.agent_id}
    names = dict(db.session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(agent_ids))).all())
    names = {k: message.one_line(v) for k, v in names.items() if v}
    deliveries: dict[int, list[AlertDelivery]] = {}
    rows = db.session.scalars(
        select(AlertDelivery)
        .where(AlertDelivery.event_id.in_([e.id for e in events]))
        .order_by(AlertDelivery.id)
    )
    for row in rows:
        deliveries.setdefault(row.event_id, []).append(row)
    slots = dict(
        db.session.execute(
            select(Channel.id, Channel.from_settings).where(Channel.from_settings.is_not(None))
        ).all()
    )
    return jsonify({"items": [serialize_event(e, names, deliveries.get(e.id, []), slots) for e in events]})
