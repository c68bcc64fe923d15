"""/api/settings/alerts/test against a real webhook receiver and SMTP server; /api/alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import channels
from shared.models import AlertDelivery, AlertEvent, Monitor, utcnow
from tests.peers.smtp_server import SmtpServer
from tests.peers.webhook_receiver import WebhookReceiver
from tests.services import free_port


@pytest.fixture
def api(client):
    return client


def test_test_alert_reaches_both_channels(api):
    with WebhookReceiver() as receiver, SmtpServer() as smtp:
        settings = {
            "webhook_url": receiver.url,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_use_tls": False,
            "smtp_from": "alerts@example.com",
            "alert_email": "ops@example.com",
        }
        assert api.put("/api/settings", json={"alerts": settings}).status_code == 200
        response = api.post("/api/settings/alerts/test")
        assert response.status_code == 200
        assert response.get_json() == {
            "webhook": {"ok": True, "error": None, "skipped": False},
            "email": {"ok": True, "error": None, "skipped": False},
        }
        [payload] = receiver.received
        assert payload["event"] == "test" and payload["monitor"] == "OnlineTracker test"
        assert payload["agent"] == "server" and payload["timestamp"].endswith("Z")
        [mail] = smtp.messages
        assert mail.message["Subject"] == "TEST - OnlineTracker test - server - test"
        assert mail.rcpt_tos == ["ops@example.com"]


def test_nothing_configured_skips_both(api):
    response = api.post("/api/settings/alerts/test")
    assert response.status_code == 200
    assert response.get_json() == {
        "webhook": {"ok": False, "error": None, "skipped": True},
        "email": {"ok": False, "error": None, "skipped": True},
    }


def test_failures_are_reported_readably(api):
    with WebhookReceiver() as receiver:
        receiver.fail_next(1, 503)
        closed = free_port()
        api.put(
            "/api/settings",
            json={
                "alerts": {
                    "webhook_url": receiver.url,
                    "smtp_host": "127.0.0.1",
                    "smtp_port": closed,
                    "alert_email": "ops@example.com",
                    "smtp_from": "alerts@example.com",
                    "smtp_password": "do-not-show-me",
                }
            },
        )
        response = api.post("/api/settings/alerts/test")
    assert response.status_code == 200
    assert response.get_json() == {
        "webhook": {"ok": False, "error": "HTTP 503", "skipped": False},
        "email": {"ok": False, "error": "connection refused", "skipped": False},
    }
    assert "do-not-show-me" not in response.get_data(as_text=True)


def test_a_body_is_ignored_and_unknown_methods_answer_json(api):
    response = api.post("/api/settings/alerts/test", data="{not json", content_type="application/json")
    assert response.status_code == 200 and response.get_json()["webhook"]["skipped"] is True
    response = api.get("/api/settings/alerts/test")
    assert response.status_code == 405 and "error" in response.get_json()


def _add_events(app, count: int) -> int:
    from web.extensions import db

    with app.app_context():
        monitor = Monitor(name="API Server", type="http", target="https://api.example.com")
        db.session.add(monitor)
        db.session.flush()
        t0 = utcnow()
        channels.write_settings_slot(
            db.session, "webhook", "http://127.0.0.1:9/hook", app.config["OT"].secret_key
        )
        hook = channels.settings_slot(db.session, "webhook")
        for i in range(count):
            event = AlertEvent(
                monitor_id=monitor.id,
                event="down" if i % 2 == 0 else "up",
                monitor_name=monitor.name,
                monitor_type=monitor.type,
                target=monitor.target,
                details=f"event {i}",
                created_at=t0 + timedelta(seconds=i),
            )
            db.session.add(event)
            db.session.flush()
            db.session.add(
                AlertDelivery(
                    event_id=event.id,
                    channel_id=hook.id,
                    channel_name=hook.name,
                    kind="webhook",
                    state="sent",
                )
            )
        db.session.commit()
        return monitor.id


def test_recent_events_newest_first_with_delivery_state(api, app):
    monitor_id = _add_events(app, 5)
    body = api.get("/api/alerts?limit=3").get_json()
    assert [e["details"] for e in body["items"]] == ["event 4", "event 3", "event 2"]
    first = body["items"][0]
    assert first["event"] == "down" and first["monitor"] == "API Server" and first["agent"] == "server"
    assert first["webhook_state"] == "sent" and first["email_state"] == "skipped"
    assert first["deliveries"] == [
        {
            "channel_id": first["deliveries"][0]["channel_id"],
            "channel": "Webhook",
            "kind": "webhook",
            "state": "sent",
            "attempts": 0,
            "last_error": None,
            "next_attempt_at": None,
            "sent_at": None,
        }
    ]
    assert first["created_at"].endswith("Z") and first["last_error"] is None
    assert len(api.get("/api/alerts").get_json()["items"]) == 5
    assert len(api.get(f"/api/alerts?monitor_id={monitor_id}").get_json()["items"]) == 5
    assert api.get(f"/api/alerts?monitor_id={monitor_id + 1}").get_json()["items"] == []


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=abc", "monitor_id=x", "monitor_id=0"])
def test_bad_queries_are_422(api, query):
    response = api.get(f"/api/alerts?{query}")
    assert response.status_code == 422 and "error" in response.get_json()


def test_routes_are_in_the_openapi_document(api):
    paths = api.get("/api/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/settings/alerts/test"] and "get" in paths["/api/alerts"]
