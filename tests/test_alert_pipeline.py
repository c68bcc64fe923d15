"""Alerts end to end: real checks by the real worker and beat, a real webhook receiver and SMTP server."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from tests import services
from tests.helpers import create_monitor
from tests.peers.http_server import HttpPeer
from tests.peers.smtp_server import SmtpServer
from tests.peers.webhook_receiver import WebhookReceiver
from tests.processes import command, start, stop

pytestmark = pytest.mark.slow


def test_down_then_up_sends_one_webhook_and_one_email_each(tmp_path, config, client, db_url, redis_url):
    services.flush_prefix(redis_url)
    env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(config.data_dir),
        "WORKER_CONCURRENCY": "4",
    }
    with HttpPeer() as peer, WebhookReceiver() as hook, SmtpServer() as smtp:
        settings = {
            "alerts": {
                "alert_type": "once",
                "alert_on_restored": True,
                "webhook_url": hook.url,
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "smtp_use_tls": False,
                "smtp_from": "tracker@example.com",
                "alert_email": "ops@example.com",
            }
        }
        assert client.put("/api/settings", json=settings).status_code == 200
        monitor = create_monitor(
            client, name="API Server", target=peer.url, interval_seconds=10, timeout_seconds=5
        )
        worker = start(command("worker"), env, tmp_path / "worker.log")
        beat = start(command("beat"), env, tmp_path / "beat.log")
        try:
            deadline = time.monotonic() + 30
            while client.get(f"/api/monitors/{monitor['id']}").get_json()["status"] != "ok":
                assert time.monotonic() < deadline, "the monitor never turned ok"
                time.sleep(0.5)
            assert hook.received == [] and smtp.messages == []  # unknown -> ok is not news

            peer.set(status=503)
            failed_at = time.time()
            down = hook.wait_for(1, timeout=25)
            arrived = time.time()
            delay = arrived - failed_at
            results = client.get(f"/api/monitors/{monitor['id']}/results?per_page=500").get_json()["items"]
            first_down = min(
                datetime.fromisoformat(r["checked_at"]) for r in results if r["status"] == "down"
            )
            check_to_webhook = arrived - first_down.timestamp()
            assert len(down) == 1 and down[0]["event"] == "down" and down[0]["details"] == "HTTP 503"
            assert down[0] == {
                **down[0],
                "monitor": "API Server",
                "type": "http",
                "target": peer.url,
                "agent": "server",
            }
            mails = smtp.wait_for(1, timeout=10)
            assert [m.message["Subject"] for m in mails] == ["DOWN - API Server - server - http"]
            assert delay < 10 + 5  # within one interval plus a few seconds

            time.sleep(12)  # still down, alert type "once": nothing more
            assert len(hook.received) == 1 and len(smtp.messages) == 1

            peer.set(status=200)
            up = hook.wait_for(2, timeout=25)
            assert [h["event"] for h in up] == ["down", "up"]
            assert [m.message["Subject"] for m in smtp.wait_for(2, timeout=10)][
                1
            ] == "UP - API Server - server - http"
            time.sleep(3)
            assert len(hook.received) == 2 and len(smtp.messages) == 2
        finally:
            stop(beat)
            stop(worker)
    print(
        f"service failed -> webhook: {delay:.1f} s; failing check started -> webhook: {check_to_webhook:.2f} s"
    )
    assert check_to_webhook < 3
