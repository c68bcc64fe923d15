"""/api/status/overview: the dashboard's counts and one line per monitor."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import and_, func, select

from shared import maintenance
from shared.models import Agent, Monitor, MonitorState, utcnow
from shared.staleness import effective_status
from shared.timefmt import iso
from web.extensions import db
from web.openapi import doc

bp = Blueprint("status", __name__, url_prefix="/api/status")

# Plain columns, not ORM objects: with 1,000 monitors building objects was most of the time.
_COLUMNS = (
    Monitor.id,
    Monitor.name,
    Monitor.type,
    Monitor.target,
    Monitor.enabled,
    Monitor.agent_id,
    MonitorState.status,
    MonitorState.last_checked_at,
    MonitorState.last_latency_ms,
    Monitor.interval_seconds,
    Monitor.timeout_seconds,
    Monitor.updated_at,
    Agent.name,
)


@bp.get("/overview")
@doc("Dashboard summary: counts by status and every monitor's latest state", tag="status")
def overview():
    state_join = and_(
        MonitorState.monitor_id == Monitor.id, MonitorState.location == func.coalesce(Monitor.agent_id, 0)
    )
    rows = db.session.execute(
        select(*_COLUMNS)
        .outerjoin(MonitorState, state_join)
        .outerjoin(Agent, Agent.id == Monitor.agent_id)
        .order_by(Monitor.id)
    ).all()
    counts = {"ok": 0, "degraded": 0, "down": 0, "unknown": 0, "stale": 0, "maintenance": 0}
    items = []
    now = utcnow()
    in_maintenance = maintenance.covered(maintenance.load(db.session, now), [r[0] for r in rows], now)
    for (
        mid,
        name,
        mtype,
        target,
        enabled,
        agent_id,
        status,
        checked_at,
        latency,
        interval,
        timeout,
        changed,
        agent_name,
    ) in rows:
        status = effective_status(
            status, enabled, checked_at, changed, interval, timeout, now, mtype, mid in in_maintenance
        )
        counts[status] = counts.get(status, 0) + 1
        items.append(
            {
                "id": mid,
                "name": name,
                "type": mtype,
                "target": target,
                "status": status,
                "enabled": enabled,
                "last_checked_at": iso(checked_at),
                "last_latency_ms": latency,
                "agent_id": agent_id,
                "interval_seconds": interval,
                # Viewers can't list agents: the name tells them where it is checked from.
                "agent_name": agent_name,
            }
        )
    return jsonify({"total": len(items), **counts, "monitors": items})
