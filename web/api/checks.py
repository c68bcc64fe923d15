"""Running a check now: for the unsaved form (Test button) and for a saved monitor. Stores nothing."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, jsonify, request

from shared import monitors as monitor_rules
from shared import settings_store
from shared.checks import run_check
from shared.models import Monitor, utcnow
from shared.schemas import MonitorIn
from shared.timefmt import iso
from web.api import get_or_404, read_json_object
from web.api.monitors import merged_input, validate_monitor
from web.errors import ApiError
from web.extensions import db
from web.openapi import doc

bp = Blueprint("checks", __name__, url_prefix="/api/monitors")

RESULT_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded", "down"]},
        "latency_ms": {"type": ["number", "null"]},
        "details": {"type": "string"},
        "days_left": {"type": ["integer", "null"]},
        "checked_at": {"type": "string"},
        "duration_ms": {"type": "number"},
    },
}


def _run(spec) -> dict:
    db.session.rollback()  # release the connection while the check waits on the network
    started = utcnow()
    t0 = time.perf_counter()
    outcome = run_check(spec)
    return {
        **outcome.as_dict(),
        "checked_at": iso(started),
        "duration_ms": round((time.perf_counter() - t0) * 1000, 1),
    }


@bp.post("/test")
@doc(
    "Check an unsaved monitor once now; nothing is stored",
    body=MonitorIn,
    response=RESULT_SCHEMA,
    tag="monitors",
)
def test_unsaved():
    data = validate_monitor(read_json_object())
    if data.type == "heartbeat":
        raise ApiError(422, "A heartbeat can't be tested from here: its job calls the push URL.")
    spec = monitor_rules.spec_from_input(data, settings_store.monitoring_defaults(db.session))
    return jsonify(_run(spec))


@bp.post("/<int:monitor_id>/test")
@doc(
    "Check a saved monitor once now, optionally with unsaved changes (a partial body, merged as a PUT "
    "would; a basic-auth password left out is the saved one); nothing is stored",
    response=RESULT_SCHEMA,
    tag="monitors",
)
def test_saved(monitor_id: int):
    monitor = get_or_404(Monitor, monitor_id, "Monitor")
    defaults = settings_store.monitoring_defaults(db.session)
    key = current_app.config["OT"].secret_key
    if request.get_data(cache=True).strip():
        data = validate_monitor(merged_input(monitor, read_json_object()))
        if data.type == "heartbeat":
            raise ApiError(422, "A heartbeat can't be tested from here: its job calls the push URL.")
        return jsonify(_run(monitor_rules.spec_from_input(data, defaults, stored=monitor, secret_key=key)))
    if monitor.type == "heartbeat":
        raise ApiError(422, "A heartbeat can't be tested from here: its job calls the push URL.")
    return jsonify(_run(monitor_rules.check_spec(monitor, defaults, key)))
