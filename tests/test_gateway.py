"""The agent gateway: two-layer registration, signed requests, replay and tamper refusal, reports."""

from __future__ import annotations

import ipaddress
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_gateway import create_app as create_gateway
from agent_gateway import protocol
from shared.models import CheckResult, MonitorState
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
    # Per address and agent (tests/test_gateway_limits.py has the per-address limit).
    agent_uuid = str(uuid.uuid4())
    codes = [register(gateway, agent_uuid, secret="guess number x").status_code for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    response = register(gateway, agent_uuid)
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


# --- Reports: each result on its own, bounded in time ---------------------------------------------


def _result(monitor_id, when=None, **overrides):
    when = when or datetime.now(UTC)
    return {
        "id": str(uuid.uuid4()),
        "monitor_id": monitor_id,
        "checked_at": when.isoformat().replace("+00:00", "Z"),
        "status": "ok",
        "latency_ms": 12.5,
        "details": "HTTP 200",
        **overrides,
    }


def _report(gw, agent_id, credential, results):
    return post(gw, "/api/agents/report", {"results": results}, credential, str(agent_id))


def _state(gw, monitor_id, agent_id):
    with Session(gw.application.extensions["engine"]) as session:
        return session.get(MonitorState, (monitor_id, agent_id))


def _stored(gw, monitor_id):
    with Session(gw.application.extensions["engine"]) as session:
        return session.scalars(select(CheckResult).where(CheckResult.monitor_id == monitor_id)).all()


def test_results_dated_in_the_future_are_refused_and_do_not_freeze_the_state(gateway, client, with_secret):
    _, agent_id, credential = registered(gateway, client)
    monitor = create_monitor(client, agent_id=agent_id)["id"]
    now = datetime.now(UTC)
    ahead = now + timedelta(hours=1)
    future = _result(monitor, ahead, status="down")
    future_slot = _result(monitor, now, slot_at=ahead.isoformat(), status="down")
    within_skew = _result(monitor, now + timedelta(seconds=60), status="degraded")
    response = _report(gateway, agent_id, credential, [future, future_slot, within_skew])
    assert response.status_code == 200
    body = response.get_json()
    assert body["accepted"] == 1
    refused = {item["id"]: item["error"] for item in body["refused"]}
    assert set(refused) == {future["id"], future_slot["id"]}
    assert "checked_at" in refused[future["id"]] and "ahead of the server's clock" in refused[future["id"]]
    assert "slot_at" in refused[future_slot["id"]]
    # The refused result left no trace: a result checked now still sets the state.
    later = _result(monitor, now + timedelta(seconds=61), status="ok")
    assert _report(gateway, agent_id, credential, [later]).get_json()["accepted"] == 1
    assert _state(gateway, monitor, agent_id).status == "ok"
    assert sorted(r.status for r in _stored(gateway, monitor)) == ["degraded", "ok"]


def test_one_bad_result_does_not_cost_the_rest_of_the_batch(gateway, client, with_secret):
    _, agent_id, credential = registered(gateway, client)
    monitor = create_monitor(client, agent_id=agent_id)["id"]
    other = create_monitor(client, name="not this agent's")["id"]
    good = _result(monitor)
    bad = [
        _result(monitor, status="maybe"),
        _result(monitor, checked_at="2026-01-26T10:30:00"),  # no time zone
        _result(monitor, days_left="12"),
        _result(monitor, latency_ms=-1),
        {"monitor_id": monitor, "status": "ok"},  # no id, no time
        _result(monitor, id="x" * 300),  # an id too long to be one of ours
        42,
        _result(monitor, checked_at="1970-01-01T00:00:05Z"),  # an agent whose clock was never set
        _result(monitor, checked_at="0001-01-01T00:00:00+01:00"),  # before the first representable time
        _result(other),
    ]
    response = _report(gateway, agent_id, credential, [bad[0], good, *bad[1:]])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["accepted"], body["duplicates"]) == (1, 0)
    refused = body["refused"]
    assert [item["index"] for item in refused] == [0, *range(2, len(bad) + 1)]
    assert all(item["error"] for item in refused)
    by_index = {item["index"]: item for item in refused}
    assert by_index[0] == {"index": 0, "id": bad[0]["id"], "error": by_index[0]["error"]}
    assert by_index[0]["error"].startswith("status: ")
    assert by_index[2]["error"].startswith("checked_at: must include a timezone")
    assert by_index[5]["id"] is None and by_index[6]["id"] is None  # no id to give back
    assert by_index[7]["id"] is None and by_index[7]["error"] == "must be a JSON object"
    assert by_index[8]["error"].startswith("checked_at: must not be before 2000")
    assert by_index[9]["error"].startswith("checked_at: ")
    assert by_index[10]["error"] == "monitor is not assigned to this agent"
    # The answer older agents read is still there.
    assert body["rejected"] == [{"id": bad[-1]["id"], "reason": "monitor is not assigned to this agent"}]
    assert [r.uid for r in _stored(gateway, monitor)] == [f"agt:{agent_id}:{good['id']}"]


def test_any_real_certificate_fits_the_days_left_bounds(gateway, client, with_secret):
    _, agent_id, credential = registered(gateway, client)
    monitor = create_monitor(client, agent_id=agent_id, type="ssl", target="127.0.0.1:9")["id"]
    now = datetime.now(UTC)
    year_9999 = (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - now).days  # ~2.9 million days
    lapsed_long_ago = (datetime(1950, 1, 1, tzinfo=UTC) - now).days  # the earliest UTCTime
    results = [
        _result(monitor, now - timedelta(seconds=2), days_left=year_9999, details="expires in many days"),
        _result(monitor, now - timedelta(seconds=1), days_left=lapsed_long_ago, status="down"),
    ]
    body = _report(gateway, agent_id, credential, results).get_json()
    assert (body["accepted"], body["refused"]) == (2, [])
    assert sorted(r.days_left for r in _stored(gateway, monitor)) == [lapsed_long_ago, year_9999]


def test_text_the_database_cannot_hold_is_cleaned_not_fatal(gateway, client, with_secret):
    _, agent_id, credential = registered(gateway, client)
    monitor = create_monitor(client, agent_id=agent_id)["id"]
    nul = _result(monitor, details="connection failed: \x00odd")
    response = _report(gateway, agent_id, credential, [nul])
    assert response.status_code == 200 and response.get_json()["accepted"] == 1
    assert [r.details for r in _stored(gateway, monitor)] == ["connection failed: \ufffdodd"]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {},
        {"results": "x"},
        {"results": None},
        {"results": [{}] * 501},
        {"results": [{}] * 1001},
    ],
)
def test_a_malformed_envelope_is_refused_whole(gateway, client, with_secret, body):
    _, agent_id, credential = registered(gateway, client)
    response = post(gateway, "/api/agents/report", body, credential, str(agent_id))
    assert response.status_code == 422 and response.get_json()["error"]


def test_a_full_batch_of_500_is_taken(gateway, client, with_secret):
    _, agent_id, credential = registered(gateway, client)
    monitor = create_monitor(client, agent_id=agent_id)["id"]
    start = datetime.now(UTC) - timedelta(hours=1)
    results = [_result(monitor, start + timedelta(seconds=i)) for i in range(500)]
    body = _report(gateway, agent_id, credential, results).get_json()
    assert (body["accepted"], body["refused"]) == (500, [])


def test_addresses_behind_a_trusted_proxy_are_the_agents(config, client, with_secret):
    app = create_gateway(replace(config, trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),)))
    gw = app.test_client()
    try:
        agent_uuid = str(uuid.uuid4())
        forwarded = {"X-Forwarded-For": "203.0.113.7"}
        path = "/api/agents/register"
        assert post(gw, path, {"uuid": agent_uuid}, SECRET, agent_uuid, forwarded).status_code == 403
        assert client.get("/api/agents/pending").get_json()[0]["address"] == "203.0.113.7"
        client.post(f"/api/agents/pending/{agent_uuid}/approve")
        assert post(gw, path, {"uuid": agent_uuid}, SECRET, agent_uuid, forwarded).status_code == 200
        assert client.get("/api/agents").get_json()[0]["address"] == "203.0.113.7"
    finally:
        app.extensions["engine"].dispose()
