"""/api/openapi.json and /healthz."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from shared.health import health_report
from web import openapi
from web.extensions import db

bp = Blueprint("meta", __name__)


@bp.get("/api/openapi.json")
@openapi.doc("This document", tag="meta")
def openapi_json():
    from web.auth import OPEN_ENDPOINTS

    return jsonify(openapi.build(current_app, open_endpoints=OPEN_ENDPOINTS))


@bp.get("/healthz")
def healthz():
    report = health_report(db.engine, current_app.config["OT"])
    return jsonify(report), 200 if report["ok"] else 503
