"""/api/status/overview: the dashboard's counts and one line per monitor."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select

from shared.models import Monitor
from shared.timefmt import iso
from web.api.monitors import _with_state
from web.extensions import db
from web.openapi import doc

bp = Blueprint("status", __name__, url_prefix="/api/status")


@bp.get("/overview")
@doc("Dashboard summary: counts by status and every monitor's latest state", tag="status")
def overview():
    rows = db.session.execute(_with_state(select(Monitor)).order_by(Monitor.id)).all()
    counts = {"ok": 0, "degraded": 0, "down": 0, "unknown": 0}
    items = []
    for monitor, state in rows:
        status = state.status if state else "unknown"
        counts[status] = counts.get(status, 0) + 1
        items.append(
            {
                "id": monitor.id,
                "name": monitor.name,
                "type": monitor.type,
                "target": monitor.target,
                "status": status,
                "enabled": monitor.enabled,
                "last_checked_at": iso(state.last_checked_at) if state else None,
                "last_latency_ms": state.last_latency_ms if state else None,
                "agent_id": monitor.agent_id,
            }
        )
    return jsonify({"total": len(items), **counts, "monitors": items})
