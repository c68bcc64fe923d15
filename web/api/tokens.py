"""/api/tokens: API tokens for scripts. The token is answered once, at creation; only its hash is kept."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select

from shared import accounts
from shared.models import ApiToken, User, utcnow
from shared.schemas import TokenIn
from shared.timefmt import iso
from shared.validation import validate
from web.api import get_or_404, read_json_object
from web.auth import audit, current
from web.errors import ApiError
from web.extensions import db
from web.openapi import doc

bp = Blueprint("tokens", __name__, url_prefix="/api/tokens")

TOKEN = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "scope": {"type": "string", "enum": ["read", "write"]},
        "owner": {"type": "string"},
        "owner_id": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_used_at": {"type": ["string", "null"], "format": "date-time"},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
        "token": {
            "type": "string",
            "description": "Only in the answer to POST: keep it, it is not shown again",
        },
    },
}


def serialize(token: ApiToken, owner: str) -> dict:
    return {
        "id": token.id,
        "name": token.name,
        "scope": token.scope,
        "owner": owner,
        "owner_id": token.user_id,
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
        "expires_at": iso(token.expires_at),
    }


@bp.get("")
@doc(
    "List API tokens (never the tokens themselves)", response={"type": "array", "items": TOKEN}, tag="tokens"
)
def list_tokens():
    rows = db.session.execute(
        select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    ).all()
    return jsonify([serialize(token, owner) for token, owner in rows])


@bp.post("")
@doc(
    "Create an API token; the answer holds the token, this once",
    body=TokenIn,
    response=TOKEN,
    status=201,
    tag="tokens",
)
def create():
    data = validate(TokenIn, read_json_object())
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise ApiError(422, "Some fields are invalid.", {"expires_at": "must be in the future"})
    user = current().user
    raw = accounts.new_token()
    token = ApiToken(
        name=data.name,
        scope=data.scope,
        user_id=user.id,
        token_hash=accounts.sha256(raw),
        expires_at=data.expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "token.create",
        f"token:{token.id}",
        name=token.name,
        scope=token.scope,
        expires_at=iso(token.expires_at),
    )
    db.session.commit()
    return jsonify({**serialize(token, user.username), "token": raw}), 201


@bp.delete("/<int:token_id>")
@doc("Revoke an API token", tag="tokens")
def delete(token_id: int):
    token = get_or_404(ApiToken, token_id, "Token")
    audit.record("token.delete", f"token:{token.id}", name=token.name)
    db.session.delete(token)
    db.session.commit()
    return jsonify({"deleted": token_id})
