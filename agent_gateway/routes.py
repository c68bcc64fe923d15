"""The three agent endpoints of COMS_PORT: register, report, and an agent's monitors."""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select

from agent_gateway import protocol
from agent_gateway.auth import AuthError, verify
from shared import agents_store, crypto, recording, settings_store
from shared import monitors as monitor_rules
from shared.models import Agent, Monitor, utcnow
from shared.schemas import AgentRegistration, AgentReport
from shared.validation import validate

bp = Blueprint("agents", __name__, url_prefix="/api/agents")


def _session():
    return g.session


def _json_body() -> dict:
    import json

    try:
        data = json.loads(request.get_data() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise AuthError(400, "Request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise AuthError(422, "Request body must be a JSON object.")
    return data


def _secret_key() -> bytes:
    return current_app.config["OT"].secret_key


@bp.post("/register")
def register():
    session = _session()
    agent_settings = settings_store.load_section(session, "agents", _secret_key())
    shared_secret = agent_settings.shared_secret
    if not shared_secret:
        raise AuthError(401, "The server has no shared secret set (Settings > Agents).")
    verify(session, shared_secret)
    data = validate(AgentRegistration, _json_body())
    if request.headers.get(protocol.H_AGENT, "").lower() != data.uuid:
        raise AuthError(401, "Agent header does not match the body.")
    address = request.remote_addr
    if data.uuid not in agent_settings.allowed_agent_uuids:
        agents_store.note_pending(session, data.uuid, data.name, address)
        session.commit()
        raise AuthError(
            403, "Agent UUID is not allowed yet; it is listed as pending for an admin to approve."
        )
    agent = session.scalars(select(Agent).where(Agent.uuid == data.uuid)).first()
    if agent is not None and not agent.approved:
        session.commit()
        raise AuthError(403, "Agent has been rejected by an admin.")
    salt = secrets.token_hex(16)
    credential = protocol.derive_credential(shared_secret, data.uuid, salt)
    if agent is None:
        agent = Agent(uuid=data.uuid, approved=True)
        session.add(agent)
    agent.name = data.name or agent.name or data.uuid[:8]
    agent.address = address
    agent.credential_enc = crypto.encrypt(_secret_key(), credential)
    agent.secret_fingerprint = protocol.fingerprint(shared_secret)
    agent.last_seen_at = utcnow()
    session.commit()
    current_app.logger.info(
        "agent %s (%s) registered from %s as id %s", data.uuid, agent.name, address, agent.id
    )
    return jsonify({"agent_id": agent.id, "salt": salt, "poll_seconds": 30})


def authenticate_agent() -> Agent:
    """The agent a request comes from, after checking its signature with its own credential."""
    session = _session()
    raw_id = request.headers.get(protocol.H_AGENT, "")
    agent = session.get(Agent, int(raw_id)) if raw_id.isdigit() and len(raw_id) < 10 else None
    if agent is None or not agent.credential_enc:
        raise AuthError(401, "Unknown agent; register again.")
    shared_secret = settings_store.load_section(session, "agents", _secret_key()).shared_secret
    if not shared_secret or agent.secret_fingerprint != protocol.fingerprint(shared_secret):
        raise AuthError(401, "The shared secret has changed; register again.")
    verify(session, crypto.decrypt(_secret_key(), agent.credential_enc))
    if not agent.approved:
        raise AuthError(403, "Agent has been rejected by an admin.")
    agent.last_seen_at = utcnow()
    agent.address = request.remote_addr
    return agent


@bp.get("/<int:agent_id>/monitors")
def monitors(agent_id: int):
    agent = authenticate_agent()
    if agent.id != agent_id:
        raise AuthError(403, "An agent may only read its own monitors.")
    session = _session()
    defaults = settings_store.monitoring_defaults(session)
    rows = session.scalars(
        select(Monitor).where(Monitor.agent_id == agent.id, Monitor.enabled.is_(True)).order_by(Monitor.id)
    ).all()
    session.commit()
    items = [monitor_rules.for_agent(monitor, defaults) for monitor in rows]
    return jsonify({"agent_id": agent.id, "poll_seconds": 30, "monitors": items})


@bp.post("/report")
def report():
    agent = authenticate_agent()
    session = _session()
    batch = validate(AgentReport, _json_body())
    monitor_ids = {r.monitor_id for r in batch.results}
    mine = (
        {
            m.id: m
            for m in session.scalars(
                select(Monitor).where(Monitor.id.in_(monitor_ids), Monitor.agent_id == agent.id)
            )
        }
        if monitor_ids
        else {}
    )
    accepted = duplicates = 0
    rejected = []
    transitions = []
    for item in batch.results:
        monitor = mine.get(item.monitor_id)
        if monitor is None:
            rejected.append({"id": item.id, "reason": "monitor is not assigned to this agent"})
            continue
        outcome = recording.Outcome(item.status, item.latency_ms, item.details, item.days_left)
        inserted, transition = recording.record(
            session,
            monitor,
            f"agt:{agent.id}:{item.id}",
            item.checked_at,
            outcome,
            agent_id=agent.id,
            slot_at=item.slot_at,
        )
        if not inserted:
            duplicates += 1
            continue
        accepted += 1
        if transition is not None:
            transitions.append((monitor, transition))
    event_ids = current_app.config["ON_TRANSITIONS"](session, transitions)
    session.commit()
    current_app.config["AFTER_COMMIT"](event_ids)
    return jsonify({"accepted": accepted, "duplicates": duplicates, "rejected": rejected})
