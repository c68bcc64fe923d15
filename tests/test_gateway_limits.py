"""The gateway's failure limit (review finding 4): per address and agent, so one bad agent — or a
proxy that shows every agent as one address — locks out only itself; X-Forwarded-For is believed
from TRUSTED_PROXIES only; the counts live in the database, so they are bounded by retention."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import pytest

from agent_gateway import create_app as create_gateway
from agent_gateway import protocol
from shared.config import parse_networks

SECRET = "gateway limits secret"


@pytest.fixture
def gateway(config, client):
    assert client.put("/api/settings", json={"agents": {"shared_secret": SECRET}}).status_code == 200
    app = create_gateway(replace(config, trusted_proxies=parse_networks("10.0.0.1", "TRUSTED_PROXIES")))
    yield app.test_client()
    app.extensions["engine"].dispose()


def register(gw, agent: str, secret: str, **environ) -> int:
    body = json.dumps({"uuid": agent, "name": "edge"}).encode()
    headers = protocol.signed_headers(secret, agent, "POST", "/api/agents/register", body)
    return gw.post("/api/agents/register", data=body, headers=headers, environ_base=environ).status_code


def test_one_bad_agent_behind_a_proxy_locks_out_only_itself(gateway):
    bad, good = str(uuid.uuid4()), str(uuid.uuid4())
    proxy = {"REMOTE_ADDR": "192.0.2.10"}  # an untrusted proxy: every agent has its address
    assert [register(gateway, bad, "wrong secret!", **proxy) for _ in range(11)] == [401] * 10 + [429]
    assert register(gateway, good, SECRET, **proxy) == 403  # known secret, pending approval: not 429


def test_rotating_agent_ids_still_hits_the_address_limit(gateway):
    codes = [register(gateway, str(uuid.uuid4()), "wrong secret!") for _ in range(61)]
    assert codes[:60] == [401] * 60 and codes[60] == 429


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(gateway):
    agent = str(uuid.uuid4())
    for i in range(10):
        trusted = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": f"203.0.113.{i}"}
        assert register(gateway, agent, "wrong secret!", **trusted) == 401  # ten different clients
    # From elsewhere a made-up header is ignored: a new one each time still counts as one address.
    codes = [
        register(
            gateway,
            agent,
            "wrong secret!",
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{100 + i}",
        )
        for i in range(11)
    ]
    assert codes == [401] * 10 + [429]
    fresh = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.51"}
    assert register(gateway, agent, "wrong secret!", **fresh) == 401
