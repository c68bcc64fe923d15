"""A monitor's results, 72-hour history (also for many monitors at once) and uptime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, jsonify, request
from sqlalchemy import func, select

from shared import history
from shared.models import CheckResult, Monitor, utcnow
from shared.schemas import MAX_ID
from shared.timefmt import iso
from web.api import get_or_404, query_int
from web.errors import ApiError
from web.extensions import db
from web.openapi import doc

bp = Blueprint("results", __name__, url_prefix="/api/monitors")

MAX_PER_PAGE = 500
INT = {"type": "integer"}


def serialize_result(r: CheckResult) -> dict:
    return {
        "id": r.id,
        "checked_at": iso(r.checked_at),
        "status": r.status,
        "latency_ms": r.latency_ms,
        "details": r.details,
        "agent_id": r.agent_id,
    }


@bp.get("/<int:monitor_id>/results")
@doc(
    "Individual check results, newest first, paginated", params={"page": INT, "per_page": INT}, tag="history"
)
def results(monitor_id: int):
    get_or_404(Monitor, monitor_id, "Monitor")
    page = query_int("page", 1, 1, 1_000_000)
    per_page = query_int("per_page", 50, 1, MAX_PER_PAGE)
    total = db.session.scalar(
        select(func.count()).select_from(CheckResult).where(CheckResult.monitor_id == monitor_id)
    )
    rows = db.session.scalars(
        select(CheckResult)
        .where(CheckResult.monitor_id == monitor_id)
        .order_by(CheckResult.checked_at.desc(), CheckResult.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return jsonify(
        {"items": [serialize_result(r) for r in rows], "page": page, "per_page": per_page, "total": total}
    )


@bp.get("/<int:monitor_id>/history")
@doc(
    "Status history in 15-minute buckets, oldest first, every bucket present",
    params={"hours": INT},
    tag="history",
)
def monitor_history(monitor_id: int):
    get_or_404(Monitor, monitor_id, "Monitor")
    hours = query_int("hours", 72, 1, 72)
    buckets = history.history_buckets(db.session, [monitor_id], hours, utcnow())[monitor_id]
    return jsonify({"bucket_seconds": 900, "buckets": buckets})


@bp.get("/history")
@doc(
    "72-hour bars of many monitors in one request (ids=1,2,3; all when omitted), columnar: "
    "starts[i] is bucket i; monitors[id].ok[i], .degraded[i], .down[i], .avg_latency_ms[i]",
    params={"hours": INT, "ids": {"type": "string"}},
    tag="history",
)
def batch_history():
    hours = query_int("hours", 72, 1, 72)
    raw_ids = request.args.get("ids")
    if raw_ids:
        try:
            numbers = {int(part) for part in raw_ids.split(",") if part.strip()}
        except ValueError:
            raise ApiError(
                422, "ids must be a comma-separated list of monitor ids.", {"ids": "must be integers"}
            ) from None
        wanted = sorted(n for n in numbers if 1 <= n <= MAX_ID)  # larger numbers can't be monitors
        if len(wanted) > 5000:
            raise ApiError(422, "Too many ids in one request.", {"ids": "at most 5000"})
        ids = list(db.session.scalars(select(Monitor.id).where(Monitor.id.in_(wanted))))
    else:
        ids = list(db.session.scalars(select(Monitor.id).order_by(Monitor.id)))
    body = history.history_columns(db.session, ids, hours, utcnow())
    body["monitors"] = {str(k): v for k, v in body["monitors"].items()}
    return jsonify(body)


def _instant(name: str):
    raw = request.args.get(name, "")
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise ApiError(
            422, f"{name} is not an ISO 8601 date and time.", {name: "e.g. 2027-01-31T00:00:00Z"}
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # a bare date or time: UTC
    if not 2000 <= parsed.year <= 9000:
        raise ApiError(422, f"{name} is out of range.", {name: "is out of range"})
    return parsed.astimezone(UTC)


@bp.get("/<int:monitor_id>/uptime")
@doc(
    "Uptime for 24h (hourly buckets), week, month and 90d (daily), year (weekly); or between "
    "from and to (ISO 8601, UTC when no offset is given; whole UTC days from the daily rollups, "
    f"at most {history.MAX_SPAN_DAYS} days). Results inside maintenance windows count neither way.",
    params={
        "period": {"type": "string", "enum": list(history.PERIODS)},
        "from": {"type": "string", "format": "date-time"},
        "to": {"type": "string", "format": "date-time"},
    },
    tag="history",
)
def monitor_uptime(monitor_id: int):
    get_or_404(Monitor, monitor_id, "Monitor")
    if "from" in request.args or "to" in request.args:
        if "period" in request.args:
            raise ApiError(422, "Give period or from/to, not both.", {"period": "not with from/to"})
        missing = {n: "is required with from/to" for n in ("from", "to") if n not in request.args}
        if missing:
            raise ApiError(422, "An uptime span needs both from and to.", missing)
        start, end = _instant("from"), _instant("to")
        if start >= end:
            raise ApiError(422, "from must be before to.", {"to": "must be after from"})
        if end - start > timedelta(days=history.MAX_SPAN_DAYS):
            raise ApiError(
                422,
                f"An uptime span is at most {history.MAX_SPAN_DAYS} days (daily rollups are kept that long).",
                {"from": f"at most {history.MAX_SPAN_DAYS} days before to"},
            )
        return jsonify(history.uptime_span(db.session, monitor_id, start, end))
    period = request.args.get("period", "24h")
    if period not in history.PERIODS:
        raise ApiError(
            422, "Unknown uptime period.", {"period": f"must be one of {', '.join(history.PERIODS)}"}
        )
    return jsonify(history.uptime(db.session, monitor_id, period, utcnow()))
