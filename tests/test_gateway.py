"""The agent gateway: two-layer registration, signed requests, replay and tamper refusal, reports."""

from __future__ import annotations

import json
import uuid

import pytest

from agent_gateway import create_app as create_gateway
from agent_gateway import protocol
from tests.helpers import create_monitor

SECRET = "correct horse battery staple"


@pytest.fixture
def gateway(config):
    app = create_gateway(config)
    yield app.test_client()
    app.extensions["engine"].dispose()


@pytest.fixture
def with_secret(client):
    assert client.put("/api/settings", json={"agents": {"shared_secret": SECRET}}).status_code == 200


def post(gw, path, body, key, agent, headers=None):
    data = json.dumps(body).encode()
    h = protocol.signed_headers(key, agent, "POST", path, data)
    h.update(headers or {})
    return gw.post(path, data=data, headers=h)


def get(gw, path, key, agent):
    return gw.get(path, headers=protocol.signed_headers(key, agent, "GET", path, b""))


def register(gw, agent_uuid, secret=SECRET, name="edge-1"):
    return post(gw, "/api/agents/register", {"uuid": agent_uuid, "name": name}, secret, agent_uuid)


def registered(gw, client, agent_uuid=None):
    agent_uuid = agent_uuid or str(uuid.uuid4())
    client.put("/api/settings", json={"agents": {"allowed_agent_uuids": [agent_uuid]}})
    body = register(gw, agent_uuid).get_json()
    return agent_uuid, body["agent_id"], protocol.derive_credential(SECRET, agent_uuid, body["salt"])


def test_wrong_secret_is_401_and_never_listed(gateway, client, with_secret):
    response = register(gateway, str(uuid.uuid4()), secret="wrong secret!!")
    assert response.status_code == 401 and response.get_json()["error"]
    assert client.get("/api/agents/pending").get_json() == []


def test_no_secret_set_refuses_everyone(gateway, client):
    assert register(gateway, str(uuid.uuid4())).status_code == 401
    assert client.get("/api/agents/pending").get_json() == []


def test_unknown_uuid_goes_pending_then_registers_after_approval(gateway, client, with_secret):
    agent_uuid = str(uuid.uuid4())
    first = register(gateway, agent_uuid)
    assert first.status_code == 403
    pending = client.get("/api/agents/pending").get_json()
    assert [p["uuid"] for p in pending] == [agent_uuid]
    assert (
        pending[0]["name"] == "edge-1"
        and pending[0]["address"] == "127.0.0.1"
        and pending[0]["first_seen_at"]
    )
    assert client.post(f"/api/agents/pending/{agent_uuid}/approve").status_code == 200
    assert client.get("/api/agents/pending").get_json() == []
    assert agent_uuid in client.get("/api/settings").get_json()["agents"]["allowed_agent_uuids"]
    second = register(gateway, agent_uuid)
    assert second.status_code == 200
    body = second.get_json()
    assert set(body) == {"agent_id", "salt", "poll_seconds"}  # no secret or credential on the wire
    agents = client.get("/api/agents").get_json()
    assert agents[0]["uuid"] == agent_uuid and agents[0]["online"] is True and agents[0]["approved"] is True


def test_dismissed_pending_agent_disappears(gateway, client, with_secret):
    agent_uuid = str(uuid.uuid4())
    register(gateway, agent_uuid)
    assert client.delete(f"/api/agents/pending/{agent_uuid}").status_code == 200
    assert client.get("/api/agents/pending").get_json() == []
    assert client.delete(f"/api/agents/pending/{agent_uuid}").status_code == 404
    assert client.post("/api/agents/pending/not-a-uuid/approve").status_code == 404


def test_assigned_monitors_and_reports(gateway, client, with_secret):
    agent_uuid, agent_id, credential = registered(gateway, client)
    monitor = create_monitor(client, agent_id=agent_id)
    create_monitor(client, name="server-side")
    listing = get(gateway, f"/api/agents/{agent_id}/monitors", credential, str(agent_id)).get_json()
    assert [m["id"] for m in listing["monitors"]] == [monitor["id"]]
    assert listing["monitors"][0]["thresholds"]["ok_ms"] == 80  # resolved, not null

    result = {
        "id": str(uuid.uuid4()),
        "monitor_id": monitor["id"],
        "checked_at": "2026-01-26T10:30:00Z",
        "status": "down",
        "latency_ms": None,
        "details": "HTTP 503",
    }
    batch = {"results": [result]}
    first = post(gateway, "/api/agents/report", batch, credential, str(agent_id)).get_json()
    again = post(gateway, "/api/agents/report", batch, credential, str(agent_id)).get_json()
    assert (first["accepted"], again["accepted"], again["duplicates"]) == (1, 0, 1)
    items = client.get(f"/api/monitors/{monitor['id']}/results").get_json()["items"]
    assert len(items) == 1 and items[0]["agent_id"] == agent_id and items[0]["details"] == "HTTP 503"
    assert client.get(f"/api/monitors/{monitor['id']}").get_json()["status"] == "down"

    other = create_monitor(client, name="not mine")
    stray = post(
        gateway,
        "/api/agents/report",
        {"results": [{**result, "id": str(uuid.uuid4()), "monitor_id": other["id"]}]},
        credential,
        str(agent_id),
    ).get_json()
    assert (
        stray["accepted"] == 0 and stray["rejected"][0]["reason"] == "monitor is not assigned to this agent"
    )


def test_replayed_and_tampered_requests_are_refused(gateway, client, with_secret):
    agent_uuid, agent_id, credential = registered(gateway, client)
    path = f"/api/agents/{agent_id}/monitors"
    headers = protocol.signed_headers(credential, str(agent_id), "GET", path, b"")
    assert gateway.get(path, headers=headers).status_code == 200
    assert gateway.get(path, headers=headers).status_code == 401  # the same nonce again
    body = json.dumps({"results": []}).encode()
    signed = protocol.signed_headers(credential, str(agent_id), "POST", "/api/agents/report", body)
    tampered = gateway.post("/api/agents/report", data=body.replace(b"[]", b"[ ]"), headers=signed)
    assert tampered.status_code == 401
    old = protocol.signed_headers(
        credential, str(agent_id), "GET", path, b"", now=__import__("time").time() - 3600
    )
    assert gateway.get(path, headers=old).status_code == 401
    # Another agent's id with this agent's credential.
    assert get(gateway, "/api/agents/999/monitors", credential, str(agent_id)).status_code == 403
    assert gateway.get(path).status_code == 401


def test_changing_the_secret_or_deleting_the_agent_cuts_it_off(gateway, client, with_secret):
    agent_uuid, agent_id, credential = registered(gateway, client)
    path = f"/api/agents/{agent_id}/monitors"
    assert get(gateway, path, credential, str(agent_id)).status_code == 200
    client.put("/api/settings", json={"agents": {"shared_secret": "a brand new secret"}})
    assert get(gateway, path, credential, str(agent_id)).status_code == 401
    assert register(gateway, agent_uuid).status_code == 401  # the old secret no longer registers
    client.put("/api/settings", json={"agents": {"shared_secret": SECRET}})
    body = register(gateway, agent_uuid).get_json()
    credential = protocol.derive_credential(SECRET, agent_uuid, body["salt"])
    assert client.put(f"/api/agents/{agent_id}/approve", json={"approved": False}).status_code == 200
    assert get(gateway, path, credential, str(agent_id)).status_code == 403
    assert client.delete(f"/api/agents/{agent_id}").status_code == 200
    assert agent_uuid not in client.get("/api/settings").get_json()["agents"]["allowed_agent_uuids"]
    assert get(gateway, path, credential, str(agent_id)).status_code == 401
    assert register(gateway, agent_uuid).status_code == 403  # back to pending


def test_repeated_failures_from_one_address_are_slowed_down(gateway, with_secret):
    codes = [register(gateway, str(uuid.uuid4()), secret="guess number x").status_code for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    response = register(gateway, str(uuid.uuid4()))
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    "path,method",
    [
        ("/api/monitors", "get"),
        ("/api/settings", "get"),
        ("/api/agents", "get"),
        ("/api/agents/pending", "get"),
        ("/", "get"),
        ("/api/openapi.json", "get"),
    ],
)
def test_admin_endpoints_are_not_served_on_the_gateway(gateway, path, method):
    response = getattr(gateway, method)(path)
    assert response.status_code == 404 and response.get_json()["error"]


def test_agent_endpoints_are_not_served_on_the_admin_port(client):
    assert client.post("/api/agents/register", json={}).status_code in (404, 405)
    assert client.post("/api/agents/report", json={}).status_code in (404, 405)
    assert client.get("/api/agents/1/monitors").status_code == 404


def test_bad_report_bodies(gateway, client, with_secret):
    agent_uuid, agent_id, credential = registered(gateway, client)
    for body in ({"results": "x"}, {"results": [{"id": "short", "monitor_id": 1}]}, {"results": [{}] * 1001}):
        response = post(gateway, "/api/agents/report", body, credential, str(agent_id))
        assert response.status_code == 422, body
    naive = {
        "results": [
            {"id": str(uuid.uuid4()), "monitor_id": 1, "checked_at": "2026-01-26T10:30:00", "status": "ok"}
        ]
    }
    assert post(gateway, "/api/agents/report", naive, credential, str(agent_id)).status_code == 422
