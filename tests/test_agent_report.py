"""The agent's side of reporting, against a real gateway (and real misbehaving peers) on 127.0.0.1.

What leaves the agent's buffer: results the gateway stored and results it refused for good (each
logged once with the reason). What stays for the next attempt: everything, on a network error, 429
or 5xx; and the agent waits as long as a 429's ``Retry-After`` asks.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from agent_gateway import create_app as create_gateway
from agent_gateway.agent import Agent, AgentSettings, iso_ms
from shared.models import CheckResult
from tests.helpers import create_monitor

SECRET = "agent-report-test-secret"


class Misbehaving:
    """A stand-in for the gateway on 127.0.0.1 that answers every request with one reply (POST too,
    which tests/peers/http_server.py doesn't serve), reading the request body first as a proxy would."""

    def __init__(self, status: int, body: str, headers: dict[str, str] | None = None):
        self.reply = (status, body.encode(), {"Content-Type": "application/json", **(headers or {})})
        self.hits = 0
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                peer.hits += 1
                status, payload, headers = peer.reply
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(payload))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def gateway_url(config):
    app = create_gateway(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["engine"].dispose()


@pytest.fixture
def agent(tmp_path, client, gateway_url):
    """A registered agent (in this process) whose buffer the test fills by hand."""
    client.put("/api/settings", json={"agents": {"shared_secret": SECRET}})
    settings = AgentSettings(
        server_url=gateway_url, shared_secret=SECRET, data_dir=tmp_path / "agent", name="edge-report"
    )
    agent = Agent(settings)
    client.put("/api/settings", json={"agents": {"allowed_agent_uuids": [agent.uuid]}})
    assert agent.register()
    yield agent
    agent.stop_event.set()
    agent.pool.shutdown(wait=False, cancel_futures=True)
    agent.buffer.close()


def result(monitor_id: int, when: float | None = None, **overrides) -> dict:
    when = time.time() if when is None else when
    return {
        "id": str(uuid.uuid4()),
        "monitor_id": monitor_id,
        "checked_at": iso_ms(when),
        "slot_at": iso_ms(when),
        "status": "ok",
        "latency_ms": 3.2,
        "details": "HTTP 200",
        "days_left": None,
        **overrides,
    }


def stored_ids(config, monitor_id: int) -> set[str]:
    from shared.db import make_engine

    engine = make_engine(config.database_url)
    try:
        with Session(engine) as session:
            uids = session.scalars(select(CheckResult.uid).where(CheckResult.monitor_id == monitor_id))
            return {uid.rsplit(":", 1)[1] for uid in uids}
    finally:
        engine.dispose()


def test_refused_results_are_logged_once_and_leave_the_buffer(agent, client, config, caplog):
    mine = create_monitor(client, agent_id=agent.agent_id)["id"]
    not_mine = create_monitor(client, name="server-side")["id"]
    now = time.time()
    year_9999 = (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - datetime.now(UTC)).days
    good = [result(mine, now - 30), result(mine, now - 20, days_left=year_9999), result(mine, now - 10)]
    future = result(mine, now + 3600)
    stray = result(not_mine, now - 15)
    for item in (good[0], future, good[1], stray, good[2]):
        agent.buffer.add(item)

    with caplog.at_level(logging.INFO, logger="onlinetracker.agent"):
        assert agent.send_buffered() == 5
        assert agent.send_buffered() == 0
    assert len(agent.buffer) == 0
    assert stored_ids(config, mine) == {r["id"] for r in good}
    refusals = [r.getMessage() for r in caplog.records if "refused result" in r.getMessage()]
    assert len(refusals) == 2, refusals
    assert future["id"] in refusals[0] and "ahead of the server's clock" in refusals[0]
    assert stray["id"] in refusals[1] and "monitor is not assigned to this agent" in refusals[1]


def test_a_request_too_large_for_the_server_is_split_until_only_the_culprit_is_left(
    agent, client, config, caplog
):
    mine = create_monitor(client, agent_id=agent.agent_id)["id"]
    now = time.time()
    # Made by hand: our agent cuts details to 500 characters, but a proxy's body limit can be far
    # smaller than the gateway's, so the request is split rather than retried as it is forever.
    huge = result(mine, now - 50, details="x" * (3 * 1024 * 1024))
    others = [result(mine, now - 49 + i) for i in range(7)]
    for item in [others[0], huge, *others[1:]]:
        agent.buffer.add(item)
    with caplog.at_level(logging.INFO, logger="onlinetracker.agent"):
        assert agent.send_buffered() == 8
    assert len(agent.buffer) == 0
    assert stored_ids(config, mine) == {r["id"] for r in others}
    assert any(huge["id"] in r.getMessage() and "HTTP 413" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_and_throttling_keep_the_buffer(agent, client, status):
    mine = create_monitor(client, agent_id=agent.agent_id)["id"]
    for i in range(3):
        agent.buffer.add(result(mine, time.time() - i))
    with Misbehaving(status, json.dumps({"error": "busy"}), {"Retry-After": "1"}) as peer:
        agent.settings.server_url = peer.url
        with pytest.raises(Exception) as raised:
            agent.send_buffered()
        assert getattr(raised.value, "response", None) is not None
        assert raised.value.response.status_code == status
    assert len(agent.buffer) == 3


def test_a_gateway_answer_without_the_report_fields_keeps_the_buffer(agent, client):
    mine = create_monitor(client, agent_id=agent.agent_id)["id"]
    agent.buffer.add(result(mine))
    with Misbehaving(200, "<html>captive portal</html>", {"Content-Type": "text/html"}) as peer:
        agent.settings.server_url = peer.url
        with pytest.raises(ValueError):
            agent.send_buffered()
    assert len(agent.buffer) == 1


def test_the_control_loop_backs_off_as_long_as_retry_after_asks(agent, client, config, gateway_url):
    mine = create_monitor(client, agent_id=agent.agent_id)["id"]
    agent.buffer.add(result(mine, time.time() - 5))
    with Misbehaving(429, json.dumps({"error": "Too many failed attempts"}), {"Retry-After": "4"}) as peer:
        agent.settings.server_url = peer.url
        loop = threading.Thread(target=agent.control_loop, daemon=True)
        loop.start()
        time.sleep(3)
        hits = peer.hits
        # Back to the real gateway: the loop carries on by itself once the wait is over.
        agent.settings.server_url = gateway_url
        deadline = time.monotonic() + 10
        while len(agent.buffer) and time.monotonic() < deadline:
            time.sleep(0.1)
        agent.stop_event.set()
        loop.join(timeout=5)
    assert hits == 1  # the default backoff alone (2 s) would have asked again within 3 s
    assert len(agent.buffer) == 0
    assert len(stored_ids(config, mine)) == 1
