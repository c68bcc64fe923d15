"""The bad-input battery for the account endpoints (setup, login, password, users, tokens, 2FA):
a clear 4xx JSON error and nothing changed, on PostgreSQL and SQLite."""

from __future__ import annotations

import pytest

from shared import setup_code
from tests.auth import PASSWORD, anonymous


def accounts_snapshot(client) -> tuple:
    return (
        client.get("/api/users").get_json(),
        client.get("/api/tokens").get_json(),
        client.get("/api/audit?limit=500").get_json(),
    )


def assert_refused(client, method: str, url: str, body, field: str) -> None:
    """422 naming ``field``, and nothing changed."""
    before = accounts_snapshot(client)
    response = getattr(client, method)(url, json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["fields"]
    assert accounts_snapshot(client) == before


def _cases(*cases):
    return pytest.mark.parametrize("body,field", [c[1:] for c in cases], ids=[c[0] for c in cases])


LONG = "x" * 300

USER_CASES = [
    ("missing username", {"password": PASSWORD}, "username"),
    ("missing password", {"username": "bob"}, "password"),
    ("username number", {"username": 5, "password": PASSWORD}, "username"),
    ("username empty", {"username": "", "password": PASSWORD}, "username"),
    ("username space", {"username": "bo b", "password": PASSWORD}, "username"),
    ("username slash", {"username": "../etc", "password": PASSWORD}, "username"),
    ("username crlf", {"username": "bob\r\nX: y", "password": PASSWORD}, "username"),
    ("username 65", {"username": "b" * 65, "password": PASSWORD}, "username"),
    ("username 10 KB", {"username": "b" * 10_000, "password": PASSWORD}, "username"),
    ("password 9", {"username": "bob", "password": "123456789"}, "password"),
    ("password 300", {"username": "bob", "password": LONG}, "password"),
    ("password control", {"username": "bob", "password": "abcdefghij\x00"}, "password"),
    ("password list", {"username": "bob", "password": [PASSWORD]}, "password"),
    ("role unknown", {"username": "bob", "password": PASSWORD, "role": "root"}, "role"),
    ("role null-ish", {"username": "bob", "password": PASSWORD, "role": ""}, "role"),
]


@_cases(*USER_CASES)
def test_bad_user_create(any_db_client, body, field):
    assert_refused(any_db_client, "post", "/api/users", body, field)


USER_UPDATE_CASES = [
    ("role unknown", {"role": "owner"}, "role"),
    ("active string", {"active": "false"}, "active"),
    ("active number", {"active": 0}, "active"),
    ("password short", {"password": "short"}, "password"),
    ("totp true", {"totp_enabled": True}, "totp_enabled"),
]


@_cases(*USER_UPDATE_CASES)
def test_bad_user_update(any_db_client, body, field):
    me = any_db_client.get("/api/auth/me").get_json()
    assert_refused(any_db_client, "put", f"/api/users/{me['id']}", body, field)


TOKEN_CASES = [
    ("missing name", {"scope": "read"}, "name"),
    ("missing scope", {"name": "ci"}, "scope"),
    ("scope admin", {"name": "ci", "scope": "admin"}, "scope"),
    ("name empty", {"name": "", "scope": "read"}, "name"),
    ("name blank", {"name": "   ", "scope": "read"}, "name"),
    ("name 10 KB", {"name": "n" * 10_000, "scope": "read"}, "name"),
    ("name crlf", {"name": "a\r\nb", "scope": "read"}, "name"),
    ("name number", {"name": 7, "scope": "read"}, "name"),
    ("expiry text", {"name": "ci", "scope": "read", "expires_at": "tomorrow"}, "expires_at"),
    ("expiry number", {"name": "ci", "scope": "read", "expires_at": 1893456000}, "expires_at"),
    ("expiry naive", {"name": "ci", "scope": "read", "expires_at": "2999-01-01T00:00:00"}, "expires_at"),
    ("expiry past", {"name": "ci", "scope": "read", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ("expiry year 9999", {"name": "ci", "scope": "read", "expires_at": "9999-12-31T23:59:59Z"}, "expires_at"),
]


@_cases(*TOKEN_CASES)
def test_bad_token_create(any_db_client, body, field):
    assert_refused(any_db_client, "post", "/api/tokens", body, field)


PASSWORD_CASES = [
    ("missing current", {"new_password": "a new password"}, "current_password"),
    ("missing new", {"current_password": PASSWORD}, "new_password"),
    ("new short", {"current_password": PASSWORD, "new_password": "short"}, "new_password"),
    ("new number", {"current_password": PASSWORD, "new_password": 1234567890123}, "new_password"),
    ("current huge", {"current_password": LONG, "new_password": "a new password"}, "current_password"),
]


@_cases(*PASSWORD_CASES)
def test_bad_password_change(any_db_client, body, field):
    assert_refused(any_db_client, "put", "/api/auth/password", body, field)


LOGIN_CASES = [
    ("missing username", {"password": PASSWORD}, "username"),
    ("missing password", {"username": "admin"}, "password"),
    ("username number", {"username": 1, "password": PASSWORD}, "username"),
    ("password null", {"username": "admin", "password": None}, "password"),
    ("username 10 KB", {"username": "a" * 10_000, "password": PASSWORD}, "username"),
    ("password 10 KB", {"username": "admin", "password": "p" * 10_000}, "password"),
    ("totp number", {"username": "admin", "password": PASSWORD, "totp": 123456}, "totp"),
]


@_cases(*LOGIN_CASES)
def test_bad_login(any_db_app, any_db_client, body, field):
    before = accounts_snapshot(any_db_client)
    response = anonymous(any_db_app).post("/api/auth/login", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert "Set-Cookie" not in response.headers
    assert accounts_snapshot(any_db_client) == before


SETUP_CASES = [
    ("missing code", {"username": "owner", "password": PASSWORD}, "setup_code"),
    ("short password", {"username": "owner", "password": "short", "setup_code": "x"}, "password"),
    ("bad username", {"username": "own er", "password": PASSWORD, "setup_code": "x"}, "username"),
    ("code number", {"username": "owner", "password": PASSWORD, "setup_code": 12345678}, "setup_code"),
]


@_cases(*SETUP_CASES)
def test_bad_setup(any_db_app, body, field):
    setup_code.ensure(any_db_app.config["OT"].data_dir)
    anon = anonymous(any_db_app)
    response = anon.post("/api/auth/setup", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert anon.get("/api/monitors").get_json()["code"] == "setup_required"


@pytest.mark.parametrize(
    "url,method",
    [
        ("/api/auth/login", "post"),
        ("/api/users", "post"),
        ("/api/tokens", "post"),
        ("/api/auth/password", "put"),
        ("/api/auth/totp/confirm", "post"),
    ],
)
@pytest.mark.parametrize("raw", [b"{bad", b"[]", b"null", b'"x"', b'{"username": "\xff"}'])
def test_malformed_bodies_on_account_endpoints(any_db_app, any_db_client, url, method, raw):
    before = accounts_snapshot(any_db_client)
    client = anonymous(any_db_app) if url == "/api/auth/login" else any_db_client
    response = getattr(client, method)(url, data=raw, content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.get_json()["error"]
    assert accounts_snapshot(any_db_client) == before


@pytest.mark.parametrize("body", [{"code": 123456}, {"code": "abc"}, {}, {"code": "1" * 100}])
def test_bad_totp_confirm(any_db_client, body):
    assert any_db_client.post("/api/auth/totp").status_code == 200
    response = any_db_client.post("/api/auth/totp/confirm", json=body)
    assert response.status_code == 422
    assert any_db_client.get("/api/auth/me").get_json()["totp_enabled"] is False


@pytest.mark.parametrize("url", ["/api/users/999", "/api/tokens/999", "/api/users/999/sessions"])
def test_unknown_account_ids_are_404(any_db_client, url):
    before = accounts_snapshot(any_db_client)
    response = any_db_client.delete(url)
    assert response.status_code == 404 and response.get_json()["error"]
    assert accounts_snapshot(any_db_client) == before
