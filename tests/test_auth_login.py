"""Setup, sign in and out, sessions, password changes, two-factor, throttling (one process; the
two-process throttle is in test_auth_processes.py)."""

from __future__ import annotations

import time

import pyotp

from shared import setup_code
from shared.config import parse_networks
from tests.auth import PASSWORD, anonymous, ensure_user, sign_in


def login(client, username="admin", password=PASSWORD, **extra):
    return client.post("/api/auth/login", json={"username": username, "password": password, **extra})


def test_setup_needs_the_code_then_signs_in_and_stops_working(app, config, anon):
    code = setup_code.ensure(config.data_dir)
    assert (config.data_dir / "setup_code").stat().st_mode & 0o777 == 0o600
    body = {"username": "owner", "password": "a long password", "setup_code": "wrong-code"}
    refused = anon.post("/api/auth/setup", json=body)
    assert refused.status_code == 403 and refused.get_json()["code"] == "bad_setup_code"
    assert anon.get("/api/monitors").get_json()["code"] == "setup_required"

    short = anon.post("/api/auth/setup", json={**body, "password": "short", "setup_code": code})
    assert short.status_code == 422 and "password" in short.get_json()["fields"]

    created = anon.post("/api/auth/setup", json={**body, "setup_code": code})
    assert created.status_code == 201
    me = created.get_json()
    assert me["username"] == "owner" and me["role"] == "admin" and me["csrf_token"]
    cookie = created.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert anon.get("/api/auth/me").get_json()["username"] == "owner"
    assert not (config.data_dir / "setup_code").exists()

    again = anonymous(app).post("/api/auth/setup", json={**body, "username": "intruder", "setup_code": code})
    assert again.status_code == 409 and again.get_json()["code"] == "setup_done"


def test_login_logout_and_me(app, anon):
    ensure_user(app, "admin", "admin")
    assert anon.get("/api/auth/me").status_code == 401
    response = login(anon, "ADMIN")  # names are case-insensitive
    assert response.status_code == 200
    me = response.get_json()
    assert set(me) == {"id", "username", "role", "csrf_token", "totp_enabled"}
    assert me["username"] == "admin" and "password" not in response.get_data(as_text=True)
    anon.csrf_token = me["csrf_token"]
    assert anon.get("/api/auth/me").get_json() == me
    # Signing in again from the same browser replaces its session instead of adding one.
    assert login(anon).status_code == 200
    from shared.models import AuthSession
    from web.extensions import db

    with app.app_context():
        assert db.session.query(AuthSession).count() == 1
    anon.csrf_token = anon.get("/api/auth/me").get_json()["csrf_token"]
    assert anon.post("/api/auth/logout").status_code == 200
    assert anon.get("/api/auth/me").status_code == 401


def test_wrong_password_and_unknown_user_answer_alike(app, anon):
    ensure_user(app, "admin", "admin")
    wrong = login(anon, password="not the password")
    unknown = login(anon, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.get_json()
        == unknown.get_json()
        == {
            "error": "Wrong username or password.",
            "code": "invalid_credentials",
        }
    )


def test_inactive_user_cannot_sign_in_and_their_sessions_end(app, client):
    other = sign_in(app, "ops", "viewer")
    ops_id = next(u["id"] for u in client.get("/api/users").get_json() if u["username"] == "ops")
    assert client.put(f"/api/users/{ops_id}", json={"active": False}).status_code == 200
    assert other.get("/api/monitors").status_code == 401
    assert login(anonymous(app), "ops").status_code == 401


def test_https_behind_a_trusted_proxy_sets_a_secure_cookie(tmp_path, db_url, redis_url):
    from dataclasses import replace

    from tests.conftest import make_config
    from web import create_app

    config = replace(
        make_config(tmp_path, db_url, redis_url), trusted_proxies=parse_networks("10.0.0.0/8", "T")
    )
    app = create_app(config)
    ensure_user(app, "admin", "admin")
    anon = anonymous(app)
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    secure = anon.post(
        "/api/auth/login",
        json={"username": "admin", "password": PASSWORD},
        headers=proxied,
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert "Secure" in secure.headers["Set-Cookie"]
    spoofed = anonymous(app).post(
        "/api/auth/login",
        json={"username": "admin", "password": PASSWORD},
        headers=proxied,
        environ_base={"REMOTE_ADDR": "192.0.2.1"},
    )
    assert "Secure" not in spoofed.headers["Set-Cookie"]
    with app.app_context():
        from shared.models import AuditEntry
        from web.extensions import db

        addresses = [e.address for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert addresses == ["203.0.113.9", "192.0.2.1"]  # the proxy's client; the other peer itself
    with app.app_context():
        db.engine.dispose()


def test_password_change_ends_the_other_sessions_only(app):
    ensure_user(app, "admin", "admin")
    first, second = anonymous(app), anonymous(app)
    first.csrf_token = login(first).get_json()["csrf_token"]
    second.csrf_token = login(second).get_json()["csrf_token"]
    wrong = first.put(
        "/api/auth/password", json={"current_password": "nope nope nope", "new_password": "x" * 12}
    )
    assert wrong.status_code == 403 and wrong.get_json()["code"] == "wrong_password"
    short = first.put("/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422
    changed = first.put(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": "a new password!"}
    )
    assert changed.status_code == 200
    assert first.get("/api/auth/me").status_code == 200
    assert second.get("/api/auth/me").status_code == 401
    assert login(anonymous(app)).status_code == 401
    assert login(anonymous(app), password="a new password!").status_code == 200


def test_admin_ends_all_sessions_of_a_user(app, client):
    other = sign_in(app, "ops", "viewer")
    ops_id = next(u["id"] for u in client.get("/api/users").get_json() if u["username"] == "ops")
    assert client.delete(f"/api/users/{ops_id}/sessions").get_json() == {"ended": 1}
    assert other.get("/api/monitors").status_code == 401


def test_idle_sessions_expire(app, client):
    from datetime import timedelta

    from shared.models import AuthSession, utcnow
    from web.extensions import db

    assert client.get("/api/monitors").status_code == 200
    with app.app_context():
        db.session.query(AuthSession).update({"last_seen_at": utcnow() - timedelta(days=14, minutes=1)})
        db.session.commit()
    response = client.get("/api/monitors")
    assert response.status_code == 401 and response.get_json()["code"] == "login_required"


def test_login_throttles_per_username_without_telling_whether_it_exists(app, anon):
    ensure_user(app, "admin", "admin")
    for name in ("admin", "ghost"):
        for attempt in range(10):
            response = login(anon, username=name, password=f"wrong password {attempt}")
            assert response.status_code == 401
        throttled = login(anon, username=name, password=PASSWORD)
        assert throttled.status_code == 429, name
        assert 1 <= int(throttled.headers["Retry-After"]) <= 15 * 60
        assert throttled.get_json()["code"] == "throttled"
    # Another name from another address still works: the per-user count is per user.
    sign_in(app, "ops", "admin")
    assert login(anon, username="ops", environ_base={"REMOTE_ADDR": "127.0.0.2"}).status_code == 200


def test_login_throttles_per_address(app, anon):
    ensure_user(app, "admin", "admin")
    for attempt in range(30):
        response = login(anon, username=f"user{attempt}", password="wrong password")
        assert response.status_code == 401
    assert login(anon).status_code == 429
    other_address = anonymous(app).post(
        "/api/auth/login",
        json={"username": "admin", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "127.0.0.9"},
    )
    assert other_address.status_code == 200


# --- Two-factor ---------------------------------------------------------------------------------


def _enrol(client) -> tuple[str, list[str]]:
    begun = client.post("/api/auth/totp")
    assert begun.status_code == 200
    body = begun.get_json()
    assert body["otpauth_uri"].startswith("otpauth://totp/OnlineTracker:")
    assert body["qr_svg"].startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    secret = body["secret"]
    bad = client.post("/api/auth/totp/confirm", json={"code": "000000"})
    assert bad.status_code == 422 and bad.get_json()["code"] == "totp_invalid"
    confirmed = client.post("/api/auth/totp/confirm", json={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200
    codes = confirmed.get_json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    return secret, codes


def _next_step_code(secret: str) -> str:
    """A code of the next 30-second step (accepted: one step of drift), unused so far."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_totp_code_works_once_and_recovery_codes_once(app, client):
    secret, codes = _enrol(client)
    assert client.get("/api/auth/me").get_json()["totp_enabled"] is True
    first = anonymous(app)
    needs = login(first)
    assert needs.status_code == 401 and needs.get_json()["code"] == "totp_required"
    code = _next_step_code(secret)
    assert login(first, totp=code).status_code == 200
    replay = login(anonymous(app), totp=code)
    assert replay.status_code == 401 and replay.get_json()["code"] == "totp_invalid"
    assert login(anonymous(app), totp=codes[0]).status_code == 200
    assert login(anonymous(app), totp=codes[0]).status_code == 401
    assert login(anonymous(app), totp=codes[1].upper()).status_code == 200


def test_totp_secret_is_stored_encrypted_and_can_be_turned_off(app, client):
    secret, _codes = _enrol(client)
    from shared.models import RecoveryCode, User
    from web.extensions import db

    with app.app_context():
        user = db.session.query(User).filter_by(username="admin").one()
        assert secret not in (user.totp_secret_enc or "")
        assert db.session.query(RecoveryCode).count() == 10
    assert client.delete("/api/auth/totp", json={"password": "wrong password"}).status_code == 403
    assert client.delete("/api/auth/totp", json={"password": PASSWORD}).status_code == 200
    assert login(anonymous(app)).status_code == 200
    with app.app_context():
        assert db.session.query(RecoveryCode).count() == 0


def test_admin_can_turn_off_a_locked_out_users_totp(app, client):
    other = sign_in(app, "ops", "viewer")
    _enrol(other)
    ops_id = next(u["id"] for u in client.get("/api/users").get_json() if u["username"] == "ops")
    assert (
        client.put(f"/api/users/{ops_id}", json={"totp_enabled": False}).get_json()["totp_enabled"] is False
    )
    assert login(anonymous(app), "ops").status_code == 200


def test_secrets_never_reach_the_log_or_the_audit(app, client, caplog):
    caplog.set_level("DEBUG")
    marker = "s3cret-marker-value"
    login(anonymous(app), password=marker + "1")
    client.put("/api/auth/password", json={"current_password": marker + "2", "new_password": marker + "3"})
    login(anonymous(app), totp=marker)
    assert marker not in caplog.text
    assert marker not in client.get("/api/audit").get_data(as_text=True)
