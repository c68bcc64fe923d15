"""/api/auth: first-start setup, sign in and out, the signed-in user, password, two-factor."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from shared import accounts, crypto, setup_code, throttle
from shared.models import User, utcnow
from shared.schemas import LoginIn, PasswordChangeIn, PasswordIn, SetupIn, TotpCodeIn
from shared.validation import validate
from web.api import read_json_object
from web.auth import audit, client_address, current, sessions
from web.errors import ApiError
from web.extensions import db
from web.openapi import doc

bp = Blueprint("auth", __name__, url_prefix="/api/auth")

ME = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "username": {"type": "string"},
        "role": {"type": "string", "enum": ["admin", "viewer"]},
        "csrf_token": {"type": ["string", "null"]},
        "totp_enabled": {"type": "boolean"},
    },
}


def me_body(user: User, csrf_token: str | None) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "csrf_token": csrf_token,
        "totp_enabled": user.totp_enabled,
    }


def _secret_key() -> bytes:
    return current_app.config["OT"].secret_key


def _throttled(*checks: tuple[throttle.Limit, str]) -> None:
    wait = throttle.retry_after(db.session, *checks)
    if wait is not None:
        raise ApiError(
            429,
            f"Too many failed attempts; try again in {wait} s.",
            code="throttled",
            headers={"Retry-After": str(wait)},
        )


def _fail(checks, message: str, code: str, username: str | None, reason: str):
    """Count the failure everywhere it counts, note it in the audit trail, and refuse."""
    db.session.rollback()
    for rule, key in checks:
        throttle.record(db.session, rule, key)
    audit.record("auth.login_failed", None, username=username, reason=reason)
    db.session.commit()
    raise ApiError(401, message, code=code)


def _sign_in(user: User, status: int = 200):
    # A browser signing in again replaces its old session rather than leaving it to linger.
    previous = sessions.load(request.cookies.get(sessions.COOKIE), current_app.config["OT"].session_days)
    if previous is not None:
        sessions.end(previous[0].id)
    raw, row = sessions.start(user, client_address(), request.headers.get("User-Agent"))
    user.last_login_at = utcnow()
    audit.record("auth.login", f"user:{user.id}", actor=user)
    db.session.commit()
    g.set_session_cookie = raw
    return jsonify(me_body(user, row.csrf_token)), status


@bp.post("/setup")
@doc(
    "Create the owner account while none exists (needs the setup code)",
    body=SetupIn,
    response=ME,
    status=201,
    tag="auth",
)
def setup():
    config = current_app.config["OT"]
    if accounts.count_users(db.session) > 0:
        raise ApiError(409, "This install already has an owner; sign in instead.", code="setup_done")
    data = validate(SetupIn, read_json_object())
    address = client_address()
    _throttled((throttle.LOGIN_ADDRESS, address))
    if not setup_code.matches(config.data_dir, data.setup_code):
        throttle.record(db.session, throttle.LOGIN_ADDRESS, address)
        db.session.commit()
        raise ApiError(
            403,
            "The setup code is wrong (see the server's log or DATA_DIR/setup_code).",
            code="bad_setup_code",
        )
    user = accounts.create_user(db.session, data.username, data.password, "admin")
    if accounts.count_users(db.session) != 1:  # another setup raced this one: neither wins
        raise ApiError(409, "This install already has an owner; sign in instead.", code="setup_done")
    audit.record("user.create", f"user:{user.id}", actor=user, role="admin", via="setup")
    response = _sign_in(user, 201)
    setup_code.discard(config.data_dir)
    current_app.logger.info("owner account %r created through the setup page", user.username)
    return response


@bp.post("/login")
@doc("Sign in; sets the session cookie", body=LoginIn, response=ME, tag="auth")
def login():
    data = validate(LoginIn, read_json_object())
    name = data.username.strip().lower()
    checks = [(throttle.LOGIN_ADDRESS, client_address()), (throttle.LOGIN_USER, name)]
    _throttled(*checks)
    user = accounts.find_user(db.session, name)
    if not accounts.check_password(user, data.password) or not user.active:
        _fail(checks, "Wrong username or password.", "invalid_credentials", data.username, "password")
    if user.totp_enabled:
        if not data.totp:
            raise ApiError(401, "Enter the code from your authenticator app.", code="totp_required")
        if not accounts.check_second_factor(db.session, user, data.totp, _secret_key()):
            _fail(
                checks, "That code is not valid (or was already used).", "totp_invalid", user.username, "totp"
            )
    return _sign_in(user)


@bp.post("/logout")
@doc("Sign out: ends this session", tag="auth")
def logout():
    identity = current()
    if identity.session is not None:
        sessions.end(identity.session.id)
        audit.record("auth.logout", f"user:{identity.user.id}")
        db.session.commit()
    g.clear_session_cookie = True
    return jsonify({"signed_out": True})


@bp.get("/me")
@doc("The signed-in user (401 when not signed in)", response=ME, tag="auth")
def me():
    identity = current()
    return jsonify(me_body(identity.user, identity.csrf_token))


@bp.put("/password")
@doc("Change your password; your other sessions end", body=PasswordChangeIn, response=ME, tag="auth")
def change_password():
    identity = current()
    data = validate(PasswordChangeIn, read_json_object())
    user = identity.user
    checks = [(throttle.LOGIN_USER, user.username.lower())]
    _throttled(*checks)
    if not accounts.check_password(user, data.current_password):
        db.session.rollback()
        throttle.record(db.session, throttle.LOGIN_USER, user.username.lower())
        db.session.commit()
        raise ApiError(
            403,
            "The current password is wrong.",
            code="wrong_password",
            fields={"current_password": "is wrong"},
        )
    accounts.set_password(user, data.new_password)
    ended = sessions.end_all(user.id, keep=identity.session.id if identity.session else None)
    audit.record("user.password", f"user:{user.id}", other_sessions_ended=ended)
    db.session.commit()
    return jsonify(me_body(user, identity.csrf_token))


@bp.post("/totp")
@doc("Start two-factor enrolment: a new secret and its QR code (confirm with a code)", tag="auth")
def totp_begin():
    user = current().user
    if user.totp_enabled:
        raise ApiError(
            409, "Two-factor authentication is already on; turn it off first.", code="totp_enabled"
        )
    secret = accounts.new_totp_secret()
    user.totp_secret_enc = crypto.encrypt(_secret_key(), secret)
    db.session.commit()
    uri = accounts.totp_uri(secret, user.username)
    return jsonify({"secret": secret, "otpauth_uri": uri, "qr_svg": accounts.qr_svg(uri)})


@bp.post("/totp/confirm")
@doc(
    "Turn two-factor on with a code from the app; answers ten recovery codes, once",
    body=TotpCodeIn,
    tag="auth",
)
def totp_confirm():
    user = current().user
    data = validate(TotpCodeIn, read_json_object())
    if user.totp_enabled:
        raise ApiError(409, "Two-factor authentication is already on.", code="totp_enabled")
    if not user.totp_secret_enc:
        raise ApiError(409, "Start the enrolment first (POST /api/auth/totp).", code="totp_not_started")
    secret = crypto.decrypt(_secret_key(), user.totp_secret_enc)
    step = accounts.totp_step(secret, data.code, None)
    if step is None:
        raise ApiError(
            422,
            "That code is not valid; check the time on your phone.",
            fields={"code": "is not valid"},
            code="totp_invalid",
        )
    user.totp_enabled = True
    user.totp_last_step = step
    codes = accounts.new_recovery_codes(db.session, user)
    audit.record("user.totp_on", f"user:{user.id}")
    db.session.commit()
    return jsonify({"recovery_codes": codes})


@bp.delete("/totp")
@doc("Turn two-factor off (needs your password)", body=PasswordIn, tag="auth")
def totp_disable():
    identity = current()
    user = identity.user
    data = validate(PasswordIn, read_json_object())
    if not accounts.check_password(user, data.password):
        raise ApiError(403, "The password is wrong.", code="wrong_password", fields={"password": "is wrong"})
    disable_totp(user)
    audit.record("user.totp_off", f"user:{user.id}")
    db.session.commit()
    return jsonify(me_body(user, identity.csrf_token))


def disable_totp(user: User) -> None:
    from shared.models import RecoveryCode

    user.totp_enabled = False
    user.totp_secret_enc = None
    user.totp_last_step = None
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
