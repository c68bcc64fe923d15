"""/api/users (the last-admin rule), the proxy sign-on header, and the audit trail."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.config import parse_networks
from tests.auth import anonymous
from tests.conftest import make_config
from tests.helpers import create_monitor


def _user(client, username, role="viewer", password="a long password"):
    response = client.post("/api/users", json={"username": username, "password": password, "role": role})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_users_crud(app, client):
    ops = _user(client, "ops")
    assert set(ops) == {"id", "username", "role", "active", "totp_enabled", "created_at", "last_login_at"}
    assert [u["username"] for u in client.get("/api/users").get_json()] == ["admin", "ops"]
    duplicate = client.post("/api/users", json={"username": "OPS", "password": "a long password"})
    assert duplicate.status_code == 409 and duplicate.get_json()["code"] == "username_taken"
    assert client.put(f"/api/users/{ops['id']}", json={"role": "admin"}).get_json()["role"] == "admin"
    reset = client.put(f"/api/users/{ops['id']}", json={"password": "another long one"})
    assert reset.status_code == 200
    signed = anonymous(app).post("/api/auth/login", json={"username": "ops", "password": "another long one"})
    assert signed.status_code == 200
    assert client.delete(f"/api/users/{ops['id']}").get_json() == {"deleted": ops["id"]}
    assert client.delete(f"/api/users/{ops['id']}").status_code == 404
    assert "password" not in client.get("/api/users").get_data(as_text=True)


@pytest.mark.parametrize("change", [{"role": "viewer"}, {"active": False}, "delete"])
def test_the_last_active_admin_cannot_be_demoted_deactivated_or_removed(client, change):
    me = client.get("/api/auth/me").get_json()
    if change == "delete":
        response = client.delete(f"/api/users/{me['id']}")
    else:
        response = client.put(f"/api/users/{me['id']}", json=change)
    assert response.status_code == 409
    assert response.get_json()["code"] == "last_admin"
    assert client.get("/api/auth/me").get_json()["role"] == "admin"


def test_with_a_second_admin_the_first_may_step_down(client):
    other = _user(client, "ops", "admin")
    me = client.get("/api/auth/me").get_json()
    assert client.put(f"/api/users/{other['id']}", json={"active": False}).status_code == 200
    assert client.put(f"/api/users/{me['id']}", json={"role": "viewer"}).status_code == 409
    assert client.put(f"/api/users/{other['id']}", json={"active": True}).status_code == 200
    assert client.put(f"/api/users/{me['id']}", json={"role": "viewer"}).status_code == 200
    assert client.get("/api/users").status_code == 403  # now a viewer


def test_audit_records_who_what_when_where_without_secrets(client):
    monitor = create_monitor(client)
    client.put(f"/api/monitors/{monitor['id']}", json={"name": "Renamed"})
    client.put("/api/settings", json={"alerts": {"smtp_password": "hunter2-secret", "smtp_port": 2525}})
    client.delete(f"/api/monitors/{monitor['id']}")
    _user(client, "ops")
    page = client.get("/api/audit?limit=3").get_json()
    assert [e["action"] for e in page["items"]] == ["user.create", "monitor.delete", "settings.update"]
    settings = page["items"][2]
    assert settings["user"] == "admin" and settings["address"] == "127.0.0.1" and settings["at"]
    assert settings["details"]["changes"]["alerts"]["smtp_port"] == [587, 2525]
    assert settings["details"]["secrets_written"] == ["alerts.smtp_password"]
    older = client.get(f"/api/audit?limit=3&before={page['next_before']}").get_json()
    assert [e["action"] for e in older["items"]] == ["monitor.update", "monitor.create"]
    assert older["items"][0]["details"]["changes"]["name"] == ["API Server", "Renamed"]
    assert older["next_before"] is None
    assert "hunter2" not in client.get("/api/audit?limit=500").get_data(as_text=True)


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "before=0", "before=abc"])
def test_audit_query_errors_are_422(client, query):
    response = client.get(f"/api/audit?{query}")
    assert response.status_code == 422 and response.get_json()["error"]


@pytest.fixture
def proxied_app(tmp_path, db_url, redis_url):
    from web import create_app

    config = replace(
        make_config(tmp_path, db_url, redis_url),
        trusted_proxies=parse_networks("10.0.0.5", "TRUSTED_PROXIES"),
        auth_proxy_header="Remote-User",
    )
    app = create_app(config)
    yield app
    with app.app_context():
        from web.extensions import db

        db.engine.dispose()


def test_proxy_header_signs_in_from_a_trusted_proxy_only(proxied_app):
    from tests.auth import ensure_user

    ensure_user(proxied_app, "admin", "admin")
    via_proxy = anonymous(proxied_app)
    trusted = {"REMOTE_ADDR": "10.0.0.5"}
    me = via_proxy.get("/api/auth/me", headers={"Remote-User": "alice"}, environ_base=trusted)
    assert me.status_code == 200
    assert me.get_json()["username"] == "alice" and me.get_json()["role"] == "viewer"
    assert "ot_session=" in me.headers["Set-Cookie"]
    # A write still needs the session's CSRF token, as for a password sign-in.
    body = {"name": "n", "type": "ping", "target": "h"}
    assert (
        via_proxy.post(
            "/api/monitors", json=body, headers={"Remote-User": "admin"}, environ_base=trusted
        ).status_code
        == 403
    )
    admin = via_proxy.get("/api/auth/me", headers={"Remote-User": "admin"}, environ_base=trusted).get_json()
    created = via_proxy.post(
        "/api/monitors",
        json=body,
        headers={"Remote-User": "admin", "X-CSRF-Token": admin["csrf_token"]},
        environ_base=trusted,
    )
    assert created.status_code == 201
    spoofed = anonymous(proxied_app).get(
        "/api/auth/me", headers={"Remote-User": "admin"}, environ_base={"REMOTE_ADDR": "10.0.0.6"}
    )
    assert spoofed.status_code == 401
    invalid = anonymous(proxied_app).get(
        "/api/auth/me", headers={"Remote-User": "bad name/../x"}, environ_base=trusted
    )
    assert invalid.status_code == 401
