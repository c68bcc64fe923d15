"""Beat's watch on silence: stale monitors and offline agents become state changes with alerts.

It runs in beat's own tick (like the dispatch), not as a task on the workers: its job is to notice
when the workers are gone, so it must not depend on them. The alerts it writes are delivered by
the alerts queue once a worker is back; until then the API shows ``stale`` and ``offline``.
"""

from __future__ import annotations

from shared import alert_hook, heartbeats, staleness
from shared.alerts import outbox

SWEEP_EVERY_SECONDS = 15.0


def sweep_silence(session, now) -> list[int]:
    """Mark what went silent or came back; returns the alert event ids (committed)."""
    transitions = staleness.stale_transitions(session, now)
    ids = alert_hook.write_events(session, transitions)
    agents = staleness.agent_changes(session, now)
    if agents:
        settings = outbox.rules_settings(session)
        for agent, event in agents:
            ids += outbox.write_agent_event(session, agent, event, now, settings)
    session.commit()
    return ids


def judge_heartbeats(session, now) -> list[int]:
    """Heartbeats late past their grace go down (with their alert); returns the event ids."""
    ids = alert_hook.write_events(session, heartbeats.judge_overdue(session, now))
    session.commit()
    return ids


def announce_after_maintenance(session, now) -> list[int]:
    """Alerts held back by maintenance windows now over (``outbox.announce_after_maintenance``);
    returns the event ids (committed)."""
    ids = outbox.announce_after_maintenance(session, outbox.rules_settings(session), now)
    session.commit()
    return ids
