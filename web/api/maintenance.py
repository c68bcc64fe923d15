"""/api/maintenance: planned maintenance windows (admins only, audited).

Validation beyond the schema: the monitors must exist, and a one-off window must not overlap
another one-off window over a common monitor (recurring windows are not compared).
"""

from __future__ import annotations

import json

from flask import Blueprint, jsonify
from sqlalchemy import select

from shared import maintenance
from shared.models import MaintenanceWindow, Monitor, utcnow
from shared.schemas import FieldErrors, MaintenanceIn
from shared.timefmt import iso
from shared.validation import validate
from web.api import get_or_404, read_json_object
from web.auth import audit
from web.errors import ApiError
from web.extensions import db
from web.openapi import doc

bp = Blueprint("maintenance", __name__, url_prefix="/api/maintenance")

SCHEMA = {"$ref": "#/components/schemas/MaintenanceIn"}
UPCOMING = 3


def serialize(row: MaintenanceWindow, now) -> dict:
    window = maintenance.from_row(row)
    return {
        "id": row.id,
        "title": row.title,
        "all_monitors": window.all_monitors,
        "monitor_ids": None if window.all_monitors else sorted(window.monitor_ids),
        "start": iso(row.starts_at),
        "end": iso(row.ends_at),
        "recurrence": window.recurrence,
        "active": maintenance.active(window, now) is not None,
        "next": [{"start": iso(s), "end": iso(e)} for s, e in maintenance.upcoming(window, now, UPCOMING)],
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def _as_input(row: MaintenanceWindow) -> dict:
    return {
        "title": row.title,
        "monitor_ids": None if row.all_monitors else json.loads(row.monitor_ids or "[]"),
        "all_monitors": row.all_monitors,
        "start": iso(row.starts_at),
        "end": iso(row.ends_at),
        "recurrence": json.loads(row.recurrence) if row.recurrence else None,
    }


def _validate(data: dict, window_id: int | None) -> MaintenanceIn:
    window = validate(MaintenanceIn, data)
    if window.monitor_ids:
        known = set(db.session.scalars(select(Monitor.id).where(Monitor.id.in_(window.monitor_ids))))
        missing = [i for i in window.monitor_ids if i not in known]
        if missing:
            shown = ", ".join(str(i) for i in missing[:20])
            raise FieldErrors({"monitor_ids": f"no monitor has the id {shown}"})
    if window.recurrence is None:
        candidate = maintenance.Window(
            0, window.all_monitors, frozenset(window.monitor_ids or ()), window.start, window.end
        )
        others = db.session.scalars(
            select(MaintenanceWindow).where(
                MaintenanceWindow.recurrence.is_(None),
                MaintenanceWindow.starts_at < window.end,
                MaintenanceWindow.ends_at > window.start,
            )
        )
        for other in others:
            if other.id != window_id and maintenance.overlapping(candidate, maintenance.from_row(other)):
                message = (
                    f"This window overlaps maintenance window {other.id} ({other.title!r}, "
                    f"{iso(other.starts_at)} to {iso(other.ends_at)}) for the same monitor; "
                    "change the times or extend that window instead."
                )
                raise ApiError(422, message, {"start": f"overlaps maintenance window {other.id}"})
    return window


def _apply(row: MaintenanceWindow, data: MaintenanceIn) -> None:
    row.title = data.title
    row.all_monitors = data.all_monitors
    row.monitor_ids = json.dumps([] if data.all_monitors else data.monitor_ids)
    row.starts_at = data.start
    row.ends_at = data.end
    row.recurrence = (
        json.dumps(data.recurrence.model_dump(exclude_none=True)) if data.recurrence is not None else None
    )


def _commit() -> None:
    db.session.commit()
    maintenance.forget(db.session)


@bp.get("")
@doc(
    "List maintenance windows, each with whether it is active now and its next occurrences",
    response={"type": "array", "items": SCHEMA},
    tag="maintenance",
)
def list_windows():
    now = utcnow()
    rows = db.session.scalars(select(MaintenanceWindow).order_by(MaintenanceWindow.id))
    return jsonify([serialize(r, now) for r in rows])


@bp.post("")
@doc(
    "Create a maintenance window (one-off or recurring)",
    body=MaintenanceIn,
    response=SCHEMA,
    status=201,
    tag="maintenance",
)
def create():
    data = _validate(read_json_object(), None)
    row = MaintenanceWindow()
    _apply(row, data)
    db.session.add(row)
    db.session.flush()
    audit.record("maintenance.create", f"maintenance:{row.id}", **_as_input(row))
    _commit()
    return jsonify(serialize(row, utcnow())), 201


@bp.get("/<int:window_id>")
@doc("Get one maintenance window", response=SCHEMA, tag="maintenance")
def get(window_id: int):
    return jsonify(serialize(get_or_404(MaintenanceWindow, window_id, "Maintenance window"), utcnow()))


@bp.put("/<int:window_id>")
@doc(
    "Update a maintenance window (omitted fields keep their value)",
    body=MaintenanceIn,
    response=SCHEMA,
    tag="maintenance",
)
def update(window_id: int):
    row = get_or_404(MaintenanceWindow, window_id, "Maintenance window")
    changes = read_json_object()
    before = _as_input(row)
    merged = dict(before)
    # Switching kind or target set: the other kind's fields go unless given again.
    if "recurrence" in changes and changes["recurrence"] is not None:
        merged.update(start=None, end=None)
    if ("start" in changes or "end" in changes) and "recurrence" not in changes:
        merged["recurrence"] = None
    if changes.get("all_monitors") is True and "monitor_ids" not in changes:
        merged["monitor_ids"] = None
    if changes.get("monitor_ids") is not None and "all_monitors" not in changes:
        merged["all_monitors"] = False
    merged.update(changes)
    data = _validate(merged, window_id)
    _apply(row, data)
    audit.record("maintenance.update", f"maintenance:{row.id}", changes=audit.changes(before, _as_input(row)))
    _commit()
    return jsonify(serialize(row, utcnow()))


@bp.delete("/<int:window_id>")
@doc("Delete a maintenance window", response={"type": "object"}, tag="maintenance")
def delete(window_id: int):
    row = get_or_404(MaintenanceWindow, window_id, "Maintenance window")
    audit.record("maintenance.delete", f"maintenance:{row.id}", title=row.title)
    db.session.delete(row)
    _commit()
    return jsonify({"deleted": window_id})
