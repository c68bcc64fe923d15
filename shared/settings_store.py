"""Runtime settings kept in the database, one row per section, secrets encrypted at rest.

A PUT is partial: the given fields are merged into the stored section and the whole section is
validated again, so a section is never stored half-valid. Secret fields are write-only: omitted
keeps them, ``""`` or ``null`` clears them, and reading answers only ``<field>_set``.
"""

from __future__ import annotations

import json

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import crypto
from shared.models import Setting
from shared.schemas import SECRET_FIELDS, SECTIONS, FieldErrors
from shared.thresholds import Thresholds
from shared.validation import validate


def _stored(session: Session, section: str, for_update: bool = False) -> tuple[Setting | None, dict]:
    query = select(Setting).where(Setting.section == section)
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query).first()
    return row, (json.loads(row.value) if row else {})


def load_section(
    session: Session, section: str, secret_key: bytes, unreadable: list[str] | None = None
) -> BaseModel:
    """The section with defaults filled in and secrets decrypted, for the code that uses them.

    A secret that can't be decrypted (SECRET_KEY changed) raises :class:`crypto.SecretUnreadable`,
    unless ``unreadable`` is given: then it is left empty and its name appended there, so a caller
    that needs only some secrets (the webhook needs none) can go on without it."""
    _, stored = _stored(session, section)
    values = {k: v for k, v in stored.items() if not k.endswith("_enc")}
    for name in SECRET_FIELDS.get(section, ()):
        token = stored.get(f"{name}_enc")
        try:
            values[name] = crypto.decrypt(secret_key, token) if token else None
        except crypto.SecretUnreadable:
            if unreadable is None:
                raise
            unreadable.append(name)
            values[name] = None
    return SECTIONS[section].model_validate(values, strict=False)


def monitoring_defaults(session: Session) -> Thresholds:
    return Thresholds(**load_section(session, "monitoring", b"").model_dump())


def public_view(session: Session) -> dict:
    """All sections as GET /api/settings answers them: secrets only as ``<field>_set``."""
    view = {}
    for section, model in SECTIONS.items():
        _, stored = _stored(session, section)
        secret_names = SECRET_FIELDS.get(section, ())
        plain = {k: v for k, v in stored.items() if not k.endswith("_enc")}
        values = model.model_validate(plain, strict=False).model_dump(exclude=set(secret_names))
        for name in secret_names:
            values[f"{name}_set"] = bool(stored.get(f"{name}_enc"))
        view[section] = values
    return view


def update(session: Session, payload: dict, secret_key: bytes) -> None:
    """Validate and stage a partial update of several sections; the caller commits.

    Raises :class:`FieldErrors` (keys like ``alerts.smtp_port``) and writes nothing on any error.
    """
    errors: dict[str, str] = {}
    staged: list[tuple[str, Setting | None, dict]] = []
    for section, changes in payload.items():
        if section not in SECTIONS:
            errors[section] = "unknown settings section"
            continue
        if not isinstance(changes, dict):
            errors[section] = "must be an object"
            continue
        secret_names = SECRET_FIELDS.get(section, ())
        model = SECTIONS[section]
        changes = {k: v for k, v in changes.items() if not (k.endswith("_set") and k[:-4] in secret_names)}
        unknown = set(changes) - set(model.model_fields)
        for name in sorted(unknown):
            errors[f"{section}.{name}"] = "unknown field"
        row, stored = _stored(session, section, for_update=True)
        merged = {k: v for k, v in stored.items() if not k.endswith("_enc")}
        merged.update({k: v for k, v in changes.items() if k not in secret_names and k not in unknown})
        try:
            validated = validate(model, {**merged, **{n: changes.get(n) for n in secret_names}})
        except FieldErrors as exc:
            errors.update({f"{section}.{k}": v for k, v in exc.errors.items()})
            continue
        new_value = validated.model_dump(exclude=set(secret_names))
        for name in secret_names:
            if name not in changes:
                if stored.get(f"{name}_enc"):
                    new_value[f"{name}_enc"] = stored[f"{name}_enc"]
            elif changes[name]:
                new_value[f"{name}_enc"] = crypto.encrypt(secret_key, changes[name])
        staged.append((section, row, new_value))
    if errors:
        raise FieldErrors(errors)
    for section, row, value in staged:
        if row is None:
            session.add(Setting(section=section, value=json.dumps(value)))
        else:
            row.value = json.dumps(value)
