"""The monitor endpoints on PostgreSQL and SQLite: create, read, update, delete, defaults."""

from __future__ import annotations

from tests.helpers import HTTP_MONITOR, create_monitor


def test_defaults_are_the_readme_values(any_db_client):
    body = any_db_client.get("/api/monitors/defaults").get_json()
    assert body == {
        "ok_ms": 80,
        "degraded_ms": 200,
        "ping_count": 5,
        "ssl_ok_days": 30,
        "ssl_warning_days": 14,
        "interval_seconds": 60,
        "timeout_seconds": 10,
        "grace_seconds": 60,
    }


def test_create_get_list_update_delete(any_db_client):
    client = any_db_client
    created = create_monitor(client)
    assert created["status"] == "unknown"
    assert created["thresholds"] == {
        "ok_ms": None,
        "degraded_ms": None,
        "ping_count": None,
        "ssl_ok_days": None,
        "ssl_warning_days": None,
    }
    assert (
        created["interval_seconds"] == 60 and created["timeout_seconds"] == 10 and created["enabled"] is True
    )
    assert client.get(f"/api/monitors/{created['id']}").get_json() == created
    assert [m["id"] for m in client.get("/api/monitors").get_json()] == [created["id"]]

    updated = client.put(
        f"/api/monitors/{created['id']}", json={"interval_seconds": 120, "thresholds": {"ok_ms": 50}}
    )
    assert updated.status_code == 200
    body = updated.get_json()
    assert body["interval_seconds"] == 120 and body["name"] == HTTP_MONITOR["name"]
    assert body["thresholds"]["ok_ms"] == 50 and body["thresholds"]["degraded_ms"] is None

    # A partial thresholds object keeps the other overrides.
    body = client.put(f"/api/monitors/{created['id']}", json={"thresholds": {"degraded_ms": 300}}).get_json()
    assert body["thresholds"]["ok_ms"] == 50 and body["thresholds"]["degraded_ms"] == 300

    assert client.delete(f"/api/monitors/{created['id']}").status_code == 200
    assert client.get(f"/api/monitors/{created['id']}").status_code == 404
    assert client.get("/api/monitors").get_json() == []


def test_every_type_accepts_its_target_forms(any_db_client):
    for monitor_type, target in [
        ("ping", "127.0.0.1"),
        ("ping", "db-1.internal"),
        ("ping", "::1"),
        ("http", "http://127.0.0.1:8080/x?y=1"),
        ("https", "https://example.com"),
        ("ssl", "example.com"),
        ("ssl", "example.com:8443"),
        ("ssl", "[::1]:443"),
    ]:
        create_monitor(any_db_client, type=monitor_type, target=target)
    assert len(any_db_client.get("/api/monitors").get_json()) == 8


def test_unicode_and_markup_in_names_are_kept_byte_for_byte(any_db_client):
    name = "<script>alert('x')</script> Zürich 東京 🚀 \"q\" & ;"
    created = create_monitor(any_db_client, name=name)
    raw = any_db_client.get(f"/api/monitors/{created['id']}").get_data(as_text=True)
    assert name.replace('"', '\\"') in raw
    assert any_db_client.get(f"/api/monitors/{created['id']}").get_json()["name"] == name


def test_a_200_character_name_is_accepted(any_db_client):
    assert create_monitor(any_db_client, name="é" * 200)["name"] == "é" * 200


def test_put_may_send_back_what_get_returned(any_db_client):
    created = create_monitor(any_db_client)
    again = any_db_client.put(f"/api/monitors/{created['id']}", json=created)
    assert again.status_code == 200
    assert {k: v for k, v in again.get_json().items() if k != "updated_at"} == {
        k: v for k, v in created.items() if k != "updated_at"
    }


def test_overview_counts(any_db_client):
    create_monitor(any_db_client)
    create_monitor(any_db_client, type="ping", target="127.0.0.1")
    body = any_db_client.get("/api/status/overview").get_json()
    assert body["total"] == 2 and body["unknown"] == 2 and body["ok"] == 0
    assert {m["type"] for m in body["monitors"]} == {"http", "ping"}
    assert set(body["monitors"][0]) >= {
        "id",
        "name",
        "type",
        "target",
        "status",
        "last_checked_at",
        "last_latency_ms",
        "agent_id",
    }


def test_agent_name_is_in_monitor_and_overview_answers_for_viewers(app, client, viewer):
    from shared.models import Agent
    from web.extensions import db

    with app.app_context():
        agent = Agent(uuid="5" * 36, name="edge-eu", approved=True)
        db.session.add(agent)
        db.session.commit()
        agent_id = agent.id
    monitor = create_monitor(client, agent_id=agent_id)
    assert viewer.get(f"/api/monitors/{monitor['id']}").get_json()["agent_name"] == "edge-eu"
    assert viewer.get("/api/monitors").get_json()[0]["agent_name"] == "edge-eu"
    assert viewer.get("/api/status/overview").get_json()["monitors"][0]["agent_name"] == "edge-eu"
    server = create_monitor(client, name="on server")
    assert server["agent_name"] is None
