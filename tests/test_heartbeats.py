"""Heartbeat monitors: pings, failures, run times, late → down, token regeneration, floods."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from shared import heartbeats
from shared.models import AlertEvent, CheckResult, Monitor, utcnow
from tests.auth import create_user_cli, http_sign_in
from tests.processes import command, start, stop, wait_for, wait_http
from tests.services import free_port
from worker.watchdog import judge_heartbeats

HEARTBEAT = {"name": "Nightly backup", "type": "heartbeat", "interval_seconds": 3600, "grace_seconds": 300}


def _create(client, **overrides) -> dict:
    response = client.post("/api/monitors", json={**HEARTBEAT, **overrides})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _path(monitor: dict) -> str:
    return "/push/" + monitor["push_url"].rsplit("/push/", 1)[1]


def test_a_heartbeat_has_a_secret_push_url_and_no_target(client):
    monitor = _create(client)
    assert monitor["target"] == "" and monitor["grace_seconds"] == 300
    assert monitor["push_url"].startswith("http://localhost/push/")
    token = monitor["push_url"].rsplit("/", 1)[1]
    assert len(token) >= 32  # 24 random bytes, URL-safe: 192 bits
    assert client.get(f"/api/monitors/{monitor['id']}").get_json()["push_url"] == monitor["push_url"]
    refused = client.post("/api/monitors", json={**HEARTBEAT, "target": "example.com"})
    assert refused.status_code == 422 and "target" in refused.get_json()["fields"]


def test_pings_need_no_login_and_record_ok_fail_and_run_time(app, client, anon):
    monitor = _create(client)
    path = _path(monitor)
    assert anon.get(path).get_json() == {"ok": True, "recorded": True}
    status = client.get(f"/api/monitors/{monitor['id']}").get_json()
    assert status["status"] == "ok" and status["last_details"] == "ping received"

    time.sleep(1.01)
    assert (
        anon.post(path + "/fail", data="disk full\nmore lines", content_type="text/plain").status_code == 200
    )
    failed = client.get(f"/api/monitors/{monitor['id']}").get_json()
    assert failed["status"] == "down" and failed["last_details"] == "the job reported a failure: disk full"
    with app.app_context():
        from web.extensions import db

        assert [e.event for e in db.session.scalars(select(AlertEvent))] == ["down"]

    assert anon.head(path + "/start").status_code == 200
    time.sleep(1.2)
    assert anon.get(path).status_code == 200
    back = client.get(f"/api/monitors/{monitor['id']}").get_json()
    assert back["status"] == "ok" and back["last_latency_ms"] >= 1000
    assert "after a run of 1." in back["last_details"]


def test_regenerating_the_token_retires_the_old_url(client, anon, viewer):
    monitor = _create(client)
    old = _path(monitor)
    assert viewer.post(f"/api/monitors/{monitor['id']}/push-token").status_code == 403
    renewed = client.post(f"/api/monitors/{monitor['id']}/push-token").get_json()
    assert renewed["push_url"] != monitor["push_url"]
    assert anon.get(old).status_code == 404
    assert anon.get(_path(renewed)).status_code == 200
    assert anon.get("/push/not-a-token").status_code == 404
    other = client.post(
        "/api/monitors", json={"name": "web", "type": "http", "target": "http://127.0.0.1:9/"}
    )
    assert client.post(f"/api/monitors/{other.get_json()['id']}/push-token").status_code == 409


def test_a_flood_stores_at_most_one_result_a_second(app, client, anon):
    monitor = _create(client)
    path = _path(monitor)
    started = time.monotonic()
    for _ in range(60):
        assert anon.get(path).status_code == 200
    seconds = int(time.monotonic() - started) + 2
    with app.app_context():
        from web.extensions import db

        stored = db.session.scalar(select(func.count()).select_from(CheckResult))
        ignored = db.session.get(Monitor, monitor["id"]).pings_ignored
    assert 1 <= stored <= seconds
    assert stored + ignored == 60


def test_late_is_down_once_with_an_alert(client, sessions):
    monitor = _create(client, interval_seconds=60, grace_seconds=30)
    now = utcnow()
    with sessions() as session:
        assert judge_heartbeats(session, now + timedelta(seconds=80)) == []  # within period + grace
        [event_id] = judge_heartbeats(session, now + timedelta(seconds=95))
        assert judge_heartbeats(session, now + timedelta(seconds=200)) == []  # down already: once
        event = session.get(AlertEvent, event_id)
        assert event.event == "down" and "no ping for" in event.details and "grace 30 s" in event.details
    assert client.get(f"/api/monitors/{monitor['id']}").get_json()["status"] == "down"


@pytest.mark.parametrize(
    "last_ping_ago, changed_ago, interval, grace, late",
    [
        (50, 3600, 60, 30, False),
        (91, 3600, 60, 30, True),
        (None, 80, 60, 30, False),
        (None, 100, 60, 30, True),
    ],
)
def test_overdue_rule(last_ping_ago, changed_ago, interval, grace, late):
    now = utcnow()
    monitor = Monitor(
        interval_seconds=interval, grace_seconds=grace, updated_at=now - timedelta(seconds=changed_ago)
    )
    last = None if last_ping_ago is None else now - timedelta(seconds=last_ping_ago)
    assert (heartbeats.overdue(monitor, last, now) is not None) is late


@pytest.mark.slow
def test_real_processes_curl_style_ping_then_silence_goes_down(tmp_path, db_url, redis_url):
    """The crontab one-liner against a real web and beat: on time OK, then silent → down within
    interval + grace + one tick."""
    env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(tmp_path / "data"),
        "BIND_HOST": "127.0.0.1",
    }
    assert create_user_cli(env, "admin").returncode == 0
    port = free_port()
    web = start(command("web", "--port", str(port)), env, tmp_path / "web.log")
    beat = start(command("beat"), env, tmp_path / "beat.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", web, timeout=60)
        api = http_sign_in(base)
        monitor = api.post(
            f"{base}/api/monitors", json={**HEARTBEAT, "interval_seconds": 10, "grace_seconds": 5}, timeout=10
        ).json()
        assert monitor["push_url"].startswith(f"{base}/push/")
        assert requests.get(monitor["push_url"], timeout=10).status_code == 200  # curl -fsS -m 10 <url>
        pinged = time.monotonic()
        assert api.get(f"{base}/api/monitors/{monitor['id']}", timeout=10).json()["status"] == "ok"
        wait_for(
            lambda: api.get(f"{base}/api/monitors/{monitor['id']}", timeout=10).json()["status"] == "down",
            40,
            "the silent heartbeat to go down",
            step=0.5,
        )
        took = time.monotonic() - pinged
        assert 15 <= took <= 15 + 5 + 3, took  # interval + grace, plus at most a tick (and polling)
    finally:
        stop(beat)
        stop(web)


def test_heartbeat_run_time_thresholds_ignore_the_network_defaults(client):
    """OK = 60 s alone is fine for a job's run time (the system's 200 ms degraded default is not)."""
    created = client.post("/api/monitors", json={**HEARTBEAT, "thresholds": {"ok_ms": 60000}})
    assert created.status_code == 201, created.get_json()
    overview = client.get("/api/status/overview").get_json()["monitors"][0]
    assert overview["interval_seconds"] == 3600
