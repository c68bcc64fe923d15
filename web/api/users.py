"""/api/users: accounts, managed by admins. The last active admin can't be removed or demoted."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select

from shared import accounts
from shared.models import User
from shared.schemas import UserIn, UserUpdate
from shared.timefmt import iso
from shared.validation import validate
from web.api import get_or_404, read_json_object
from web.api.auth import disable_totp
from web.auth import audit, sessions
from web.extensions import db
from web.openapi import doc

bp = Blueprint("users", __name__, url_prefix="/api/users")

USER = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "username": {"type": "string"},
        "role": {"type": "string", "enum": ["admin", "viewer"]},
        "active": {"type": "boolean"},
        "totp_enabled": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_login_at": {"type": ["string", "null"], "format": "date-time"},
    },
}


def serialize(user: User) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "active": user.active,
        "totp_enabled": user.totp_enabled,
        "created_at": iso(user.created_at),
        "last_login_at": iso(user.last_login_at),
    }


@bp.get("")
@doc("List users", response={"type": "array", "items": USER}, tag="users")
def list_users():
    return jsonify([serialize(u) for u in db.session.scalars(select(User).order_by(User.id))])


@bp.post("")
@doc("Create a user", body=UserIn, response=USER, status=201, tag="users")
def create():
    data = validate(UserIn, read_json_object())
    user = accounts.create_user(db.session, data.username, data.password, data.role)
    audit.record("user.create", f"user:{user.id}", name=user.username, role=user.role)
    db.session.commit()
    return jsonify(serialize(user)), 201


@bp.put("/<int:user_id>")
@doc(
    "Change a user's role, reset the password, (de)activate, or turn two-factor off",
    body=UserUpdate,
    response=USER,
    tag="users",
)
def update(user_id: int):
    user = get_or_404(User, user_id, "User")
    data = validate(UserUpdate, read_json_object())
    before = {"role": user.role, "active": user.active, "totp_enabled": user.totp_enabled}
    role = data.role or user.role
    active = user.active if data.active is None else data.active
    accounts.guard_last_admin(db.session, user, role, active)
    user.role, user.active = role, active
    ended = 0
    if data.password is not None:
        accounts.set_password(user, data.password)
    if data.totp_enabled is False and user.totp_enabled:
        disable_totp(user)
    if data.password is not None or not active:
        ended = sessions.end_all(user.id)  # a reset or a deactivation signs the user out everywhere
    after = {"role": user.role, "active": user.active, "totp_enabled": user.totp_enabled}
    changed = audit.changes(before, after)
    if data.password is not None:
        changed["password"] = True
    audit.record("user.update", f"user:{user.id}", name=user.username, changes=changed, sessions_ended=ended)
    db.session.commit()
    return jsonify(serialize(user))


@bp.delete("/<int:user_id>")
@doc("Delete a user with their sessions and tokens", tag="users")
def delete(user_id: int):
    user = get_or_404(User, user_id, "User")
    accounts.guard_last_admin(db.session, user, "viewer", False)
    audit.record("user.delete", f"user:{user.id}", name=user.username)
    db.session.delete(user)
    db.session.commit()
    return jsonify({"deleted": user_id})


@bp.delete("/<int:user_id>/sessions")
@doc("Sign a user out everywhere (ends all their sessions)", tag="users")
def end_sessions(user_id: int):
    user = get_or_404(User, user_id, "User")
    ended = sessions.end_all(user.id)
    audit.record("user.sessions_ended", f"user:{user.id}", name=user.username, ended=ended)
    db.session.commit()
    return jsonify({"ended": ended})
