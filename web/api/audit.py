"""/api/audit: the audit trail, newest first, paged by id."""

from __future__ import annotations

import json

from flask import Blueprint, jsonify
from sqlalchemy import select

from shared.models import AuditEntry
from shared.schemas import MAX_ID
from shared.timefmt import iso
from web.api import query_int
from web.extensions import db
from web.openapi import doc

bp = Blueprint("audit", __name__, url_prefix="/api/audit")


@bp.get("")
@doc(
    "The audit trail, newest first: who changed what, when, from where",
    params={
        "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
        "before": {"type": "integer", "minimum": 1, "description": "entries with a smaller id (next page)"},
    },
    tag="audit",
)
def list_entries():
    limit = query_int("limit", 50, 1, 500)
    before = query_int("before", MAX_ID + 1, 1, MAX_ID)
    rows = db.session.scalars(
        select(AuditEntry).where(AuditEntry.id < before).order_by(AuditEntry.id.desc()).limit(limit + 1)
    ).all()
    items = [
        {
            "id": e.id,
            "at": iso(e.at),
            "user": e.username,
            "address": e.address,
            "action": e.action,
            "target": e.target,
            "details": json.loads(e.details or "{}"),
        }
        for e in rows[:limit]
    ]
    return jsonify({"items": items, "next_before": items[-1]["id"] if len(rows) > limit else None})
