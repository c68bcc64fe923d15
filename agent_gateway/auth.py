"""Server side of agent authentication: signatures, replay protection, slowing down guessers."""

from __future__ import annotations

import hmac
import time

from flask import request

from agent_gateway import protocol
from shared.dialect import insert
from shared.models import AgentNonce, utcnow


class AuthError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def verify(session, key: str) -> None:
    """Raise AuthError(401) unless the current request is signed with ``key``, fresh and not a replay."""
    timestamp = request.headers.get(protocol.H_TIMESTAMP, "")
    nonce = request.headers.get(protocol.H_NONCE, "")
    signature = request.headers.get(protocol.H_SIGNATURE, "")
    if not (timestamp.isdigit() and 16 <= len(nonce) <= 64 and nonce.isalnum() and signature):
        raise AuthError(401, "Request is not signed.")
    if abs(time.time() - int(timestamp)) > protocol.MAX_SKEW_SECONDS:
        raise AuthError(401, "Request timestamp is too far from the server's clock.")
    expected = protocol.sign(key, request.method, request.path, timestamp, nonce, request.get_data())
    if not hmac.compare_digest(expected, signature):
        raise AuthError(401, "Signature does not match.")
    fresh = session.execute(
        insert(session, AgentNonce.__table__).values(nonce=nonce, seen_at=utcnow()).on_conflict_do_nothing()
    )
    if fresh.rowcount != 1:
        raise AuthError(401, "Request was already used (replay).")
