"""Access control for the admin web app: who is asking, and may they.

Closed by default: a request passes only if its endpoint is in :data:`OPEN_ENDPOINTS` or it
carries a session cookie, a bearer token, or (from a trusted proxy) the single-sign-on header.
Then the role and the token's scope decide; a cookie-authenticated write must also carry the
session's CSRF token. A new route is therefore closed unless someone opens it here, on purpose.

One exception, for Prometheus: ``GET /metrics`` (:data:`METRICS_ENDPOINT`) without credentials is
served to client addresses in ``METRICS_ALLOW`` (403 ``address_not_allowed`` from any other address
while that is set; 401 as everywhere when it is not). With a token or a session it is like any read.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app, g, request
from sqlalchemy import update

from shared import accounts, setup_code
from shared import proxies as net
from shared.models import ApiToken, AuthSession, User, utcnow
from web.auth import sessions
from web.errors import ApiError
from web.extensions import db

#: The one list of what answers without credentials. Everything else needs a session or a token.
OPEN_ENDPOINTS = frozenset(
    {
        "meta.healthz",  # ok / database / broker only
        "auth.setup",  # refused once any account exists
        "auth.login",
        "spa.root",  # the dashboard's static files: no data in them
        "spa.asset",
        "spa.client_route",
        "static",
        "push.ping",  # heartbeats: the secret token in the URL is the credential
        "push.fail",
        "push.start",
        "badges.svg",  # badges: the random key in the URL is the capability (read-only numbers)
        "badges.json",
        "status_page.page",  # public status pages: only what their admin chose to show
        "status_page.page_json",
    }
)
#: Readable by admins only, even with GET.
ADMIN_BLUEPRINTS = frozenset(
    {"settings", "agents", "alerts", "users", "tokens", "audit", "status_pages", "maintenance"}
)
#: Never reachable with a token, whatever its scope: tokens can't mint tokens or users.
NO_TOKEN_BLUEPRINTS = frozenset({"users", "tokens"})
#: What any signed-in user may do for their own account (viewers included); session only.
SELF_SERVICE = frozenset(
    {
        "auth.me",
        "auth.logout",
        "auth.change_password",
        "auth.totp_begin",
        "auth.totp_confirm",
        "auth.totp_disable",
    }
)
#: Readable without credentials from the addresses in ``METRICS_ALLOW`` (see the module docstring).
METRICS_ENDPOINT = "metrics.metrics"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON_TYPES = ("application/json",)


@dataclass
class Identity:
    user: User
    via: str  # "session", "token" or "proxy"
    session: AuthSession | None = None
    token: ApiToken | None = None

    @property
    def csrf_token(self) -> str | None:
        return self.session.csrf_token if self.session is not None else None


def current() -> Identity | None:
    return g.get("identity")


def client_address() -> str:
    cfg = current_app.config["OT"]
    return net.address_of(request, cfg.trusted_proxies)


def over_https() -> bool:
    cfg = current_app.config["OT"]
    return net.is_https(
        request.scheme, request.remote_addr, request.headers.get("X-Forwarded-Proto"), cfg.trusted_proxies
    )


def _unauthorized(message: str, code: str) -> ApiError:
    return ApiError(401, message, code=code)


def _accounts_exist() -> bool:
    """Cached once true: the last admin can't be removed, so accounts never go back to none."""
    if current_app.extensions.get("ot_accounts_exist"):
        return True
    exists = accounts.count_users(db.session) > 0
    if exists:
        current_app.extensions["ot_accounts_exist"] = True
    return exists


def _from_token(header: str) -> Identity:
    raw = header[7:].strip()
    token = accounts.find_token(db.session, raw, utcnow())
    user = db.session.get(User, token.user_id) if token is not None else None
    if token is None or user is None or not user.active:
        raise _unauthorized("The API token is not valid, expired or revoked.", "invalid_token")
    now = utcnow()
    if token.last_used_at is None or token.last_used_at < now - sessions.TOUCH_EVERY:
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.session.commit()
    return Identity(user, "token", token=token)


def _from_proxy(username: str, cfg) -> Identity:
    """Single sign-on: the proxy vouches for the name. A session is made (and its cookie set) so
    the dashboard gets a CSRF token and writes are protected as for a password sign-in."""
    try:
        from shared.schemas import check_username

        check_username(username)
    except ValueError:
        raise _unauthorized("The sign-on header does not hold a valid user name.", "login_required") from None
    cookie = sessions.load(request.cookies.get(sessions.COOKIE), cfg.session_days)
    if cookie is not None and cookie[1].username.lower() == username.lower():
        return Identity(cookie[1], "proxy", session=cookie[0])
    user = accounts.find_user(db.session, username)
    if user is None:
        user = accounts.create_user(db.session, username, secrets.token_urlsafe(32), "viewer")
        from web.auth import audit

        audit.record("user.create", f"user:{user.id}", actor=user, via="proxy header", role="viewer")
    if not user.active:
        raise ApiError(403, "This account is deactivated.", code="inactive")
    raw, row = sessions.start(user, client_address(), request.headers.get("User-Agent"))
    user.last_login_at = utcnow()
    db.session.commit()
    g.set_session_cookie = raw
    return Identity(user, "proxy", session=row)


def _identify(cfg) -> Identity | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return _from_token(header)
    if cfg.auth_proxy_header and net.from_trusted_proxy(request.remote_addr, cfg.trusted_proxies):
        name = request.headers.get(cfg.auth_proxy_header, "").strip()
        if name:
            return _from_proxy(name, cfg)
    found = sessions.load(request.cookies.get(sessions.COOKIE), cfg.session_days)
    if found is not None:
        return Identity(found[1], "session", session=found[0])
    return None


def _check_body_type() -> None:
    """Writes take JSON only: a cross-site HTML form or a ``text/plain`` fetch can't act."""
    if request.method in READ_METHODS:
        return
    mimetype = request.mimetype
    has_body = bool(request.content_length) or bool(request.headers.get("Transfer-Encoding"))
    if (mimetype and mimetype not in JSON_TYPES) or (has_body and not mimetype):
        raise ApiError(415, "Send the body as JSON (Content-Type: application/json).", code="json_only")


def _authorize(identity: Identity, endpoint: str, blueprint: str | None) -> None:
    write = request.method not in READ_METHODS
    if identity.via == "token":
        if blueprint in NO_TOKEN_BLUEPRINTS or (blueprint == "auth" and endpoint != "auth.me"):
            raise ApiError(403, "API tokens can't manage users, tokens or sign-ins.", code="token_forbidden")
        if write and identity.token.scope != "write":
            raise ApiError(403, "This token is read-only.", code="read_only_token")
    elif write:
        given = request.headers.get("X-CSRF-Token", "")
        if not secrets.compare_digest(given.encode(), (identity.csrf_token or "").encode()):
            raise ApiError(403, "Missing or wrong X-CSRF-Token header.", code="csrf")
    if endpoint in SELF_SERVICE:
        return
    if identity.user.role != "admin" and (write or blueprint in ADMIN_BLUEPRINTS):
        raise ApiError(403, "Your account can only view; ask an admin.", code="forbidden")


def guard():
    cfg = current_app.config["OT"]
    endpoint = request.endpoint or ""
    if endpoint in OPEN_ENDPOINTS:
        if endpoint.startswith("auth."):
            _check_body_type()
        return None
    if not _accounts_exist():
        setup_code.ensure(cfg.data_dir)
        raise ApiError(
            401,
            "setup required",
            code="setup_required",
            hint="Create the owner account with the setup code from the server's log, "
            "or run: onlinetracker create-user NAME --role admin",
        )
    identity = _identify(cfg)
    if identity is None and endpoint == METRICS_ENDPOINT and cfg.metrics_allow:
        if net.in_networks(client_address(), cfg.metrics_allow):
            return None
        raise ApiError(403, "This address may not read /metrics without a token.", code="address_not_allowed")
    if identity is None:
        raise _unauthorized("Sign in first (or send Authorization: Bearer <token>).", "login_required")
    g.identity = identity
    _check_body_type()
    _authorize(identity, endpoint, request.blueprint)
    return None


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def set_cookie(response, raw: str) -> None:
    days = current_app.config["OT"].session_days
    response.set_cookie(
        sessions.COOKIE,
        raw,
        max_age=int(timedelta(days=days).total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=over_https(),
        path="/",
    )


def clear_cookie(response) -> None:
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="Lax", secure=over_https())


def _finish(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    raw = g.pop("set_session_cookie", None)
    if raw:
        set_cookie(response, raw)
    if g.pop("clear_session_cookie", False):
        clear_cookie(response)
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def install(app: Flask) -> None:
    app.before_request(guard)
    app.after_request(_finish)
