"""Small helpers shared by the API tests."""

from __future__ import annotations

HTTP_MONITOR = {"name": "API Server", "type": "http", "target": "http://127.0.0.1:9/health"}


def create_monitor(client, **overrides) -> dict:
    response = client.post("/api/monitors", json={**HTTP_MONITOR, **overrides})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def snapshot(client) -> tuple:
    """Everything the admin API can read back, to show that a failed request changed nothing."""
    return (
        client.get("/api/monitors").get_json(),
        client.get("/api/settings").get_json(),
    )


def configure_alerts(sessions, key: bytes, **values) -> None:
    """Settings > Alerts as PUT /api/settings stores them: the webhook URL and alert email go to
    their channels, the rest to the settings store."""
    from shared import channels, settings_store

    with sessions() as session:
        rest = channels.write_settings_fields(session, values, key)
        settings_store.update(session, {"alerts": rest}, key)
        session.commit()


def add_routed_monitor(sessions, **fields) -> int:
    """A monitor row routed to the default channels, as POST /api/monitors routes a new one."""
    from shared import channels
    from shared.models import Monitor

    fields = {"name": "API Server", "type": "http", "target": "https://api.example.com", **fields}
    with sessions() as session:
        monitor = Monitor(**fields)
        session.add(monitor)
        session.flush()
        channels.set_monitor_channels(session, monitor.id, channels.default_ids(session))
        session.commit()
        return monitor.id


def record_check(sessions, monitor_id, status, at, details=None, days_left=None, agent_id=None) -> list[int]:
    """Record one result as run_check does (result, state, alert events in one transaction) and
    return the alert events it wrote."""
    from shared import recording
    from shared.alerts import outbox
    from shared.checks import CheckResult as Outcome
    from shared.models import Monitor

    details = details or {"ok": "HTTP 200", "degraded": "HTTP 200", "down": "HTTP 503"}[status]
    with sessions() as session:
        monitor = session.get(Monitor, monitor_id)
        outcome = Outcome(status, 40.0 if status != "down" else None, details, days_left)
        uid = f"test:{monitor_id}:{agent_id}:{at.timestamp()}"
        _, transition = recording.record(session, monitor, uid, at, outcome, agent_id=agent_id)
        ids = []
        if transition is not None:
            ids = outbox.on_transition(session, monitor, transition, outbox.rules_settings(session))
        session.commit()
    return ids
