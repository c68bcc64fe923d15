"""Silence is visible: stale monitors and offline agents (review finding 6), location resets on a
move (finding 7). The rule is a table; the sweep runs against PostgreSQL as beat runs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shared import recording, staleness
from shared.checks import CheckResult as Outcome
from shared.models import Agent, AlertEvent, Monitor, MonitorState, utcnow
from tests.helpers import create_monitor
from worker import alerts
from worker.watchdog import sweep_silence

T = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "last_seconds_ago, changed_seconds_ago, interval, timeout, stale",
    [
        (30, 3600, 10, 5, False),  # 3×10 + 5 = 35 s allowed
        (36, 3600, 10, 5, True),
        (35, 3600, 10, 5, False),  # exactly at the limit: not yet
        (None, 20, 10, 5, False),  # created 20 s ago, no result yet
        (None, 40, 10, 5, True),  # created 40 s ago and still nothing
        (500, 10, 60, 10, False),  # edited (re-enabled) 10 s ago: silence counts from then
        (190, 3600, 60, 10, False),  # 3×60 + 10
        (191, 3600, 60, 10, True),
    ],
)
def test_is_stale(last_seconds_ago, changed_seconds_ago, interval, timeout, stale):
    last = None if last_seconds_ago is None else T - timedelta(seconds=last_seconds_ago)
    assert staleness.is_stale(last, T - timedelta(seconds=changed_seconds_ago), interval, timeout, T) is stale


@pytest.mark.parametrize(
    "status, enabled, expected",
    [
        ("ok", True, "stale"),
        ("down", True, "stale"),
        ("ok", False, "ok"),
        (None, True, "stale"),
        ("stale", True, "stale"),
    ],
)
def test_effective_status_of_a_silent_location(status, enabled, expected):
    old = T - timedelta(hours=1)
    assert staleness.effective_status(status, enabled, old, old, 10, 5, T) == expected


def _monitor(session, **values) -> Monitor:
    monitor = Monitor(
        name="API",
        type="http",
        target="http://127.0.0.1:9/",
        interval_seconds=10,
        timeout_seconds=5,
        **values,
    )
    session.add(monitor)
    session.commit()
    return monitor


def _record(session, monitor, status, at, agent_id=None):
    _, transition = recording.record(
        session,
        monitor,
        f"t:{monitor.id}:{at.timestamp()}",
        at,
        Outcome(status, 5.0, status),
        agent_id=agent_id,
    )
    from shared import alert_hook

    ids = alert_hook.write_events(session, [(monitor, transition)] if transition else [])
    session.commit()
    return ids


def test_a_silent_monitor_goes_stale_once_alerts_and_clears_on_the_next_result(sessions, client):
    now = utcnow()
    with sessions() as session:
        monitor = _monitor(session, updated_at=now - timedelta(hours=1), created_at=now - timedelta(hours=1))
        mid = monitor.id
        _record(session, monitor, "ok", now - timedelta(seconds=60))
        assert (
            client.get(f"/api/monitors/{mid}").get_json()["status"] == "stale"
        )  # on read, even without beat
        overview = client.get("/api/status/overview").get_json()
        assert overview["stale"] == 1 and overview["monitors"][0]["status"] == "stale"

        [event_id] = sweep_silence(session, now)
        assert sweep_silence(session, now + timedelta(seconds=15)) == []  # once
        state = session.get(MonitorState, (mid, 0))
        session.refresh(state)
        assert state.status == "stale"
        event = session.get(AlertEvent, event_id)
        assert event.event == "stale" and "no result from the server for 3 intervals" in event.details

        [up] = _record(session, monitor, "ok", now + timedelta(seconds=20))
        assert session.get(AlertEvent, up).event == "up"
        assert client.get(f"/api/monitors/{mid}").get_json()["status"] == "ok"


def test_stale_stops_repeated_reminders(sessions, client, config):
    client.put("/api/settings", json={"alerts": {"alert_type": "repeated", "repeat_minutes": 1}})
    now = utcnow()
    with sessions() as session:
        monitor = _monitor(session, updated_at=now - timedelta(hours=1))
        _record(session, monitor, "down", now - timedelta(minutes=30))
        sweep_silence(session, now)
    alerts.sweep(sessions, config.secret_key, now + timedelta(minutes=5))
    with sessions() as session:
        events = session.scalars(select(AlertEvent.event).order_by(AlertEvent.id)).all()
    assert events == ["down", "stale"]  # no reminders of an outage nobody can see any more


def test_a_monitor_that_never_reported_goes_stale(sessions):
    now = utcnow()
    with sessions() as session:
        fresh = _monitor(session)
        old = _monitor(session, updated_at=now - timedelta(minutes=5))
        paused = _monitor(session, updated_at=now - timedelta(minutes=5), enabled=False)
        ids = sweep_silence(session, now)
        assert len(ids) == 1
        states = {s.monitor_id: s.status for s in session.scalars(select(MonitorState))}
        assert states == {old.id: "stale"}
        assert fresh.id not in states and paused.id not in states


def test_an_agent_silent_for_three_polls_is_offline_then_back(sessions, client):
    now = utcnow()
    with sessions() as session:
        agent = Agent(uuid="9" * 36, name="edge-1", approved=True, last_seen_at=now - timedelta(seconds=100))
        quiet = Agent(uuid="8" * 36, name="edge-2", approved=True, last_seen_at=now - timedelta(seconds=30))
        session.add_all([agent, quiet])
        session.commit()
        [offline] = sweep_silence(session, now)
        assert sweep_silence(session, now + timedelta(seconds=15)) == []
        event = session.get(AlertEvent, offline)
        assert (event.event, event.monitor_name, event.monitor_type) == ("agent_offline", "edge-1", "agent")
        listed = {a["name"]: a for a in client.get("/api/agents").get_json()}
        assert listed["edge-1"]["online"] is False and listed["edge-2"]["online"] is True

        session.execute(
            Agent.__table__.update()
            .where(Agent.id == agent.id)
            .values(last_seen_at=now + timedelta(seconds=20))
        )
        session.commit()
        [online] = sweep_silence(session, now + timedelta(seconds=30))
        assert session.get(AlertEvent, online).event == "agent_online"
        session.expire_all()
        assert session.get(Agent, agent.id).offline_since is None


def test_moving_a_monitor_resets_its_state_so_moving_back_alerts_nothing_stale(sessions, client):
    """Finding 7: a move and a move back reused the old location's days-old state."""
    monitor = create_monitor(client)
    now = utcnow()
    with sessions() as session:
        agent = Agent(uuid="7" * 36, name="edge", approved=True, last_seen_at=now)
        session.add(agent)
        session.commit()
        row = session.get(Monitor, monitor["id"])
        _record(session, row, "down", now - timedelta(days=3))
        agent_id = agent.id
        events_before = session.scalars(select(AlertEvent.event)).all()
    assert events_before == ["down"]
    assert client.put(f"/api/monitors/{monitor['id']}", json={"agent_id": agent_id}).status_code == 200
    assert client.put(f"/api/monitors/{monitor['id']}", json={"agent_id": None}).status_code == 200
    with sessions() as session:
        assert session.scalars(select(MonitorState)).all() == []
        row = session.get(Monitor, monitor["id"])
        assert _record(session, row, "ok", now) == []  # first result at the location: no "up"
        assert session.scalars(select(AlertEvent.event)).all() == ["down"]
