"""/api/settings: read all sections, partial update. Secrets are write-only."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel

from shared import settings_store
from shared.schemas import AgentSettings, AlertSettings, MonitoringSettings
from web.api import read_json_object
from web.auth import audit
from web.extensions import db
from web.openapi import doc

bp = Blueprint("settings", __name__, url_prefix="/api/settings")


class SettingsUpdate(BaseModel):
    """Any subset of sections, each with any subset of its fields."""

    monitoring: MonitoringSettings | None = None
    alerts: AlertSettings | None = None
    agents: AgentSettings | None = None


@bp.get("")
@doc("Get all settings (secrets only as <name>_set)", tag="settings")
def get_settings():
    return jsonify(settings_store.public_view(db.session))


@bp.put("")
@doc("Update settings; only the sections and fields given change", body=SettingsUpdate, tag="settings")
def put_settings():
    payload = read_json_object()
    before = settings_store.public_view(db.session)
    settings_store.update(db.session, payload, current_app.config["OT"].secret_key)
    db.session.flush()
    after = settings_store.public_view(db.session)
    changed = {s: audit.changes(before[s], after[s]) for s in after if before[s] != after[s]}
    secrets_given = sorted(
        f"{s}.{k}" for s, v in payload.items() if isinstance(v, dict) for k in v if k in audit.SECRET_FIELDS
    )
    audit.record("settings.update", "settings", changes=changed, secrets_written=secrets_given)
    db.session.commit()
    current_app.logger.info("settings updated: %s", ", ".join(sorted(payload)) or "nothing")
    return jsonify(settings_store.public_view(db.session))
