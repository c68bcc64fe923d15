"""The audit trail: who changed what, when and from where. Secrets are never written here.

An entry is added to the request's database session, so it commits (or rolls back) together with
the change it describes.
"""

from __future__ import annotations

import json

from shared.models import AuditEntry, User
from web.extensions import db

#: Field names whose values never enter the trail; only the fact that they changed does.
SECRET_FIELDS = frozenset({"password", "smtp_password", "shared_secret", "totp", "token", "secret"})


def redact(details: dict) -> dict:
    out = {}
    for key, value in details.items():
        if key in SECRET_FIELDS or key.endswith("_password") or key.endswith("_secret"):
            out[key] = "(changed)"
        elif isinstance(value, dict):
            out[key] = redact(value)
        else:
            out[key] = value
    return out


def record(action: str, subject: str | None = None, actor: User | None = None, **details) -> None:
    """``subject`` names what changed (``monitor:3``); ``details`` say how (secrets redacted)."""
    from web.auth import client_address, current

    identity = current()
    user = actor or (identity.user if identity is not None else None)
    if identity is not None and identity.via == "token" and "token" not in details:
        details["via_token"] = identity.token.name
    db.session.add(
        AuditEntry(
            user_id=user.id if user is not None else None,
            username=user.username if user is not None else details.pop("username", None),
            address=client_address(),
            action=action,
            target=(subject or "")[:200] or None,
            details=json.dumps(redact(details), default=str, ensure_ascii=False),
        )
    )


def changes(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for the fields that differ (secrets redacted by :func:`record`)."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}
