"""Settings: partial updates, defaults that move monitors, secrets write-only and encrypted."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def test_get_has_every_section_with_defaults(client):
    body = client.get("/api/settings").get_json()
    assert body["monitoring"] == {
        "ok_ms": 80,
        "degraded_ms": 200,
        "ping_count": 5,
        "ssl_ok_days": 30,
        "ssl_warning_days": 14,
    }
    assert body["alerts"]["alert_type"] == "once" and body["alerts"]["smtp_password_set"] is False
    assert "smtp_password" not in body["alerts"]
    assert body["agents"] == {"shared_secret_set": False, "allowed_agent_uuids": []}


def test_partial_update_changes_only_what_is_given(client):
    client.put(
        "/api/settings", json={"alerts": {"webhook_url": "http://127.0.0.1:9/hook", "repeat_minutes": 5}}
    )
    body = client.put("/api/settings", json={"alerts": {"alert_type": "repeated"}}).get_json()
    # The webhook URL lives in the "Webhook" channel now: answered masked, like every channel URL.
    assert body["alerts"]["webhook_url"] == "http://127.0.0.1:9/****"
    assert body["alerts"]["repeat_minutes"] == 5 and body["alerts"]["alert_type"] == "repeated"
    assert body["monitoring"]["ok_ms"] == 80


def test_monitoring_defaults_feed_monitor_defaults(client):
    client.put("/api/settings", json={"monitoring": {"ok_ms": 50, "ping_count": 3}})
    body = client.get("/api/monitors/defaults").get_json()
    assert body["ok_ms"] == 50 and body["ping_count"] == 3 and body["degraded_ms"] == 200


def test_secrets_are_write_only_and_encrypted_at_rest(client, db_url):
    response = client.put(
        "/api/settings",
        json={
            "alerts": {"smtp_password": "hunter2-secret"},
            "agents": {"shared_secret": "s3cret-shared-key"},
        },
    )
    assert response.status_code == 200
    text_body = response.get_data(as_text=True) + client.get("/api/settings").get_data(as_text=True)
    assert "hunter2-secret" not in text_body and "s3cret-shared-key" not in text_body
    body = client.get("/api/settings").get_json()
    assert body["alerts"]["smtp_password_set"] is True and body["agents"]["shared_secret_set"] is True

    engine = create_engine(db_url)
    with engine.connect() as conn:
        stored = " ".join(row[0] for row in conn.execute(text("SELECT value FROM settings")))
    engine.dispose()
    assert "hunter2-secret" not in stored and "s3cret-shared-key" not in stored

    # Omitted keeps the secret; an empty string clears it.
    client.put("/api/settings", json={"alerts": {"smtp_host": "127.0.0.1"}})
    assert client.get("/api/settings").get_json()["alerts"]["smtp_password_set"] is True
    client.put("/api/settings", json={"alerts": {"smtp_password": ""}})
    assert client.get("/api/settings").get_json()["alerts"]["smtp_password_set"] is False


def test_secret_decrypts_with_the_same_key_only(client, app):
    from shared import settings_store
    from shared.crypto import SecretUnreadable
    from web.extensions import db

    client.put("/api/settings", json={"alerts": {"smtp_password": "pw-123456"}})
    with app.app_context():
        alerts = settings_store.load_section(db.session, "alerts", app.config["OT"].secret_key)
        assert alerts.smtp_password == "pw-123456"
        try:
            settings_store.load_section(db.session, "alerts", b"another key")
        except SecretUnreadable:
            pass
        else:
            raise AssertionError("a different SECRET_KEY must not decrypt the stored secret")


def test_allowed_uuids_are_normalised_and_deduplicated(client):
    uid = "3F2504E0-4F89-11D3-9A0C-0305E82C3301"
    body = client.put(
        "/api/settings", json={"agents": {"allowed_agent_uuids": [uid, uid.lower()]}}
    ).get_json()
    assert body["agents"]["allowed_agent_uuids"] == [uid.lower()]
