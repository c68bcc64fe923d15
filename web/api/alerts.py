"""Alerts in the admin API: send a test alert over every channel, and list recent alert events."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from shared import settings_store
from shared.alerts import message
from shared.alerts.transports import TRANSPORTS, DeliveryError
from shared.crypto import SecretUnreadable
from shared.models import Agent, AlertEvent, utcnow
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
ALERT_EVENT = {
    "type": "object",
    "properties": {
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
}


def sample_alert() -> message.Alert:
    return message.Alert(
        monitor="OnlineTracker test",
        type="test",
        target="",
        event="test",
        details="A test alert sent from Settings > Alerts.",
        timestamp=utcnow(),
    )


@bp.post("/api/settings/alerts/test")
@doc(
    "Send a test webhook and a test email with the saved alert settings",
    response={"type": "object", "properties": {name: CHANNEL_RESULT for name in TRANSPORTS}},
    tag="settings",
)
def send_test():
    try:
        settings = settings_store.load_section(db.session, "alerts", current_app.config["OT"].secret_key)
    except SecretUnreadable:
        raise ApiError(
            409, "The saved SMTP password can't be decrypted (was SECRET_KEY changed?); enter it again."
        ) from None
    db.session.rollback()  # no transaction open while talking to the network
    alert = sample_alert()
    results = {}
    for name, transport in TRANSPORTS.items():
        if not transport.configured(settings):
            results[name] = {"ok": False, "error": None, "skipped": True}
            continue
        try:
            transport.send(alert, settings)
        except DeliveryError as exc:
            results[name] = {"ok": False, "error": str(exc), "skipped": False}
        except Exception as exc:  # a bug: say so in the answer and keep the other channel's result
            current_app.logger.exception("test alert: %s failed unexpectedly", name)
            results[name] = {"ok": False, "error": f"internal error ({type(exc).__name__})", "skipped": False}
        else:
            results[name] = {"ok": True, "error": None, "skipped": False}
    current_app.logger.info(
        "test alert: %s", ", ".join(f"{n} {'ok' if r['ok'] else 'not sent'}" for n, r in results.items())
    )
    return jsonify(results)


def serialize_event(event: AlertEvent, agent_names: dict[int, str]) -> dict:
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
        "webhook_state": event.webhook_state,
        "email_state": event.email_state,
        "attempts": event.attempts,
        "last_error": event.last_error,
        "next_attempt_at": iso(event.next_attempt_at),
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
    return jsonify({"items": [serialize_event(e, names) for e in events]})
