"""/api/settings: read all sections, partial update. Secrets are write-only."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel

from shared import channels, settings_store
from shared.schemas import AgentSettings, AlertSettings, FieldErrors, MonitoringSettings
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


def _view() -> dict:
    """The stored sections, with Settings > Alerts' webhook URL (masked) and alert email read from
    the two channels they became (see shared.channels)."""
    view = settings_store.public_view(db.session)
    view["alerts"].update(channels.settings_view(db.session))
    return view


@bp.get("")
@doc("Get all settings (secrets only as <name>_set; webhook_url masked)", tag="settings")
def get_settings():
    return jsonify(_view())


@bp.put("")
@doc("Update settings; only the sections and fields given change", body=SettingsUpdate, tag="settings")
def put_settings():
    payload = read_json_object()
    before = _view()
    secret_key = current_app.config["OT"].secret_key
    store_errors = {}
    try:
        settings_store.update(db.session, {k: v for k, v in payload.items() if k != "alerts"}, secret_key)
    except FieldErrors as exc:
        store_errors.update(exc.errors)
    try:
        if isinstance(payload.get("alerts"), dict):
            rest = channels.write_settings_fields(db.session, payload["alerts"], secret_key)
            settings_store.update(db.session, {"alerts": rest}, secret_key)
        elif "alerts" in payload:
            settings_store.update(db.session, {"alerts": payload["alerts"]}, secret_key)
    except FieldErrors as exc:
        store_errors.update(exc.errors)
    if store_errors:
        db.session.rollback()
        raise FieldErrors(store_errors)
    db.session.flush()
    after = _view()
    changed = {s: audit.changes(before[s], after[s]) for s in after if before[s] != after[s]}
    secrets_given = sorted(
        f"{s}.{k}" for s, v in payload.items() if isinstance(v, dict) for k in v if k in audit.SECRET_FIELDS
    )
    audit.record("settings.update", "settings", changes=changed, secrets_written=secrets_given)
    db.session.commit()
    current_app.logger.info("settings updated: %s", ", ".join(sorted(payload)) or "nothing")
    return jsonify(_view())
