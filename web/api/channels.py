"""/api/channels: notification channels (webhook, email, Apprise), their test, admins write.

A channel's URL is write-only: answered masked, and a PUT (or a test of edits) that sends the
masked text back keeps the stored URL. Viewers may list channels (masked) to see where alerts go.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import select

from shared import channels
from shared.alerts import message
from shared.alerts.transports import TRANSPORTS, attempt
from shared.crypto import SecretUnreadable
from shared.models import Channel
from shared.schemas import ChannelIn
from shared.validation import validate
from web.api import get_or_404, read_json_object
from web.api.alerts import saved_alert_settings
from web.auth import audit
from web.errors import ApiError
from web.extensions import db
from web.openapi import doc

bp = Blueprint("channels", __name__, url_prefix="/api/channels")

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": list(channels.KINDS)},
        "config": {"type": "object", "description": "{url} masked, or {to}"},
        "events": {"type": "array", "items": {"type": "string", "enum": list(channels.CHANNEL_EVENTS)}},
        "default": {"type": "boolean"},
        "monitor_count": {"type": "integer"},
        "service": {"type": "string"},
        "from_settings": {"type": ["string", "null"], "enum": ["webhook", "email", None]},
        "health": {
            "type": "object",
            "properties": {
                "state": {"type": "string", "enum": ["ok", "failing", "failed", "unused"]},
                "last_sent_at": {"type": ["string", "null"]},
                "last_error": {"type": ["string", "null"]},
                "failed_at": {"type": ["string", "null"]},
            },
        },
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
    },
}
TEST_RESULT = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}, "error": {"type": ["string", "null"]}},
}
UNREADABLE = "The stored URL can't be decrypted (was SECRET_KEY changed?); enter it again."


def _secret_key() -> bytes:
    return current_app.config["OT"].secret_key


def _with_stored_secret(data: dict, channel: Channel | None) -> dict:
    """The body with the masked URL replaced by the stored one (the client sent back what it read)."""
    config = data.get("config")
    if channel is None or channel.kind == "email" or not isinstance(config, dict):
        return data
    if config.get("url") != channel.masked or data.get("kind", channel.kind) != channel.kind:
        return data
    try:
        stored = channels.secret_of(channel, _secret_key())
    except SecretUnreadable:
        raise ApiError(409, UNREADABLE, {"config.url": "enter the URL again"}) from None
    return {**data, "config": {**config, "url": stored}}


def _as_input(channel: Channel) -> dict:
    """The stored channel as a body (URL masked): what a PUT merges its changes into."""
    return {
        "name": channel.name,
        "kind": channel.kind,
        "config": channels.public_config(channel),
        "events": channels.events_of(channel),
        "default": channel.is_default,
    }


def _merged(channel: Channel, changes: dict) -> dict:
    merged = {**_as_input(channel), **changes}
    if "kind" in changes and changes["kind"] != channel.kind and "config" not in changes:
        merged["config"] = {}  # another kind needs its own config
    return _with_stored_secret(merged, channel)


def _serialize(channel: Channel) -> dict:
    return channels.serialize(channel, channels.monitor_counts(db.session).get(channel.id, 0))


def _test(data: ChannelIn) -> dict:
    """Send a sample alert; the answer says whether the service took it, and why not."""
    transport = TRANSPORTS[data.kind]
    settings = saved_alert_settings()
    db.session.rollback()  # no transaction open while talking to the network
    problem = transport.ready(settings)
    if problem:
        return {"ok": False, "error": problem}
    target = data.config["to" if data.kind == "email" else "url"]
    sample = message.sample(f"A test notification for the channel {data.name!r}.")
    error = attempt(transport, sample, target, settings, current_app.config["OT"].public_url)
    return {"ok": error is None, "error": error}


def _audit_view(data: ChannelIn) -> dict:
    """What the audit trail keeps of a channel: never its URL."""
    shown = (
        {"to": data.config["to"]} if data.kind == "email" else {"url": channels.mask_url(data.config["url"])}
    )
    return {
        "name": data.name,
        "kind": data.kind,
        "config": shown,
        "events": data.events,
        "default": data.default,
    }


@bp.get("")
@doc("List notification channels (URLs masked)", response={"type": "object"}, tag="channels")
def list_channels():
    rows = db.session.scalars(select(Channel).order_by(Channel.name, Channel.id)).all()
    counts = channels.monitor_counts(db.session)
    return jsonify({"items": [channels.serialize(c, counts.get(c.id, 0)) for c in rows]})


@bp.post("")
@doc("Create a notification channel", body=ChannelIn, response=SCHEMA, status=201, tag="channels")
def create():
    data = validate(ChannelIn, read_json_object())
    channel = Channel()
    channels.apply(channel, data, _secret_key())
    db.session.add(channel)
    db.session.flush()
    if data.apply_to_existing:
        channels.give_to_every_monitor(db.session, channel.id)
    audit.record("channel.create", f"channel:{channel.id}", **_audit_view(data))
    db.session.commit()
    current_app.logger.info("channel %s created (%s)", channel.id, channel.kind)
    return jsonify(_serialize(channel)), 201


@bp.post("/test")
@doc(
    "Send a test notification through an unsaved channel",
    body=ChannelIn,
    response=TEST_RESULT,
    tag="channels",
)
def test_unsaved():
    return jsonify(_test(validate(ChannelIn, read_json_object())))


@bp.get("/<int:channel_id>")
@doc("Get one notification channel (URL masked)", response=SCHEMA, tag="channels")
def get(channel_id: int):
    return jsonify(_serialize(get_or_404(Channel, channel_id, "Channel")))


@bp.put("/<int:channel_id>")
@doc(
    "Update a notification channel; omitted fields keep their value, the masked URL keeps the stored one",
    body=ChannelIn,
    response=SCHEMA,
    tag="channels",
)
def update(channel_id: int):
    channel = get_or_404(Channel, channel_id, "Channel")
    changes = read_json_object()
    before = _as_input(channel)
    data = validate(ChannelIn, _merged(channel, changes))
    if channel.from_settings and data.kind != channel.kind:
        raise ApiError(
            422,
            "This channel is Settings > Alerts' own; its kind can't change.",
            {"kind": f"must stay {channel.kind}"},
        )
    channels.apply(channel, data, _secret_key())
    after = _audit_view(data)
    audit.record("channel.update", f"channel:{channel.id}", changes=audit.changes(before, after))
    db.session.commit()
    return jsonify(_serialize(channel))


@bp.delete("/<int:channel_id>")
@doc("Delete a notification channel; its pending deliveries are skipped", status=204, tag="channels")
def delete(channel_id: int):
    channel = get_or_404(Channel, channel_id, "Channel")
    audit.record("channel.delete", f"channel:{channel.id}", name=channel.name, kind=channel.kind)
    db.session.delete(channel)
    db.session.commit()
    return "", 204


@bp.post("/<int:channel_id>/test")
@doc(
    "Send a test notification through a saved channel, with unsaved edits if a body is given",
    body=ChannelIn,
    response=TEST_RESULT,
    tag="channels",
)
def test_saved(channel_id: int):
    from flask import request

    channel = get_or_404(Channel, channel_id, "Channel")
    changes = read_json_object() if request.get_data(cache=True).strip() else {}
    return jsonify(_test(validate(ChannelIn, _merged(channel, changes))))
