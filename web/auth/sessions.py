"""Server-side sessions: the cookie carries a random token, the database its hash and the user.

Kept in the database (not a signed cookie) so a session can be ended: by signing out, by a
password change (the user's other sessions), by an admin, or by idling past ``SESSION_DAYS``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from shared.accounts import sha256
from shared.models import AuthSession, User, utcnow
from web.extensions import db

COOKIE = "ot_session"
#: ``last_seen_at`` is written at most this often, so reads don't each cost a write.
TOUCH_EVERY = timedelta(minutes=1)


def start(user: User, address: str | None, user_agent: str | None) -> tuple[str, AuthSession]:
    """A new session for ``user``; returns the cookie value (shown nowhere else) and the row."""
    raw = secrets.token_urlsafe(32)
    row = AuthSession(
        token_hash=sha256(raw),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(24),
        address=(address or "")[:64] or None,
        user_agent=(user_agent or "")[:200] or None,
    )
    db.session.add(row)
    db.session.flush()
    return raw, row


def load(raw: str | None, idle_days: int) -> tuple[AuthSession, User] | None:
    """The live session and its active user for a cookie value, refreshing its idle clock."""
    if not raw or len(raw) > 100:
        return None
    found = db.session.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == sha256(raw))
    ).first()
    if found is None:
        return None
    session_row, user = found
    now = utcnow()
    if session_row.last_seen_at < now - timedelta(days=idle_days) or not user.active:
        return None
    if session_row.last_seen_at < now - TOUCH_EVERY:
        db.session.execute(
            update(AuthSession).where(AuthSession.id == session_row.id).values(last_seen_at=now)
        )
        db.session.commit()
    return session_row, user


def end(session_id: int) -> None:
    db.session.execute(delete(AuthSession).where(AuthSession.id == session_id))


def end_all(user_id: int, keep: int | None = None) -> int:
    """End every session of a user, except ``keep``; returns how many ended."""
    query = delete(AuthSession).where(AuthSession.user_id == user_id)
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    return db.session.execute(query).rowcount
