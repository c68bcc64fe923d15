"""/api/agents: the admin side of agents — list, approve/reject, delete, pending requests."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from shared import agents_store
from shared.models import Agent, PendingAgent
from shared.schemas import normalise_uuid
from shared.timefmt import iso
from shared.validation import validate
from web.api import get_or_404, read_json_object
from web.auth import audit
from web.errors import ApiError
from web.extensions import db
from web.openapi import doc

bp = Blueprint("agents", __name__, url_prefix="/api/agents")


class Approval(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    approved: bool


def _secret_key() -> bytes:
    return current_app.config["OT"].secret_key


def _uuid_or_404(raw: str) -> str:
    try:
        return normalise_uuid(raw)
    except ValueError:
        raise ApiError(404, f"{raw!r} is not an agent UUID.") from None


@bp.get("")
@doc("List agents with online state (seen within 90 s) and monitor counts", tag="agents")
def list_agents():
    return jsonify([agents_store.serialize(a, n) for a, n in agents_store.list_with_counts(db.session)])


@bp.put("/<int:agent_id>/approve")
@doc("Approve or reject an agent; a rejected agent is refused by the gateway", body=Approval, tag="agents")
def approve(agent_id: int):
    agent = get_or_404(Agent, agent_id, "Agent")
    data = validate(Approval, read_json_object())
    agent.approved = data.approved
    if data.approved:
        agents_store.allow(db.session, agent.uuid, _secret_key())
    audit.record("agent.approve" if data.approved else "agent.reject", f"agent:{agent.id}", uuid=agent.uuid)
    db.session.commit()
    current_app.logger.info("agent %s %s", agent.uuid, "approved" if data.approved else "rejected")
    count = dict(agents_store.list_with_counts(db.session)).get(agent, 0)
    return jsonify(agents_store.serialize(agent, count))


@bp.delete("/<int:agent_id>")
@doc(
    "Delete an agent and remove its UUID from the allowed list (its monitors return to the server)",
    tag="agents",
)
def delete(agent_id: int):
    agent = get_or_404(Agent, agent_id, "Agent")
    agents_store.disallow(db.session, agent.uuid, _secret_key())
    audit.record("agent.delete", f"agent:{agent.id}", uuid=agent.uuid, name=agent.name)
    db.session.delete(agent)
    db.session.commit()
    current_app.logger.info("agent %s deleted", agent.uuid)
    return jsonify({"deleted": agent_id})


@bp.get("/pending")
@doc("Agents that presented the right shared secret but whose UUID is not allowed yet", tag="agents")
def pending():
    rows = db.session.scalars(select(PendingAgent).order_by(PendingAgent.first_seen_at)).all()
    return jsonify(
        [
            {
                "uuid": p.uuid,
                "name": p.name,
                "address": p.address,
                "first_seen_at": iso(p.first_seen_at),
                "last_seen_at": iso(p.last_seen_at),
            }
            for p in rows
        ]
    )


@bp.post("/pending/<uuid>/approve")
@doc("Add a pending agent's UUID to the allowed list; it registers on its next attempt", tag="agents")
def approve_pending(uuid: str):
    value = _uuid_or_404(uuid)
    get_or_404(PendingAgent, value, "Pending agent")
    agents_store.allow(db.session, value, _secret_key())
    audit.record("agent.approve_pending", f"agent:{value}")
    db.session.commit()
    current_app.logger.info("pending agent %s approved", value)
    return jsonify({"uuid": value, "allowed": True})


@bp.delete("/pending/<uuid>")
@doc("Dismiss a pending connection request", tag="agents")
def dismiss_pending(uuid: str):
    value = _uuid_or_404(uuid)
    row = get_or_404(PendingAgent, value, "Pending agent")
    audit.record("agent.dismiss_pending", f"agent:{value}")
    db.session.delete(row)
    db.session.commit()
    return jsonify({"dismissed": value})
