"""Closed by default: every route outside the one open list needs credentials, roles and token
scopes hold, cookie writes need the CSRF header, writes take JSON only."""

from __future__ import annotations

import re

import pytest

from tests.auth import sign_in
from tests.helpers import create_monitor
from web.auth import ADMIN_BLUEPRINTS, NO_TOKEN_BLUEPRINTS, OPEN_ENDPOINTS, SELF_SERVICE

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _routes(app):
    """Every (method, url, endpoint) of the URL map, with sample values for the path variables."""
    for rule in app.url_map.iter_rules():
        url = re.sub(r"<int:\w+>", "1", rule.rule)
        url = re.sub(r"<(?:\w+:)?\w+>", "00000000-0000-4000-8000-000000000000", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url, rule.endpoint


def test_open_routes_are_exactly_the_written_list(app):
    endpoints = {endpoint for _m, _u, endpoint in _routes(app)}
    assert OPEN_ENDPOINTS - {"static"} <= endpoints
    assert sorted(OPEN_ENDPOINTS) == [
        "auth.login",
        "auth.setup",
        "badges.json",
        "badges.svg",
        "meta.healthz",
        "push.fail",
        "push.ping",
        "push.start",
        "spa.asset",
        "spa.client_route",
        "spa.root",
        "static",
        "status_page.page",
        "status_page.page_json",
    ]


def test_every_other_route_answers_401_without_credentials(app, client, anon):
    checked = 0
    for method, url, endpoint in _routes(app):
        if endpoint in OPEN_ENDPOINTS:
            continue
        response = anon.open(url, method=method, json={} if method in WRITE_METHODS else None)
        assert response.status_code == 401, (method, url, response.status_code)
        body = response.get_json()
        assert body["code"] == "login_required" and body["error"], (method, url)
        checked += 1
    assert checked >= 35


def test_before_any_account_exists_every_api_route_says_setup_required(app, anon):
    for method, url, endpoint in _routes(app):
        if endpoint in OPEN_ENDPOINTS:
            continue
        response = anon.open(url, method=method, json={} if method in WRITE_METHODS else None)
        assert response.status_code == 401, (method, url)
        assert response.get_json()["error"] == "setup required"
        assert response.get_json()["code"] == "setup_required"
    assert anon.get("/healthz").status_code in (200, 503)


def test_viewer_reads_monitors_but_every_write_and_admin_read_is_403(app, client, viewer):
    monitor = create_monitor(client)
    assert viewer.get("/api/monitors").status_code == 200
    assert viewer.get(f"/api/monitors/{monitor['id']}").status_code == 200
    assert viewer.get(f"/api/monitors/{monitor['id']}/history").status_code == 200
    assert viewer.get("/api/status/overview").status_code == 200
    assert viewer.get("/api/auth/me").get_json()["role"] == "viewer"
    refused = 0
    for method, url, endpoint in _routes(app):
        if endpoint in OPEN_ENDPOINTS or endpoint in SELF_SERVICE:
            continue
        blueprint = endpoint.split(".")[0]
        if method in WRITE_METHODS or blueprint in ADMIN_BLUEPRINTS:
            response = viewer.open(url, method=method, json={} if method in WRITE_METHODS else None)
            assert response.status_code == 403, (method, url, response.status_code)
            assert response.get_json()["code"] == "forbidden"
            refused += 1
    assert refused >= 20
    assert client.get(f"/api/monitors/{monitor['id']}").get_json()["name"] == monitor["name"]


@pytest.mark.parametrize(
    "path", ["/api/settings", "/api/users", "/api/tokens", "/api/agents", "/api/alerts", "/api/audit"]
)
def test_viewer_gets_403_on_admin_reads(viewer, path):
    response = viewer.get(path)
    assert response.status_code == 403
    assert "error" in response.get_json()


def test_cookie_write_without_csrf_header_is_403_and_changes_nothing(client):
    response = client.post("/api/monitors", json={"name": "x", "type": "ping", "target": "h"}, csrf=False)
    assert response.status_code == 403
    assert response.get_json()["code"] == "csrf"
    wrong = client.post(
        "/api/monitors",
        json={"name": "x", "type": "ping", "target": "h"},
        headers={"X-CSRF-Token": "not-it"},
    )
    assert wrong.status_code == 403
    assert client.get("/api/monitors").get_json() == []


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("text/plain", '{"name": "x", "type": "ping", "target": "h"}'),
        ("application/x-www-form-urlencoded", "name=x&type=ping&target=h"),
        (
            "multipart/form-data; boundary=b",
            "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--",
        ),
    ],
)
def test_non_json_write_is_415(client, content_type, body):
    response = client.post("/api/monitors", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 415
    assert response.get_json()["error"]
    assert client.get("/api/monitors").get_json() == []


def test_login_refuses_a_form_post_too(anon):
    response = anon.post("/api/auth/login", data="username=a&password=b")
    assert response.status_code in (401, 415)


def test_no_cors_and_security_headers_everywhere(client, anon):
    for response in (
        client.get("/api/monitors"),
        anon.get("/"),
        anon.get("/healthz"),
        anon.get("/api/monitors"),
    ):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options("/api/monitors", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


# --- API tokens ---------------------------------------------------------------------------------


def _token(client, scope: str, **extra) -> str:
    response = client.post("/api/tokens", json={"name": f"{scope} script", "scope": scope, **extra})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["token"].startswith("ot_") and len(body["token"]) >= 3 + 43
    return body["token"]


def test_read_token_reads_but_cannot_write(app, client, anon):
    create_monitor(client)
    token = _token(client, "read")
    auth = {"Authorization": f"Bearer {token}"}
    assert len(anon.get("/api/monitors", headers=auth).get_json()) == 1
    assert anon.get("/api/settings", headers=auth).status_code == 200  # an admin's read token
    response = anon.post("/api/monitors", json={"name": "n", "type": "ping", "target": "h"}, headers=auth)
    assert response.status_code == 403
    assert response.get_json()["code"] == "read_only_token"
    assert anon.delete("/api/monitors/1", headers=auth).status_code == 403
    assert len(client.get("/api/monitors").get_json()) == 1


def test_write_token_writes_without_csrf(app, client, anon):
    token = _token(client, "write")
    auth = {"Authorization": f"Bearer {token}"}
    response = anon.post("/api/monitors", json={"name": "n", "type": "ping", "target": "h"}, headers=auth)
    assert response.status_code == 201
    entry = client.get("/api/audit").get_json()["items"][0]
    assert entry["action"] == "monitor.create" and entry["user"] == "admin"
    assert entry["details"]["via_token"] == "write script"


def test_no_token_reaches_tokens_users_or_sign_in_endpoints(app, client, anon):
    for scope in ("read", "write"):
        auth = {"Authorization": f"Bearer {_token(client, scope)}"}
        for method, url in (
            ("GET", "/api/tokens"),
            ("POST", "/api/tokens"),
            ("DELETE", "/api/tokens/1"),
            ("GET", "/api/users"),
            ("POST", "/api/users"),
            ("PUT", "/api/users/1"),
            ("PUT", "/api/auth/password"),
            ("POST", "/api/auth/totp"),
            ("POST", "/api/auth/logout"),
        ):
            response = anon.open(url, method=method, json={} if method != "GET" else None, headers=auth)
            assert response.status_code == 403, (scope, method, url)
        assert anon.get("/api/auth/me", headers=auth).get_json()["username"] == "admin"
    assert {blueprint for blueprint in NO_TOKEN_BLUEPRINTS} == {"users", "tokens"}


def test_revoked_expired_and_wrong_tokens_are_401(app, client, anon):
    token = _token(client, "read")
    token_id = client.get("/api/tokens").get_json()[0]["id"]
    assert client.delete(f"/api/tokens/{token_id}").status_code == 200
    for raw in (token, "ot_nope", "garbage", token + "x"):
        response = anon.get("/api/monitors", headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 401
        assert response.get_json()["code"] == "invalid_token"

    from datetime import timedelta

    from shared.models import ApiToken, utcnow
    from web.extensions import db

    expiring = _token(client, "read", expires_at="2999-01-01T00:00:00Z")
    with app.app_context():
        row = db.session.query(ApiToken).filter_by(name="read script").order_by(ApiToken.id.desc()).first()
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert anon.get("/api/monitors", headers={"Authorization": f"Bearer {expiring}"}).status_code == 401


def test_token_list_never_shows_the_token_and_stores_only_a_hash(app, client):
    token = _token(client, "write", expires_at="2999-01-01T00:00:00Z")
    listed = client.get("/api/tokens").get_json()
    assert len(listed) == 1 and "token" not in listed[0]
    assert listed[0]["owner"] == "admin" and listed[0]["scope"] == "write"
    assert listed[0]["expires_at"].startswith("2999-01-01")
    from shared.models import ApiToken
    from web.extensions import db

    with app.app_context():
        stored = db.session.query(ApiToken).one()
        assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_token_of_a_demoted_admin_acts_as_a_viewer(app, client, anon):
    other = sign_in(app, "ops", "admin")
    token = _token(other, "write")
    ops_id = next(u["id"] for u in client.get("/api/users").get_json() if u["username"] == "ops")
    assert client.put(f"/api/users/{ops_id}", json={"role": "viewer"}).status_code == 200
    auth = {"Authorization": f"Bearer {token}"}
    assert anon.get("/api/monitors", headers=auth).status_code == 200
    response = anon.post("/api/monitors", json={"name": "n", "type": "ping", "target": "h"}, headers=auth)
    assert response.status_code == 403
    assert client.put(f"/api/users/{ops_id}", json={"active": False}).status_code == 200
    assert anon.get("/api/monitors", headers=auth).status_code == 401
