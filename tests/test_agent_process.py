"""A real gateway and a real agent process on loopback: approval, checks, outages, restarts."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select

from agent_gateway import protocol
from agent_gateway.agent import iso_ms, load_uuid
from agent_gateway.buffer import ResultBuffer
from shared import schedule
from shared.db import make_engine, session_factory
from shared.models import CheckResult
from tests import services
from tests.helpers import create_monitor
from tests.peers.http_server import HttpPeer
from tests.peers.tls_server import serve_tls
from tests.processes import command, start, stop, wait_for, wait_http
from tests.services import free_port

pytestmark = pytest.mark.slow
SECRET = "agent-secret-for-tests"


def test_agent_lifecycle_with_outage_and_restart(tmp_path, config, client, db_url, redis_url):
    services.flush_prefix(redis_url)
    port = free_port()
    server_env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(config.data_dir),
        "COMS_PORT": str(port),
    }
    agent_env = {
        "MODE": "agent",
        "SERVER_HOST": "127.0.0.1",
        "COMS_PORT": str(port),
        "SHARED_SECRET": SECRET,
        "DATA_DIR": str(tmp_path / "agent"),
        "AGENT_NAME": "edge-test",
        "DATABASE_URL": "",
        "REDIS_URL": "",
    }
    client.put("/api/settings", json={"agents": {"shared_secret": SECRET}})
    gateway = start(command("gateway"), server_env, tmp_path / "gateway.log")
    agent = start(command("run"), agent_env, tmp_path / "agent.log")
    sessions = session_factory(make_engine(db_url))
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", gateway)
        assert requests.get(f"http://127.0.0.1:{port}/api/monitors", timeout=5).status_code == 404

        pending = wait_for(
            lambda: client.get("/api/agents/pending").get_json(), 20, "the agent to show as pending"
        )
        agent_uuid = pending[0]["uuid"]
        assert pending[0]["name"] == "edge-test"
        assert agent_uuid in (tmp_path / "agent.log").read_text()  # the banner names it
        assert client.post(f"/api/agents/pending/{agent_uuid}/approve").status_code == 200
        agents = wait_for(lambda: client.get("/api/agents").get_json(), 40, "the agent to register")
        agent_id = agents[0]["id"]

        with HttpPeer() as peer:
            monitor = create_monitor(
                client, target=peer.url, agent_id=agent_id, interval_seconds=10, timeout_seconds=5
            )
            assigned = time.time()
            wait_for(
                lambda: client.get(f"/api/monitors/{monitor['id']}/results").get_json()["total"],
                45,
                "the agent's first result",
            )
            assert time.time() - assigned < 45

            # The gateway goes away; the agent keeps checking, and is itself restarted meanwhile.
            outage_start = time.time()
            stop(gateway)
            time.sleep(25)
            agent_down = time.time()
            assert stop(agent) < 8
            agent = start(command("run"), agent_env, tmp_path / "agent2.log")
            agent_up = time.time()
            time.sleep(25)
            outage_end = time.time()
            gateway = start(command("gateway"), server_env, tmp_path / "gateway2.log")
            wait_http(f"http://127.0.0.1:{port}/healthz", gateway)

            expected = [
                s
                for s in schedule.slots_between(monitor["id"], 10, outage_start + 1, outage_end - 1)
                if not agent_down - 1 <= s <= agent_up + 3
            ]

            def delivered():
                with sessions() as session:
                    rows = session.scalars(
                        select(CheckResult).where(CheckResult.monitor_id == monitor["id"])
                    ).all()
                slots = [round(r.slot_at.timestamp(), 3) for r in rows]
                return rows if set(expected) <= set(slots) else None

            rows = wait_for(delivered, 40, "the buffered results to arrive")
            slots = [round(r.slot_at.timestamp(), 3) for r in rows]
            assert len(slots) == len(set(slots)), "a result was stored twice"
            assert all(r.agent_id == agent_id and r.status == "ok" for r in rows)
        uuids = re.findall(r"Agent UUID: ([0-9a-f-]{36})", (tmp_path / "agent2.log").read_text())
        assert uuids == [agent_uuid]  # same UUID after the restart
    finally:
        stop(agent)
        stop(gateway)


def test_agent_process_drops_what_the_gateway_refuses_and_reports_the_rest(
    tmp_path, config, client, db_url, redis_url, ca
):
    """A result refused for good (dated an hour ahead) leaves the buffer with one log line; a
    certificate valid until 9999 (days_left ~2.9 million) is stored, not a batch lost."""
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
    allow = {"shared_secret": SECRET, "allowed_agent_uuids": [agent_uuid]}
    client.put("/api/settings", json={"agents": allow})
    gateway = start(command("gateway"), server_env, tmp_path / "gateway.log")
    agent = None
    sessions = session_factory(make_engine(db_url))
    until_9999 = (datetime(9999, 12, 30, tzinfo=UTC) - datetime.now(UTC)).days
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", gateway)
        # Register once from here, so the monitor is assigned before the agent's first poll.
        body = json.dumps({"uuid": agent_uuid, "name": "edge-refusals"}).encode()
        path = "/api/agents/register"
        headers = protocol.signed_headers(SECRET, agent_uuid, "POST", path, body)
        url = f"http://127.0.0.1:{port}{path}"
        agent_id = requests.post(url, data=body, headers=headers, timeout=5).json()["agent_id"]
        with serve_tls(ca, days=until_9999) as tls:
            monitor = create_monitor(
                client,
                name="forever cert",
                type="ssl",
                target=tls.target,
                agent_id=agent_id,
                interval_seconds=10,
                timeout_seconds=5,
            )
            # Left in the buffer by a run whose clock was an hour fast.
            future = {
                "id": str(uuid.uuid4()),
                "monitor_id": monitor["id"],
                "checked_at": iso_ms(time.time() + 3600),
                "slot_at": iso_ms(time.time() + 3600),
                "status": "down",
                "latency_ms": None,
                "details": "from a clock an hour fast",
                "days_left": None,
            }
            buffer = ResultBuffer(data_dir / "agent-buffer.db")
            buffer.add(future)
            buffer.close()
            agent_env = {
                "MODE": "agent",
                "SERVER_HOST": "127.0.0.1",
                "COMS_PORT": str(port),
                "SHARED_SECRET": SECRET,
                "DATA_DIR": str(data_dir),
                "AGENT_NAME": "edge-refusals",
                "DATABASE_URL": "",
                "REDIS_URL": "",
                "ONLINETRACKER_CA_BUNDLE": ca.bundle_path,
            }
            agent = start(command("run"), agent_env, tmp_path / "agent.log")

            def stored():
                with sessions() as session:
                    query = select(CheckResult).where(CheckResult.monitor_id == monitor["id"])
                    return session.scalars(query).all()

            rows = wait_for(stored, 30, "the agent's SSL result")
        assert f"agt:{agent_id}:{future['id']}" not in {r.uid for r in rows}
        assert (rows[0].status, rows[0].days_left) == ("ok", pytest.approx(until_9999, abs=2))
        assert stop(agent) < 8
        agent = None
        log = (tmp_path / "agent.log").read_text()
        refusals = [line for line in log.splitlines() if f"server refused result {future['id']}" in line]
        assert len(refusals) == 1, log
        assert "ahead of the server's clock" in refusals[0]
        buffer = ResultBuffer(data_dir / "agent-buffer.db")
        assert future["id"] not in {r["id"] for r in buffer.oldest(1000)}
        buffer.close()
    finally:
        if agent is not None:
            stop(agent)
        stop(gateway)
