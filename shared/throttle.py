"""Counting failed authentications in the database, so every process sees the same counts.

Web login (per username and per address) and the agent gateway (per address) share this. Only
failures are written, and nothing more is written once a key is throttled, so an attacker can
add at most ``limit`` rows per key and window; retention removes rows older than a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from shared.models import AuthFailure, utcnow


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    window_seconds: int


LOGIN_USER = Limit("login-user", 10, 15 * 60)
LOGIN_ADDRESS = Limit("login-address", 30, 60 * 60)
GATEWAY_AGENT = Limit("gateway-agent", 10, 60)
GATEWAY_ADDRESS = Limit("gateway-address", 60, 60)
KEEP = timedelta(days=1)


def retry_after(session: Session, rule: Limit, key: str) -> int | None:
    """Seconds until ``key`` may try again, or None when it is under the limit."""
    now = utcnow()
    since = now - timedelta(seconds=rule.window_seconds)
    count, oldest = session.execute(
        select(func.count(), func.min(AuthFailure.at)).where(
            AuthFailure.scope == rule.scope, AuthFailure.key == key[:200], AuthFailure.at > since
        )
    ).one()
    if count < rule.limit:
        return None
    return max(1, int((oldest - since).total_seconds()) + 1)


def record(session: Session, rule: Limit, key: str) -> None:
    session.add(AuthFailure(scope=rule.scope, key=key[:200], at=utcnow()))


def purge(session: Session) -> int:
    return session.execute(delete(AuthFailure).where(AuthFailure.at < utcnow() - KEEP)).rowcount
