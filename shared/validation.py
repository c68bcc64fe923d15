"""Turning pydantic's errors into API.md's ``{"field": "what is wrong"}`` map."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from shared.schemas import FieldErrors


def field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        inner = (err.get("ctx") or {}).get("error")
        if isinstance(inner, FieldErrors):
            # From a nested model's validator (``http``): its fields are under the nested name.
            prefix = "".join(f"{part}." for part in err["loc"])
            errors.update({prefix + key: message for key, message in inner.errors.items()})
            continue
        loc = ".".join(str(part) for part in err["loc"]) or "body"
        message = err["msg"].removeprefix("Value error, ")
        errors.setdefault(loc, message[0].lower() + message[1:] if message else "is invalid")
    return errors


def validate(model: type[BaseModel], data) -> BaseModel:
    """Validate or raise :class:`FieldErrors`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FieldErrors(field_errors(exc)) from None
