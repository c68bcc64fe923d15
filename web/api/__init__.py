"""The admin REST API: one blueprint per resource, thin handlers over shared/."""

from __future__ import annotations

import json

from flask import request

from web.errors import ApiError
from web.extensions import db


def read_json_object() -> dict:
    """The request body as a JSON object, or a 400/422 ApiError saying what is wrong with it."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(400, "Request body is empty; send a JSON object.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(422, "Request body must be a JSON object.")
    return data


def query_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            422, f"Query parameter {name} must be a whole number.", {name: "must be a whole number"}
        ) from None
    if not low <= value <= high:
        raise ApiError(422, f"Query parameter {name} is out of range.", {name: f"must be {low} … {high}"})
    return value


def get_or_404(model, ident, what: str):
    obj = db.session.get(model, ident)
    if obj is None:
        raise ApiError(404, f"{what} {ident} does not exist.")
    return obj
