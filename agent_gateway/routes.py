"""The three agent endpoints of COMS_PORT: register, report, and an agent's monitors."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import Blueprint, current_app, g, jsonify, request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from agent_gateway import protocol
from agent_gateway.auth import AuthError, verify
from shared import agents_store, crypto, proxies, recording, settings_store
from shared import monitors as monitor_rules
from shared.db import first_line
from shared.models import Agent, Monitor, utcnow
from shared.schemas import AgentRegistration, AgentReport, AgentResult
from shared.validation import field_errors, validate

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


def _client_address() -> str:
    """The agent's address: behind a proxy listed in TRUSTED_PROXIES, the one it forwarded."""
    return proxies.address_of(request, current_app.config["OT"].trusted_proxies)


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
    address = _client_address()
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
    agent.address = _client_address()
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
    items = [monitor_rules.for_agent(monitor, defaults, _secret_key()) for monitor in rows]
    return jsonify({"agent_id": agent.id, "poll_seconds": 30, "monitors": items})


@bp.post("/report")
def report():
    """Store an agent's results. Each result is taken or refused on its own, so one the server can't
    take (and never will) costs neither the rest of the batch nor the agent's buffer behind it.

    A malformed envelope (not a JSON object, no ``results`` list, more than 500 results) is 422 for
    the whole request. Otherwise the answer is 200 and every result of the batch is either stored
    (now: counted in ``accepted``; by an earlier report with the same id: ``duplicates``) or listed
    in ``refused`` with its position, its id and why. ``rejected`` is the part of ``refused`` that
    agents from before per-result refusals read.
    """
    agent = authenticate_agent()
    session = _session()
    envelope = validate(AgentReport, _json_body())
    results, refused = _each_result(envelope.results, utcnow())
    monitor_ids = {r.monitor_id for _, r in results}
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
    for index, item in results:
        monitor = mine.get(item.monitor_id)
        if monitor is None:
            reason = "monitor is not assigned to this agent"
            refused.append({"index": index, "id": item.id, "error": reason})
            rejected.append({"id": item.id, "reason": reason})
            continue
        outcome = recording.Outcome(item.status, item.latency_ms, item.details, item.days_left)
        try:
            # A savepoint per result: a value the database still refuses (whatever validation
            # missed) costs that result, not the batch, which the agent would retry for ever.
            with session.begin_nested():
                inserted, transition = recording.record(
                    session,
                    monitor,
                    f"agt:{agent.id}:{item.id}",
                    item.checked_at,
                    outcome,
                    agent_id=agent.id,
                    slot_at=item.slot_at,
                )
        except (DataError, IntegrityError) as exc:
            reason = f"the database refused it: {first_line(exc)}"
            refused.append({"index": index, "id": item.id, "error": reason})
            continue
        if not inserted:
            duplicates += 1
            continue
        accepted += 1
        if transition is not None:
            transitions.append((monitor, transition))
    event_ids = current_app.config["ON_TRANSITIONS"](session, transitions)
    session.commit()
    current_app.config["AFTER_COMMIT"](event_ids)
    refused.sort(key=lambda item: item["index"])
    if refused:
        current_app.logger.warning(
            "agent %s: refused %s of %s results, the first: %s",
            agent.id,
            len(refused),
            len(envelope.results),
            refused[0]["error"],
        )
    return jsonify({"accepted": accepted, "duplicates": duplicates, "refused": refused, "rejected": rejected})


def _each_result(items: list, now: datetime) -> tuple[list[tuple[int, AgentResult]], list[dict]]:
    """Validate each item of a report on its own: (index, result) of the good ones, and the refusals."""
    results: list[tuple[int, AgentResult]] = []
    refused: list[dict] = []
    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            refused.append({"index": index, "id": None, "error": "must be a JSON object"})
            continue
        try:
            item = AgentResult.model_validate(raw)
        except ValidationError as exc:
            error = "; ".join(f"{name}: {message}" for name, message in field_errors(exc).items())
        else:
            error = _too_far_ahead(item, now)
        if error:
            refused.append({"index": index, "id": _client_id(raw), "error": error})
        else:
            results.append((index, item))
    return results, refused


def _too_far_ahead(item: AgentResult, now: datetime) -> str | None:
    """Why a result dated further ahead of the server's clock than a signed request may be is refused.

    Such a result (an agent whose clock runs fast, a buffer replayed from such a time) would freeze
    its location's state until real time caught up with it: the current state is the newest result's.
    """
    for name in ("checked_at", "slot_at"):
        when = getattr(item, name)
        if when is None:
            continue
        ahead = (when - now).total_seconds()
        if ahead > protocol.MAX_SKEW_SECONDS:
            return (
                f"{name}: {ahead:.0f} s ahead of the server's clock (at most {protocol.MAX_SKEW_SECONDS} s"
                " allowed); check the agent's clock"
            )
    return None


def _client_id(raw: dict) -> str | None:
    """The id the agent gave, to name its result in the answer; None when it can't be one the agent
    made (the agent then finds the result by its index)."""
    value = raw.get("id")
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None
