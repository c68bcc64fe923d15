"""Server side of agent authentication: signatures, replay protection, slowing down guessers."""

from __future__ import annotations

import hmac
import threading
import time
from collections import defaultdict, deque

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


class FailureLimiter:
    """After ``limit`` authentication failures from one address within ``window`` seconds, that
    address is answered 429 until the window has passed: guessing the secret becomes slow."""

    def __init__(self, limit: int = 10, window: float = 60.0):
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, address: str, now: float) -> deque:
        failures = self._failures[address]
        while failures and failures[0] < now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, address: str) -> int | None:
        now = time.monotonic()
        with self._lock:
            failures = self._trim(address, now)
            if len(failures) >= self.limit:
                return max(1, int(failures[0] + self.window - now) + 1)
            if not failures:
                self._failures.pop(address, None)
        return None

    def failed(self, address: str) -> None:
        with self._lock:
            self._trim(address, time.monotonic()).append(time.monotonic())
