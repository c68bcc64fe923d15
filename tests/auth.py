"""Signing tests in: real users, real server-side sessions, the CSRF header sent like the dashboard.

The password hash is computed once per test run (argon2 is slow on purpose); each test's user gets
a session through ``web.auth.sessions.start``, the same function a password sign-in ends in.
Signing in with the password itself is tested in tests/test_auth_*.py.
"""

from __future__ import annotations

import functools

from flask.testing import FlaskClient
from werkzeug.datastructures import Headers

PASSWORD = "correct horse battery"


@functools.cache
def password_hash() -> str:
    from shared.accounts import hash_password

    return hash_password(PASSWORD)


class ApiClient(FlaskClient):
    """Sends ``X-CSRF-Token`` with every request once signed in (as the dashboard does); a test
    that wants a request without it passes ``csrf=False``."""

    csrf_token: str | None = None

    def open(self, *args, csrf: bool = True, **kwargs):
        if csrf and self.csrf_token:
            headers = Headers(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRF-Token", self.csrf_token)
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def ensure_user(app, username: str, role: str):
    from shared import accounts
    from shared.models import User
    from web.extensions import db

    with app.app_context():
        user = accounts.find_user(db.session, username)
        if user is None:
            user = User(username=username, password_hash=password_hash(), role=role, active=True)
            db.session.add(user)
            db.session.commit()
        return user.id


def sign_in(app, username: str = "admin", role: str = "admin") -> ApiClient:
    """A test client signed in as ``username`` (made with ``role`` if missing)."""
    from shared.models import User
    from web.auth import sessions
    from web.extensions import db

    ensure_user(app, username, role)
    app.test_client_class = ApiClient
    client = app.test_client()
    with app.test_request_context():
        user = db.session.get(User, ensure_user(app, username, role))
        raw, row = sessions.start(user, "127.0.0.1", "pytest")
        db.session.commit()
        client.csrf_token = row.csrf_token
    client.set_cookie(sessions.COOKIE, raw, domain="localhost")
    return client


def anonymous(app) -> ApiClient:
    app.test_client_class = ApiClient
    return app.test_client()


def create_user_cli(env: dict, name: str, role: str = "admin", password: str = PASSWORD):
    """``onlinetracker create-user``, the password on stdin, as a script would run it."""
    import os
    import subprocess

    from tests.processes import command

    return subprocess.run(
        command("create-user", name, "--role", role),
        input=password + "\n",
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def http_sign_in(base: str, username: str = "admin", password: str = PASSWORD):
    """A ``requests`` session signed in to a running web process, sending the CSRF header."""
    import requests

    session = requests.Session()
    response = session.post(
        f"{base}/api/auth/login", json={"username": username, "password": password}, timeout=30
    )
    assert response.status_code == 200, response.text
    session.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return session
