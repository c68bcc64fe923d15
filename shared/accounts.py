"""Accounts: password hashing, creating users, the last-admin rule, API tokens, two-factor codes.

Shared by the web app and the ``create-user`` command so that both apply the same rules. Nothing
here logs or returns a secret: passwords are argon2 hashes, tokens and recovery codes SHA-256
hashes (they are long random strings, so a fast hash is enough), the TOTP secret is encrypted.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared import crypto
from shared.models import ApiToken, RecoveryCode, User, utcnow

TOKEN_PREFIX = "ot_"
RECOVERY_CODES = 10
#: How many 30-second TOTP steps either side of now a code may be from (clock drift).
TOTP_DRIFT_STEPS = 1
TOTP_ISSUER = "OnlineTracker"

_hasher = PasswordHasher()
#: Checked when a username does not exist, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(Exception):
    """A rule about accounts was broken; ``code`` is a stable machine-readable name."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """True when ``password`` is ``user``'s; takes as long when the user is None or inactive."""
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def find_user(session: Session, username: str) -> User | None:
    """Usernames are case-insensitive for signing in and for uniqueness."""
    return session.scalars(select(User).where(func.lower(User.username) == username.lower())).first()


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def create_user(session: Session, username: str, password: str, role: str) -> User:
    if find_user(session, username) is not None:
        raise AccountError(409, "username_taken", f"A user named {username!r} already exists.")
    user = User(username=username, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()


def leaves_no_admin(active_admins: int, user_is_active_admin: bool, stays_active_admin: bool) -> bool:
    """The last-admin rule as a pure function: a change may not take away the last active admin."""
    return user_is_active_admin and not stays_active_admin and active_admins <= 1


def guard_last_admin(session: Session, user: User, role: str, active: bool) -> None:
    """Refuse (409 ``last_admin``) a change that would leave no active admin."""
    admins = session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
    )
    is_admin = user.role == "admin" and user.active
    if leaves_no_admin(admins or 0, is_admin, role == "admin" and active):
        raise AccountError(
            409, "last_admin", "The last active admin can't be removed, demoted or deactivated."
        )


# --- API tokens ---------------------------------------------------------------------------------


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def find_token(session: Session, raw: str, now: datetime) -> ApiToken | None:
    """The live token ``raw`` names (not expired, owner active), or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == sha256(raw))).first()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    return token


# --- Two-factor ---------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def qr_svg(data: str) -> str:
    """A standalone SVG document (with its namespace, so an ``<img>`` can draw it)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(data, error="m").save(
        out, kind="svg", scale=5, border=2, dark="#111", light="#fff", xmldecl=False
    )
    return out.getvalue().decode()


def totp_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to, when it is valid and newer than ``last_step``; else None.

    Remembering the step of the last accepted code makes every code good once only, which a
    plain ``pyotp.TOTP.verify`` does not.
    """
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    current = int(now // totp.interval)
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step if last_step is None or step > last_step else None
    return None


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten fresh codes (the old ones stop working), returned in clear this once."""
    session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=sha256(code)) for code in codes)
    return codes


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    """Consume ``code`` if it is one of the user's; a deleted row can't be used again."""
    code = code.strip().lower()
    deleted = session.execute(
        RecoveryCode.__table__.delete().where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == sha256(code)
        )
    )
    return deleted.rowcount == 1


def check_second_factor(session: Session, user: User, code: str, secret_key: bytes) -> bool:
    """A TOTP code (once) or a recovery code (once). Marks the code used when it is accepted."""
    secret = crypto.decrypt(secret_key, user.totp_secret_enc or "")
    step = totp_step(secret, code, user.totp_last_step)
    if step is not None:
        # Compare-and-set, so two sign-ins racing with one code can't both pass.
        claimed = session.execute(
            update(User)
            .where(User.id == user.id)
            .where((User.totp_last_step.is_(None)) | (User.totp_last_step < step))
            .values(totp_last_step=step)
        )
        return claimed.rowcount == 1
    return use_recovery_code(session, user, code)
