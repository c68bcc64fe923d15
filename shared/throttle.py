"""Counting failed authentications in the database, so every process sees the same counts.

Web login (per username and per address) and the agent gateway (per address) share this. Only
failures are written, and nothing more is written once a key is throttled, so an attacker can
add at most ``limit`` rows per key and window; retention removes rows older than a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, func, or_, select
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


def retry_after(session: Session, *checks: tuple[Limit, str]) -> int | None:
    """Seconds until every ``(rule, key)`` is under its limit again, or None when all are now.

    One query for all of them: the agent gateway asks on every request."""
    now = utcnow()
    since = {rule.scope: now - timedelta(seconds=rule.window_seconds) for rule, _ in checks}
    rows = session.execute(
        select(AuthFailure.scope, func.count(), func.min(AuthFailure.at))
        .where(
            or_(
                *(
                    and_(
                        AuthFailure.scope == rule.scope,
                        AuthFailure.key == key[:200],
                        AuthFailure.at > since[rule.scope],
                    )
                    for rule, key in checks
                )
            )
        )
        .group_by(AuthFailure.scope)
    ).all()
    limits = {rule.scope: rule.limit for rule, _ in checks}
    waits = [
        max(1, int((oldest - since[scope]).total_seconds()) + 1)
        for scope, count, oldest in rows
        if count >= limits[scope]
    ]
    return max(waits) if waits else None


def record(session: Session, rule: Limit, key: str) -> None:
    session.add(AuthFailure(scope=rule.scope, key=key[:200], at=utcnow()))


def purge(session: Session) -> int:
    return session.execute(delete(AuthFailure).where(AuthFailure.at < utcnow() - KEEP)).rowcount
