"""Encryption of stored secrets (SMTP password, agents' shared secret) with a key from SECRET_KEY.

Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``; the Fernet key is derived from
``SECRET_KEY`` with HKDF so that any length of secret key works and the raw key is never reused.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretUnreadable(Exception):
    """A stored secret could not be decrypted: SECRET_KEY changed since it was written."""


def _fernet(secret_key: bytes) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"onlinetracker-settings", info=b"fernet-v1"
    ).derive(secret_key)
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(secret_key: bytes, plaintext: str) -> str:
    return _fernet(secret_key).encrypt(plaintext.encode()).decode()


def decrypt(secret_key: bytes, token: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("a stored secret can't be decrypted: was SECRET_KEY changed?") from None
