"""The upgrade to notification channels (revision 0007) keeps sending where an install sent before.

A database made by revision 0006 with Settings > Alerts' webhook URL and alert email, monitors and
alert events in every delivery state is migrated; then the same webhook and address get new alerts,
the pending delivery is still sent (once), and what was sent is not sent again.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import select, text

from shared import channels, crypto
from shared.db import alembic_config, make_engine, migrate, session_factory
from shared.models import AlertDelivery, Channel, MonitorChannel, utcnow
from tests.helpers import record_check
from tests.peers.smtp_server import SmtpServer
from tests.peers.webhook_receiver import WebhookReceiver
from worker import alerts

KEY = b"the install's SECRET_KEY"


@pytest.fixture(params=["postgresql", "sqlite"])
def old_install(request, tmp_path):
    """A database of its own at revision 0006 (the schema before channels), empty."""
    url = (
        request.getfixturevalue("empty_pg")
        if request.param == "postgresql"
        else f"sqlite:///{tmp_path / 'old.db'}"
    )
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0006")
    yield engine
    engine.dispose()


def _at(engine, value):
    """A time as the app binds it (SQLite: naive UTC), for rows written with plain SQL."""
    return value.replace(tzinfo=None) if engine.dialect.name == "sqlite" else value


def _fill(engine, webhook_url: str, smtp_port: int) -> dict:
    now = utcnow()
    alerts_section = {
        "alert_type": "once",
        "alert_on_restored": True,
        "webhook_url": webhook_url,
        "alert_email": "ops@example.com",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_use_tls": False,
        "smtp_from": "alerts@example.com",
    }
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO settings (section, value, updated_at) VALUES ('alerts', :v, :t)"),
            {"v": json.dumps(alerts_section), "t": _at(engine, now)},
        )
        for name in ("API", "DB"):
            conn.execute(
                text(
                    "INSERT INTO monitors (name, type, target, interval_seconds, timeout_seconds, enabled,"
                    " grace_seconds, pings_ignored, badges, created_at, updated_at)"
                    " VALUES (:n, 'http', 'https://api.example.com', 60, 10, :yes, 60, 0, :no, :t, :t)"
                ),
                {"n": name, "t": _at(engine, now), "yes": True, "no": False},
            )
        ids = [r[0] for r in conn.execute(text("SELECT id FROM monitors ORDER BY id"))]
        events = {}
        for label, webhook, email, attempts in (
            ("done", "sent", "sent", 0),
            ("webhook pending", "pending", "sent", 2),
            ("gave up", "failed", "skipped", 9),
        ):
            conn.execute(
                text(
                    "INSERT INTO alert_events (monitor_id, event, monitor_name, monitor_type, target, details,"
                    " created_at, webhook_state, email_state, attempts, last_error, next_attempt_at)"
                    " VALUES (:m, 'down', 'API', 'http', 'https://api.example.com', :d, :t, :w, :e, :a, :err, :next)"
                ),
                {
                    "m": ids[0],
                    "d": label,
                    "t": _at(engine, now - timedelta(minutes=5)),
                    "w": webhook,
                    "e": email,
                    "a": attempts,
                    "err": None if webhook == "sent" else "webhook: HTTP 500",
                    "next": _at(engine, now - timedelta(seconds=1)),
                },
            )
            events[label] = conn.execute(text("SELECT max(id) FROM alert_events")).scalar_one()
    return {"monitors": ids, "events": events}


def test_the_upgrade_keeps_sending_to_the_same_webhook_and_address(old_install):
    engine = old_install
    with WebhookReceiver() as hook, SmtpServer() as smtp:
        made = _fill(engine, hook.url, smtp.port)
        migrate(engine, KEY)
        sessions = session_factory(engine)

        with sessions() as session:
            rows = {c.from_settings: c for c in session.scalars(select(Channel))}
            assert set(rows) == {"webhook", "email"}
            assert crypto.decrypt(KEY, rows["webhook"].secret_enc) == hook.url
            assert (
                rows["webhook"].masked == channels.mask_url(hook.url)
                and hook.url not in rows["webhook"].config
            )
            assert channels.config_of(rows["email"]) == {"to": "ops@example.com"}
            assert all(c.is_default for c in rows.values())
            routes = set(session.execute(select(MonitorChannel.monitor_id, MonitorChannel.channel_id)).all())
            assert routes == {(m, c.id) for m in made["monitors"] for c in rows.values()}
            states = {
                (d.event_id, d.kind): (d.state, d.attempts)
                for d in session.scalars(select(AlertDelivery).order_by(AlertDelivery.id))
            }
            section = json.loads(session.scalar(text("SELECT value FROM settings WHERE section = 'alerts'")))
        events = made["events"]
        assert states == {
            (events["done"], "webhook"): ("sent", 0),
            (events["done"], "email"): ("sent", 0),
            (events["webhook pending"], "webhook"): ("pending", 2),
            (events["webhook pending"], "email"): ("sent", 2),
            (events["gave up"], "webhook"): ("failed", 9),
        }
        assert (
            "webhook_url" not in section
            and "alert_email" not in section
            and section["smtp_port"] == smtp.port
        )

        # The pending delivery goes out once; nothing that was sent goes out again.
        alerts.sweep(sessions, KEY)
        alerts.sweep(sessions, KEY, utcnow() + timedelta(hours=1))
        assert [p["details"] for p in hook.received] == ["webhook pending"] and smtp.messages == []

        # A new outage of an existing monitor reaches the same webhook and address.
        t0 = utcnow() - timedelta(minutes=2)
        record_check(sessions, made["monitors"][1], "ok", t0)
        [event_id] = record_check(sessions, made["monitors"][1], "down", t0 + timedelta(seconds=60))
        assert alerts.deliver(sessions, KEY, event_id) == {"Webhook": "sent", "Email": "sent"}
        assert hook.received[-1]["monitor"] == "DB"
        assert [m.rcpt_tos for m in smtp.messages] == [["ops@example.com"]]


def test_the_upgrade_without_settings_makes_no_channels(old_install):
    migrate(old_install)  # nothing to encrypt: no key needed
    with session_factory(old_install)() as session:
        assert session.scalars(select(Channel)).all() == []


def test_moving_a_webhook_url_without_the_key_is_refused(old_install):
    with old_install.begin() as conn:
        conn.execute(
            text("INSERT INTO settings (section, value, updated_at) VALUES ('alerts', :v, :t)"),
            {"v": json.dumps({"webhook_url": "http://127.0.0.1:9/hook"}), "t": _at(old_install, utcnow())},
        )
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        migrate(old_install)
