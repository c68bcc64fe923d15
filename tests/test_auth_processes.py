"""Limits that must hold across processes, against the real servers: failed sign-ins counted by
two web processes of two gunicorn workers each, and agent failures by two gateway processes."""

from __future__ import annotations

import uuid

import pytest
import requests

from agent_gateway import protocol
from tests.auth import PASSWORD, create_user_cli, http_sign_in
from tests.processes import command, start, stop, wait_http
from tests.services import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def servers(tmp_path, db_url, redis_url):
    """Two web and two gateway processes (two gunicorn workers each) on one database."""
    env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(tmp_path / "data"),
        "BIND_HOST": "127.0.0.1",
    }
    assert create_user_cli(env, "admin").returncode == 0
    procs, urls = [], {"web": [], "gateway": []}
    try:
        for role in ("web", "web", "gateway", "gateway"):
            port = free_port()
            procs.append(
                start(
                    command(role, "--port", str(port), "--workers", "2"), env, tmp_path / f"{role}-{port}.log"
                )
            )
            urls[role].append(f"http://127.0.0.1:{port}")
        for proc, url in zip(procs, urls["web"] + urls["gateway"], strict=True):
            wait_http(f"{url}/healthz", proc, timeout=60)
        yield urls
    finally:
        for proc in procs:
            stop(proc)


def _login(url: str, username: str, password: str) -> requests.Response:
    # A new connection each time, so gunicorn's workers take turns as they accept.
    return requests.post(
        f"{url}/api/auth/login",
        json={"username": username, "password": password},
        headers={"Connection": "close"},
        timeout=30,
    )


def test_login_throttle_holds_across_processes_and_workers(servers):
    web_a, web_b = servers["web"]
    codes = [_login(web_a if i % 2 else web_b, "admin", f"wrong guess {i}").status_code for i in range(10)]
    assert codes == [401] * 10
    for url in (web_a, web_b):
        throttled = _login(url, "admin", PASSWORD)
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) > 0


def test_gateway_failure_limit_holds_across_gateway_processes(servers):
    gw_a, gw_b = servers["gateway"]
    session = http_sign_in(servers["web"][0])
    assert (
        session.put(
            f"{servers['web'][0]}/api/settings",
            json={"agents": {"shared_secret": "the real shared secret"}},
            timeout=10,
        ).status_code
        == 200
    )

    agent = str(uuid.uuid4())

    def bad_register(url: str) -> int:
        body = f'{{"uuid": "{agent}", "name": "guess"}}'.encode()
        headers = protocol.signed_headers("a guessed secret", agent, "POST", "/api/agents/register", body)
        headers["Connection"] = "close"
        return requests.post(f"{url}/api/agents/register", data=body, headers=headers, timeout=10).status_code

    codes = [bad_register(gw_a if i % 2 else gw_b) for i in range(10)]
    assert codes == [401] * 10
    assert bad_register(gw_a) == 429
    assert bad_register(gw_b) == 429
    assert requests.get(f"{gw_a}/healthz", timeout=10).status_code == 200
