"""/api/status/overview: the dashboard's counts and its monitors' lines, every one or a filtered page."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import Interval, and_, case, false, func, literal, not_, or_, select, true

from shared import maintenance
from shared.models import CURRENT_STATE, Agent, Monitor, MonitorState, UTCDateTime, utcnow
from shared.staleness import MISSED_INTERVALS, effective_status
from shared.status import DOWN, MAINTENANCE, OK, STALE, UNKNOWN
from shared.timefmt import iso
from web.api import query_int
from web.errors import ApiError
from web.extensions import db
from web.openapi import doc

bp = Blueprint("status", __name__, url_prefix="/api/status")

#: What ``status=`` takes: every status the dashboard shows, and ``paused`` (monitors turned off).
LIST_STATUSES = (OK, "degraded", DOWN, STALE, UNKNOWN, MAINTENANCE, "paused")
#: Any of these makes the answer a filtered page; without them it lists every monitor, as it always has.
LIST_PARAMS = ("q", "status", "limit", "offset")
MAX_LIMIT = 1000
MAX_QUERY = 200

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


def _with_state(query):
    """``query`` joined to each monitor's state at its location and to its agent (either may be absent)."""
    return query.outerjoin(MonitorState, CURRENT_STATE).outerjoin(Agent, Agent.id == Monitor.agent_id)


def _counts() -> dict[str, int]:
    return {OK: 0, "degraded": 0, DOWN: 0, UNKNOWN: 0, STALE: 0, MAINTENANCE: 0}


def _item(row, status: str) -> dict:
    mid, name, mtype, target, enabled, agent_id, _, checked_at, latency, interval, _, _, agent_name = row[:13]
    return {
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


@bp.get("/overview")
@doc(
    "Dashboard summary: counts by status and every monitor's latest state. With any of q, status, "
    "limit or offset: the monitors matching q (a substring of the name, target, type or agent's name, "
    "any case; 'server' for the server's) and status (comma-separated; 'paused': turned off), limit of "
    "them from offset in id order, with matched (how many match) and paused; the counts stay every monitor's.",
    params={
        "q": {"type": "string", "maxLength": MAX_QUERY},
        "status": {"type": "string", "description": "comma-separated: " + ", ".join(LIST_STATUSES)},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        "offset": {"type": "integer", "minimum": 0},
    },
    tag="status",
)
def overview():
    if any(name in request.args for name in LIST_PARAMS):
        return jsonify(_page(*_list_params()))
    rows = db.session.execute(_with_state(select(*_COLUMNS)).order_by(Monitor.id)).all()
    counts = _counts()
    items = []
    now = utcnow()
    in_maintenance = maintenance.covered(maintenance.load(db.session, now), [r[0] for r in rows], now)
    for row in rows:
        mid, _, mtype, _, enabled, _, status, checked_at, _, interval, timeout, changed, _ = row
        status = effective_status(
            status, enabled, checked_at, changed, interval, timeout, now, mtype, mid in in_maintenance
        )
        counts[status] = counts.get(status, 0) + 1
        items.append(_item(row, status))
    return jsonify({"total": len(items), **counts, "monitors": items})


def _list_params() -> tuple[str, frozenset[str] | None, int | None, int]:
    needle = request.args.get("q", "").strip().lower()
    if len(needle) > MAX_QUERY:
        raise ApiError(422, "The search is too long.", {"q": f"at most {MAX_QUERY} characters"})
    wanted = None
    raw = request.args.get("status", "").strip()
    if raw:
        wanted = frozenset(part.strip() for part in raw.split(",") if part.strip())
        if wanted - set(LIST_STATUSES):
            raise ApiError(
                422, "Unknown status filter.", {"status": f"must be among {', '.join(LIST_STATUSES)}"}
            )
    limit = query_int("limit", MAX_LIMIT, 1, MAX_LIMIT) if "limit" in request.args else None
    return needle, wanted, limit, query_int("offset", 0, 0, 100_000_000)


def status_expression(now, in_maintenance: frozenset[int], everyone: bool, dialect: str):
    """:func:`shared.staleness.effective_status` as SQL, so that counting and filtering 10,000
    monitors stays inside the database. Every branch mirrors one there (tests compare the two)."""
    stored = func.coalesce(func.nullif(MonitorState.status, ""), UNKNOWN)
    enabled = Monitor.enabled.is_(True)
    covered = true() if everyone else Monitor.id.in_(sorted(in_maintenance)) if in_maintenance else false()
    # The later of the last result and the last change to the monitor (is_stale's "since").
    since = case(
        (MonitorState.last_checked_at > Monitor.updated_at, MonitorState.last_checked_at),
        else_=Monitor.updated_at,
    )
    limit_s = MISSED_INTERVALS * Monitor.interval_seconds + Monitor.timeout_seconds
    at = literal(now, UTCDateTime())
    if dialect == "postgresql":
        silent = since < at - func.make_interval(0, 0, 0, 0, 0, 0, limit_s, type_=Interval)
    else:  # SQLite keeps times as text; julianday reads them
        silent = (func.julianday(at) - func.julianday(since)) * 86400.0 > limit_s
    return case(
        (and_(enabled, covered), MAINTENANCE),
        (or_(not_(enabled), Monitor.type == "heartbeat"), case((stored == STALE, UNKNOWN), else_=stored)),
        (stored == STALE, STALE),
        (silent, STALE),
        else_=stored,
    )


def _search(needle: str):
    """``q`` in the name, the target (a heartbeat's reads "push"), the type or where it is checked from."""
    where = case((Monitor.agent_id.is_(None), "server"), else_=func.coalesce(Agent.name, ""))
    shown = case((Monitor.type == "heartbeat", "push"), else_=Monitor.target)
    return or_(
        *(func.lower(column).contains(needle, autoescape=True) for column in (Monitor.name, shown, where)),
        Monitor.type.contains(needle, autoescape=True),
    )


def _page(needle: str, wanted: frozenset[str] | None, limit: int | None, offset: int) -> dict:
    """The filtered page in two queries whatever the number of monitors: counts grouped by
    (status, paused, matching q), then the page itself."""
    now = utcnow()
    going = [w for w in maintenance.load(db.session, now) if maintenance.active(w, now) is not None]
    in_maintenance = frozenset().union(*(w.monitor_ids for w in going))
    status = status_expression(
        now, in_maintenance, any(w.all_monitors for w in going), db.session.get_bind().dialect.name
    )
    paused = Monitor.enabled.is_not(True)
    hit = _search(needle) if needle else true()
    grouped = _with_state(
        select(status.label("status"), paused.label("paused"), hit.label("hit"), Monitor.id)
    ).subquery()
    counts, total, paused_count, matched = _counts(), 0, 0, 0
    for st, is_paused, is_hit, n in db.session.execute(
        select(grouped.c.status, grouped.c.paused, grouped.c.hit, func.count()).group_by(
            grouped.c.status, grouped.c.paused, grouped.c.hit
        )
    ):
        total += n
        counts[st] = counts.get(st, 0) + n
        paused_count += n if is_paused else 0
        if is_hit and (wanted is None or st in wanted or ("paused" in wanted and is_paused)):
            matched += n
    rows = []
    if matched > offset:
        query = (
            _with_state(select(*_COLUMNS, status)).where(hit).order_by(Monitor.id).offset(offset).limit(limit)
        )
        if wanted is not None:
            statuses = sorted(wanted - {"paused"})
            query = query.where(or_(status.in_(statuses), paused if "paused" in wanted else false()))
        rows = db.session.execute(query).all()
    return {
        "total": total,
        **counts,
        "paused": paused_count,
        "matched": matched,
        "offset": offset,
        "limit": limit,
        "monitors": [_item(row, row[13]) for row in rows],
    }
