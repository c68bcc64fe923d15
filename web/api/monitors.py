"""/api/monitors: list, create, read, update, delete, defaults."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import delete as sql_delete
from sqlalchemy import select

from shared import channels, settings_store
from shared import monitors as monitor_rules
from shared.models import CURRENT_STATE, Agent, Monitor, MonitorState
from shared.schemas import DEFAULT_TIMEOUT_SECONDS, FieldErrors, MonitorIn, check_threshold_order
from shared.thresholds import resolve
from shared.validation import validate
from web.api import get_or_404, read_json_object
from web.auth import audit
from web.errors import ApiError
from web.extensions import db
from web.openapi import doc

bp = Blueprint("monitors", __name__, url_prefix="/api/monitors")

MONITOR_SCHEMA = {"$ref": "#/components/schemas/MonitorIn"}


def _with_state(query):
    """Monitors joined with the state at the location that checks them (one query, no N+1)."""
    return (
        query.add_columns(MonitorState, Agent.name)
        .outerjoin(MonitorState, CURRENT_STATE)
        .outerjoin(Agent, Agent.id == Monitor.agent_id)
    )


def _secret_key() -> bytes:
    return current_app.config["OT"].secret_key


def _push_args() -> dict:
    """Push URLs start with PUBLIC_URL when set, else with the address this request came to."""
    base = current_app.config["OT"].public_url or request.url_root
    return {"push_base": base, "secret_key": _secret_key()}


def _load(monitor_id: int) -> dict:
    row = db.session.execute(_with_state(select(Monitor)).where(Monitor.id == monitor_id)).first()
    routed = channels.channel_ids_by_monitor(db.session, [monitor_id]).get(monitor_id, [])
    return monitor_rules.serialize(row[0], row[1], agent_name=row[2], channel_ids=routed, **_push_args())


def validate_monitor(data: dict) -> MonitorIn:
    """API.md's rules, then those that need the database: thresholds in order once the system
    defaults fill the gaps, and an agent that exists and is approved."""
    monitor = validate(MonitorIn, data)
    defaults = settings_store.monitoring_defaults(db.session)
    resolved = resolve(monitor.thresholds.model_dump(), defaults).as_dict()
    if monitor.type == "heartbeat":
        # A heartbeat's thresholds judge its run time, only when set: the system defaults (network
        # latencies) don't apply, so only the given values must be in order (the schema checked that).
        resolved = {}
    errors = {
        f"thresholds.{k}": f"{v} (with the system defaults filled in)"
        for k, v in check_threshold_order(resolved).items()
    }
    if monitor.agent_id is not None:
        agent = db.session.get(Agent, monitor.agent_id)
        if agent is None or not agent.approved:
            errors["agent_id"] = "no approved agent has this id"
    missing = channels.unknown_ids(db.session, monitor.channel_ids or ())
    if missing:
        errors["channel_ids"] = f"no channel has the id {', '.join(str(i) for i in missing[:20])}"
    if errors:
        raise FieldErrors(errors)
    return monitor


@bp.get("")
@doc(
    "List all monitors with their latest status",
    response={"type": "array", "items": MONITOR_SCHEMA},
    tag="monitors",
)
def list_monitors():
    rows = db.session.execute(_with_state(select(Monitor)).order_by(Monitor.id)).all()
    push = _push_args()
    routed = channels.channel_ids_by_monitor(db.session)
    return jsonify(
        [
            monitor_rules.serialize(m, s, agent_name=a, channel_ids=routed.get(m.id), **push)
            for m, s, a in rows
        ]
    )


@bp.get("/defaults")
@doc("Default threshold values for new monitors (current system settings)", tag="monitors")
def defaults():
    values = settings_store.monitoring_defaults(db.session).as_dict()
    fields = MonitorIn.model_fields
    values.update(
        interval_seconds=fields["interval_seconds"].default,
        timeout_seconds=DEFAULT_TIMEOUT_SECONDS,
        grace_seconds=fields["grace_seconds"].default,
    )
    return jsonify(values)


@bp.post("")
@doc("Create a monitor", body=MonitorIn, response=MONITOR_SCHEMA, status=201, tag="monitors")
def create():
    data = validate_monitor(read_json_object())
    monitor = Monitor()
    monitor_rules.apply(monitor, data, _secret_key())
    db.session.add(monitor)
    db.session.flush()
    routed = data.channel_ids if data.channel_ids is not None else channels.default_ids(db.session)
    channels.set_monitor_channels(db.session, monitor.id, routed)
    audit.record(
        "monitor.create", f"monitor:{monitor.id}", name=monitor.name, type=monitor.type, target=monitor.target
    )
    db.session.commit()
    current_app.logger.info("monitor %s created (%s %s)", monitor.id, monitor.type, monitor.target)
    return jsonify(_load(monitor.id)), 201


@bp.get("/<int:monitor_id>")
@doc("Get one monitor", response=MONITOR_SCHEMA, tag="monitors")
def get(monitor_id: int):
    get_or_404(Monitor, monitor_id, "Monitor")
    return jsonify(_load(monitor_id))


@bp.put("/<int:monitor_id>")
@doc(
    "Update a monitor (omitted fields keep their value)",
    body=MonitorIn,
    response=MONITOR_SCHEMA,
    tag="monitors",
)
def update(monitor_id: int):
    monitor = get_or_404(Monitor, monitor_id, "Monitor")
    before = _audited(monitor)
    data = validate_monitor(merged_input(monitor, read_json_object()))
    monitor_rules.apply(monitor, data, _secret_key())
    if data.channel_ids is not None:
        channels.set_monitor_channels(db.session, monitor.id, data.channel_ids)
    if monitor.agent_id != before["agent_id"]:
        # Moved to another location: what any location knew is history, not its state now (a
        # move back must not revive a days-old "down" and alert on it).
        db.session.execute(sql_delete(MonitorState).where(MonitorState.monitor_id == monitor.id))
    audit.record(
        "monitor.update",
        f"monitor:{monitor.id}",
        name=monitor.name,
        changes=audit.changes(before, _audited(monitor)),
    )
    db.session.commit()
    return jsonify(_load(monitor_id))


def _audited(monitor: Monitor) -> dict:
    routed = channels.channel_ids_by_monitor(db.session, [monitor.id]).get(monitor.id, [])
    return {**monitor_rules.as_input(monitor), "channel_ids": routed}


def merged_input(monitor: Monitor, changes: dict) -> dict:
    """The stored monitor with a partial update merged in, as a create body (for validation)."""
    merged = monitor_rules.as_input(monitor)
    # Nested objects merge field by field too, so a PUT of {"http": {"keyword": "ok"}} keeps the
    # method and headers (and a basic-auth password, which is never read back, stays stored).
    for nested in ("thresholds", "http", "dns"):
        given, stored = changes.get(nested), merged.get(nested)
        if isinstance(given, dict) and isinstance(stored, dict):
            combined = {**stored, **given}
            if isinstance(given.get("basic_auth"), dict) and isinstance(stored.get("basic_auth"), dict):
                combined["basic_auth"] = {**stored["basic_auth"], **given["basic_auth"]}
            changes = {**changes, nested: combined}
    if changes.get("type", monitor.type) != monitor.type:
        # Another type: the old type's options don't carry over unless given again.
        for nested in ("http", "dns"):
            if nested not in changes:
                merged[nested] = None
    interval = changes.get("interval_seconds")
    if (
        "timeout_seconds" not in changes
        and isinstance(interval, int)
        and merged["timeout_seconds"] >= interval
    ):
        merged["timeout_seconds"] = None  # the stored timeout no longer fits: it follows the interval
    merged.update(changes)
    return merged


@bp.delete("/<int:monitor_id>")
@doc("Delete a monitor with its results and history", response={"type": "object"}, tag="monitors")
def delete(monitor_id: int):
    monitor = get_or_404(Monitor, monitor_id, "Monitor")
    audit.record(
        "monitor.delete", f"monitor:{monitor.id}", name=monitor.name, type=monitor.type, target=monitor.target
    )
    db.session.delete(monitor)
    db.session.commit()
    return jsonify({"deleted": monitor_id})


@bp.post("/<int:monitor_id>/push-token")
@doc(
    "Heartbeats: a new secret push URL; the old one stops working at once",
    response=MONITOR_SCHEMA,
    tag="monitors",
)
def regenerate_push_token(monitor_id: int):
    monitor = get_or_404(Monitor, monitor_id, "Monitor")
    if monitor.type != "heartbeat":
        raise ApiError(409, "Only heartbeat monitors have a push URL.", code="not_heartbeat")
    monitor_rules.new_push_token(monitor, _secret_key())
    audit.record("monitor.push_token", f"monitor:{monitor.id}", name=monitor.name)
    db.session.commit()
    return jsonify(_load(monitor_id))


@bp.post("/<int:monitor_id>/badge-key")
@doc(
    "Badges: a new badge key; the old badge URLs answer 404 at once",
    response=MONITOR_SCHEMA,
    tag="monitors",
)
def regenerate_badge_key(monitor_id: int):
    monitor = get_or_404(Monitor, monitor_id, "Monitor")
    monitor_rules.new_badge_key(monitor)
    audit.record("monitor.badge_key", f"monitor:{monitor.id}", name=monitor.name)
    db.session.commit()
    return jsonify(_load(monitor_id))
