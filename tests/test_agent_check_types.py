"""The new check types through a real agent process: TCP, DNS and HTTP assertions (with a
basic-auth password that reaches the agent decrypted) run on the agent and come back judged."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select

from agent_gateway import protocol
from agent_gateway.agent import load_uuid
from shared.db import make_engine, session_factory
from shared.models import CheckResult
from tests import services
from tests.helpers import create_monitor
from tests.peers.dns_server import DnsPeer
from tests.peers.http_server import HttpPeer
from tests.processes import command, start, stop, wait_for, wait_http
from tests.services import free_port

pytestmark = pytest.mark.slow
SECRET = "agent-secret-for-types"


def test_tcp_dns_and_http_assertions_run_on_an_agent(tmp_path, config, client, db_url, redis_url):
    services.flush_prefix(redis_url)
    port = free_port()
    server_env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(config.data_dir),
        "COMS_PORT": str(port),
    }
    data_dir = tmp_path / "agent"
    agent_uuid = load_uuid(data_dir)
    client.put(
        "/api/settings", json={"agents": {"shared_secret": SECRET, "allowed_agent_uuids": [agent_uuid]}}
    )
    gateway = start(command("gateway"), server_env, tmp_path / "gateway.log")
    agent = None
    sessions = session_factory(make_engine(db_url))
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", gateway)
        body = json.dumps({"uuid": agent_uuid, "name": "edge-types"}).encode()
        path = "/api/agents/register"
        headers = protocol.signed_headers(SECRET, agent_uuid, "POST", path, body)
        agent_id = requests.post(
            f"http://127.0.0.1:{port}{path}", data=body, headers=headers, timeout=5
        ).json()["agent_id"]
        with HttpPeer() as web, DnsPeer() as dns_peer:
            web.set(body=b'{"status": "ok"}', auth=("u", "agent-pw"))  # 401 without the password
            dns_peer.add("svc.test", "A", "192.0.2.7")
            common = {"agent_id": agent_id, "interval_seconds": 10, "timeout_seconds": 3}
            tcp = create_monitor(client, name="tcp", type="tcp", target=f"127.0.0.1:{web.port}", **common)
            closed = create_monitor(
                client, name="closed", type="tcp", target=f"127.0.0.1:{free_port()}", **common
            )
            dns_ok = create_monitor(
                client,
                name="dns",
                type="dns",
                target="svc.test",
                dns={"server": dns_peer.server, "expected": ["192.0.2.7"]},
                **common,
            )
            dns_wrong = create_monitor(
                client,
                name="dns wrong",
                type="dns",
                target="svc.test",
                dns={"server": dns_peer.server, "expected": ["192.0.2.8"]},
                **common,
            )
            http_json = create_monitor(
                client,
                name="json",
                type="http",
                target=web.url,
                http={
                    "json_path": "$.status",
                    "json_expected": "ok",
                    "basic_auth": {"username": "u", "password": "agent-pw"},
                },
                **common,
            )
            agent_env = {
                "MODE": "agent",
                "SERVER_HOST": "127.0.0.1",
                "COMS_PORT": str(port),
                "SHARED_SECRET": SECRET,
                "DATA_DIR": str(data_dir),
                "AGENT_NAME": "edge-types",
                "DATABASE_URL": "",
                "REDIS_URL": "",
            }
            agent = start(command("run"), agent_env, tmp_path / "agent.log")
            ids = {m["id"]: m["name"] for m in (tcp, closed, dns_ok, dns_wrong, http_json)}

            def latest():
                with sessions() as session:
                    rows = session.scalars(select(CheckResult).where(CheckResult.agent_id == agent_id)).all()
                found = {ids[r.monitor_id]: (r.status, r.details) for r in rows}
                return found if set(found) == set(ids.values()) else None

            results = wait_for(latest, 45, "a result of each monitor from the agent", step=1)
        assert results["tcp"][0] == "ok" and results["tcp"][1].startswith("connected to 127.0.0.1:")
        assert results["closed"] == ("down", "connection refused")
        assert results["dns"][0] == "ok" and "192.0.2.7" in results["dns"][1]
        assert results["dns wrong"][0] == "down" and "expected 192.0.2.8" in results["dns wrong"][1]
        assert results["json"] == ("ok", "HTTP 200")  # the decrypted password reached the agent
    finally:
        if agent is not None:
            stop(agent)
        stop(gateway)
