"""A maintenance window end to end: the real worker and beat, a real target and webhook receiver.

A monitor goes down inside a window: no webhook while the window lasts (a monitor outside it,
failing at the same time, alerts at once); when the window ends with the monitor still down, the
"down" follows from beat's sweep.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from shared.models import utcnow
from shared.timefmt import iso
from tests import services
from tests.helpers import create_monitor
from tests.peers.http_server import HttpPeer
from tests.peers.webhook_receiver import WebhookReceiver
from tests.processes import command, start, stop

pytestmark = pytest.mark.slow

WINDOW_SECONDS = 40


def test_a_window_holds_the_alert_back_until_it_ends(tmp_path, config, client, db_url, redis_url):
    services.flush_prefix(redis_url)
    env = {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "DATA_DIR": str(config.data_dir)}
    with HttpPeer() as held_peer, HttpPeer() as control_peer, WebhookReceiver() as hook:
        assert client.put("/api/settings", json={"alerts": {"webhook_url": hook.url}}).status_code == 200
        held = create_monitor(
            client, name="Held", target=held_peer.url, interval_seconds=10, timeout_seconds=3
        )
        control = create_monitor(
            client, name="Control", target=control_peer.url, interval_seconds=10, timeout_seconds=3
        )
        worker = start(command("worker"), env, tmp_path / "worker.log")
        beat = start(command("beat"), env, tmp_path / "beat.log")
        try:
            deadline = time.monotonic() + 30
            while {client.get(f"/api/monitors/{m['id']}").get_json()["status"] for m in (held, control)} != {
                "ok"
            }:
                assert time.monotonic() < deadline, "the monitors never turned ok"
                time.sleep(0.5)
            now = utcnow()
            end = now + timedelta(seconds=WINDOW_SECONDS)
            window = client.post(
                "/api/maintenance",
                json={"title": "upgrade", "monitor_ids": [held["id"]], "start": iso(now), "end": iso(end)},
            )
            assert window.status_code == 201 and window.get_json()["active"] is True
            assert client.get(f"/api/monitors/{held['id']}").get_json()["status"] == "maintenance"

            held_peer.set(status=503)
            control_peer.set(status=503)
            [first] = hook.wait_for(1, timeout=20)
            assert (first["monitor"], first["event"]) == ("Control", "down")
            # The held monitor's checks go on and are recorded as down, silently.
            deadline = time.monotonic() + 20
            while True:
                items = client.get(f"/api/monitors/{held['id']}/results?per_page=5").get_json()["items"]
                if items and items[0]["status"] == "down":
                    break
                assert time.monotonic() < deadline, "no down result recorded inside the window"
                time.sleep(0.5)
            overview = client.get("/api/status/overview").get_json()
            assert overview["maintenance"] == 1
            while utcnow() < end - timedelta(seconds=1):
                assert [h["monitor"] for h in hook.received] == ["Control"]
                time.sleep(0.5)

            # Over, still down: the alert follows within one silence sweep (15 s) and a tick.
            both = hook.wait_for(2, timeout=25)
            ended_to_alert = time.time() - end.timestamp()
            assert [(h["monitor"], h["event"]) for h in both] == [("Control", "down"), ("Held", "down")]
            assert "after maintenance" in both[1]["details"]
            assert client.get(f"/api/monitors/{held['id']}").get_json()["status"] == "down"
            time.sleep(6)
            assert len(hook.received) == 2  # once
        finally:
            stop(beat)
            stop(worker)
    print(f"window ended -> held alert: {ended_to_alert:.1f} s")
