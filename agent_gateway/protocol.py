"""The agent protocol, shared by both ends: request signing and the agent's own credential.

Every request carries ``X-OT-Timestamp``, ``X-OT-Nonce`` and ``X-OT-Signature``: an HMAC-SHA256 over
the method, path, timestamp, nonce and the SHA-256 of the body. Registration is signed with the
shared secret, later requests with the agent's credential. The server refuses a timestamp more than
``MAX_SKEW_SECONDS`` away and a nonce it has seen, so a captured request can't be replayed, and a
tampered one fails the signature. Neither the shared secret nor the credential ever crosses the
wire: the credential is derived on both ends from the shared secret and a salt the server sends.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

MAX_SKEW_SECONDS = 300
H_AGENT = "X-OT-Agent"
H_TIMESTAMP = "X-OT-Timestamp"
H_NONCE = "X-OT-Nonce"
H_SIGNATURE = "X-OT-Signature"


def canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), path, timestamp, nonce, digest)).encode()


def sign(key: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(key.encode(), canonical(method, path, timestamp, nonce, body), hashlib.sha256).hexdigest()


def signed_headers(
    key: str, agent: str, method: str, path: str, body: bytes, now: float | None = None
) -> dict:
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_hex(16)
    return {
        H_AGENT: agent,
        H_TIMESTAMP: timestamp,
        H_NONCE: nonce,
        H_SIGNATURE: sign(key, method, path, timestamp, nonce, body),
        "Content-Type": "application/json",
    }


def derive_credential(shared_secret: str, agent_uuid: str, salt: str) -> str:
    """The agent's own key: both ends compute it, so it is never sent."""
    message = f"onlinetracker-agent-credential|{agent_uuid}|{salt}".encode()
    return hmac.new(shared_secret.encode(), message, hashlib.sha256).hexdigest()


def fingerprint(shared_secret: str) -> str:
    """Identifies which shared secret an agent registered under, without storing the secret twice."""
    return hashlib.sha256(b"onlinetracker-secret-fingerprint|" + shared_secret.encode()).hexdigest()
