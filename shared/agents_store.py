"""Agents and pending agents: the rules both the admin API and the gateway apply."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from shared import settings_store
from shared.dialect import upsert
from shared.models import Agent, Monitor, PendingAgent, utcnow

#: An agent polls its monitors at least every 30 s and reports more often; 90 s of silence is offline.
ONLINE_WITHIN = timedelta(seconds=90)


def allowed_uuids(session, secret_key: bytes) -> list[str]:
    return settings_store.load_section(session, "agents", secret_key).allowed_agent_uuids


def set_allowed(session, uuids: list[str], secret_key: bytes) -> None:
    settings_store.update(session, {"agents": {"allowed_agent_uuids": uuids}}, secret_key)


def allow(session, uuid: str, secret_key: bytes) -> None:
    current = allowed_uuids(session, secret_key)
    if uuid not in current:
        set_allowed(session, [*current, uuid], secret_key)
    session.query(PendingAgent).filter(PendingAgent.uuid == uuid).delete()


def disallow(session, uuid: str, secret_key: bytes) -> None:
    current = allowed_uuids(session, secret_key)
    if uuid in current:
        set_allowed(session, [u for u in current if u != uuid], secret_key)


def note_pending(session, uuid: str, name: str, address: str | None) -> None:
    now = utcnow()
    session.execute(
        upsert(
            session,
            PendingAgent.__table__,
            ["uuid"],
            dict(uuid=uuid, name=name, address=address, first_seen_at=now, last_seen_at=now),
            update=("name", "address", "last_seen_at"),
        )
    )


def serialize(agent: Agent, monitor_count: int, now=None) -> dict:
    from shared.timefmt import iso

    now = now or utcnow()
    return {
        "id": agent.id,
        "uuid": agent.uuid,
        "name": agent.name,
        "approved": agent.approved,
        "address": agent.address,
        "created_at": iso(agent.created_at),
        "last_seen_at": iso(agent.last_seen_at),
        "online": bool(agent.last_seen_at and now - agent.last_seen_at <= ONLINE_WITHIN),
        "monitor_count": monitor_count,
    }


def list_with_counts(session) -> list[tuple[Agent, int]]:
    counts = dict(
        session.execute(
            select(Monitor.agent_id, func.count())
            .where(Monitor.agent_id.is_not(None))
            .group_by(Monitor.agent_id)
        ).all()
    )
    agents = session.scalars(select(Agent).order_by(Agent.id)).all()
    return [(a, counts.get(a.id, 0)) for a in agents]
