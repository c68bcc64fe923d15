"""A real gateway and a real agent process on loopback: approval, checks, outages, restarts."""

from __future__ import annotations

import re
import time

import pytest
import requests
from sqlalchemy import select

from shared import schedule
from shared.db import make_engine, session_factory
from shared.models import CheckResult
from tests import services
from tests.helpers import create_monitor
from tests.peers.http_server import HttpPeer
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
