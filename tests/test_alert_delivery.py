"""Alert delivery end to end against PostgreSQL, a real webhook receiver and a real SMTP server.

Checks are recorded as the worker records them (``recording.record`` + ``outbox.on_transition`` in
one transaction); delivery runs through ``worker.alerts`` directly, without a broker, with ``now``
moved forward instead of sleeping.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from shared import channels
from shared.alerts import outbox
from shared.db import make_engine, session_factory
from shared.models import Agent, AlertDelivery, AlertEvent, Monitor, MonitorState, utcnow
from shared.timefmt import iso
from tests.helpers import add_routed_monitor as add_monitor
from tests.helpers import configure_alerts as configure
from tests.helpers import record_check as check
from tests.peers.smtp_server import SmtpServer, self_signed_cert
from tests.peers.webhook_receiver import WebhookReceiver
from worker import alerts

RECIPIENT = "ops@example.com"
SENDER = "alerts@example.com"


@pytest.fixture
def receiver():
    with WebhookReceiver() as peer:
        yield peer


@pytest.fixture
def smtp():
    with SmtpServer() as peer:
        yield peer


def both_channels(receiver, smtp) -> dict:
    return {
        "webhook_url": receiver.url,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_use_tls": False,
        "smtp_from": SENDER,
        "alert_email": RECIPIENT,
    }


def _view(session, event: AlertEvent) -> SimpleNamespace:
    """The event with its Settings channels' delivery states, as before there were channels."""
    rows = list(session.scalars(select(AlertDelivery).where(AlertDelivery.event_id == event.id)))
    state = {
        kind: next((d.state for d in rows if d.kind == kind), "skipped") for kind in ("webhook", "email")
    }
    errors = [f"{d.kind}: {d.last_error}" for d in rows if d.last_error and d.state in ("pending", "failed")]
    return SimpleNamespace(
        id=event.id,
        event=event.event,
        details=event.details,
        agent_id=event.agent_id,
        webhook_state=state["webhook"],
        email_state=state["email"],
        attempts=max((d.attempts for d in rows), default=0),
        last_error="; ".join(errors) or None,
        next_attempt_at=min((d.next_attempt_at for d in rows if d.state == "pending"), default=None),
    )


def event_row(sessions, event_id) -> SimpleNamespace:
    with sessions() as session:
        return _view(session, session.get(AlertEvent, event_id))


def all_events(sessions) -> list[SimpleNamespace]:
    with sessions() as session:
        return [_view(session, e) for e in session.scalars(select(AlertEvent).order_by(AlertEvent.id))]


def delivery_of(sessions, event_id, kind="webhook") -> int:
    with sessions() as session:
        return session.scalar(
            select(AlertDelivery.id).where(AlertDelivery.event_id == event_id, AlertDelivery.kind == kind)
        )


def test_down_sends_one_webhook_and_one_email(sessions, key, receiver, smtp):
    configure(sessions, key, **both_channels(receiver, smtp))
    mid = add_monitor(sessions)
    t0 = utcnow() - timedelta(minutes=2)
    assert check(sessions, mid, "ok", t0) == []
    [event_id] = check(sessions, mid, "down", t0 + timedelta(seconds=60))

    assert alerts.deliver(sessions, key, event_id) == {"Webhook": "sent", "Email": "sent"}

    assert receiver.received == [
        {
            "monitor": "API Server",
            "type": "http",
            "target": "https://api.example.com",
            "event": "down",
            "details": "HTTP 503",
            "timestamp": iso(t0 + timedelta(seconds=60)),
            "agent": "server",
        }
    ]
    [mail] = smtp.messages
    assert mail.message["Subject"] == "DOWN - API Server - server - http"
    assert mail.rcpt_tos == [RECIPIENT] and mail.message["To"] == RECIPIENT
    assert mail.message["From"] == SENDER
    assert "Details: HTTP 503" in mail.message.get_body(("plain",)).get_content()
    assert "<td>HTTP 503</td>" in mail.message.get_body(("html",)).get_content()

    row = event_row(sessions, event_id)
    assert (row.webhook_state, row.email_state, row.attempts) == ("sent", "sent", 0)
    # Delivered means done: neither a second task nor later sweeps send it again.
    assert alerts.deliver(sessions, key, event_id) is None
    alerts.sweep(sessions, key, utcnow() + timedelta(hours=1))
    assert len(receiver.received) == 1 and len(smtp.messages) == 1


def test_a_failing_receiver_gets_it_once_after_retries_and_email_is_not_resent(sessions, key, receiver, smtp):
    configure(sessions, key, **both_channels(receiver, smtp))
    mid = add_monitor(sessions)
    now = utcnow()
    [event_id] = check(sessions, mid, "down", now)
    receiver.fail_next(2)

    assert alerts.deliver(sessions, key, event_id, now) == {"Webhook": "HTTP 500", "Email": "sent"}
    row = event_row(sessions, event_id)
    assert (row.webhook_state, row.email_state, row.attempts) == ("pending", "sent", 1)
    assert row.last_error == "webhook: HTTP 500"
    assert timedelta(seconds=10) <= row.next_attempt_at - now < timedelta(seconds=12)

    alerts.sweep(sessions, key, now + timedelta(seconds=5))  # backoff not over: nothing sent
    assert receiver.requests == 1
    alerts.sweep(sessions, key, now + timedelta(seconds=15))  # second failure, then 30 s
    row = event_row(sessions, event_id)
    assert receiver.requests == 2 and row.attempts == 2
    assert (
        timedelta(seconds=30) <= row.next_attempt_at - (now + timedelta(seconds=15)) < timedelta(seconds=32)
    )
    alerts.sweep(sessions, key, now + timedelta(seconds=60))
    alerts.sweep(sessions, key, now + timedelta(minutes=30))

    assert len(receiver.received) == 1 and receiver.requests == 3
    assert len(smtp.messages) == 1
    row = event_row(sessions, event_id)
    assert (row.webhook_state, row.email_state) == ("sent", "sent")


def test_a_receiver_down_then_back_gets_it_once(sessions, key, receiver):
    configure(sessions, key, webhook_url=receiver.url)
    mid = add_monitor(sessions)
    now = utcnow()
    [event_id] = check(sessions, mid, "down", now)
    receiver.stop()

    assert alerts.deliver(sessions, key, event_id, now) == {"Webhook": "connection refused"}
    assert event_row(sessions, event_id).last_error == "webhook: connection refused"
    receiver.start()  # same port
    alerts.sweep(sessions, key, now + timedelta(seconds=15))
    alerts.sweep(sessions, key, now + timedelta(minutes=5))

    assert [p["event"] for p in receiver.received] == ["down"]
    assert event_row(sessions, event_id).webhook_state == "sent"


def test_unconfigured_channels_are_skipped(sessions, key, receiver, smtp):
    configure(sessions, key, webhook_url=receiver.url, smtp_host="127.0.0.1", smtp_port=smtp.port)
    mid = add_monitor(sessions)
    [event_id] = check(sessions, mid, "down", utcnow())
    row = event_row(sessions, event_id)
    assert (row.webhook_state, row.email_state) == ("pending", "skipped")  # no alert_email

    assert alerts.deliver(sessions, key, event_id) == {"Webhook": "sent"}
    assert smtp.messages == []


def test_nothing_configured_writes_the_event_with_both_channels_skipped(sessions, key):
    mid = add_monitor(sessions)
    [event_id] = check(sessions, mid, "down", utcnow())
    row = event_row(sessions, event_id)
    assert (row.webhook_state, row.email_state) == ("skipped", "skipped")
    with sessions() as session:
        assert outbox.due_ids(session, utcnow() + timedelta(hours=1)) == []


def test_a_channel_removed_before_sending_is_skipped(sessions, key, receiver):
    configure(sessions, key, webhook_url=receiver.url)
    mid = add_monitor(sessions)
    [event_id] = check(sessions, mid, "down", utcnow())
    configure(sessions, key, webhook_url="")
    assert alerts.deliver(sessions, key, event_id) == {"Webhook": "skipped"}
    assert receiver.received == [] and event_row(sessions, event_id).webhook_state == "skipped"


def test_concurrent_senders_send_once(sessions, key, receiver, smtp):
    configure(sessions, key, **both_channels(receiver, smtp))
    mid = add_monitor(sessions)
    [event_id] = check(sessions, mid, "down", utcnow())
    barrier = threading.Barrier(8)
    outcomes = []

    def sender(i: int) -> None:
        barrier.wait()
        if i % 2:
            outcomes.append(alerts.deliver(sessions, key, event_id))
        else:
            alerts.sweep(sessions, key)

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(receiver.received) == 1 and len(smtp.messages) == 1
    # Each channel is claimed on its own: a sender may get one channel and another the other, but
    # no channel is reported by two senders.
    reported = [name for o in outcomes if o for name in o]
    assert len(reported) == len(set(reported)) and set(reported) <= {"Webhook", "Email"}


def test_a_sender_that_died_holding_the_event_is_replaced_after_its_lease(sessions, key, receiver):
    configure(sessions, key, webhook_url=receiver.url)
    mid = add_monitor(sessions)
    now = utcnow()
    [event_id] = check(sessions, mid, "down", now)
    with sessions() as session:
        assert outbox.claim(session, delivery_of(sessions, event_id), now) is not None  # ...and it dies here

    alerts.sweep(sessions, key, now + timedelta(seconds=30))
    assert receiver.received == []
    alerts.sweep(sessions, key, now + outbox.LEASE + timedelta(seconds=1))
    alerts.sweep(sessions, key, now + outbox.LEASE + timedelta(minutes=5))
    assert len(receiver.received) == 1


def test_gives_up_after_a_day(sessions, key, receiver):
    configure(sessions, key, webhook_url=receiver.url)
    mid = add_monitor(sessions)
    now = utcnow()
    [event_id] = check(sessions, mid, "down", now)
    receiver.stop()
    alerts.sweep(sessions, key, now + timedelta(hours=24, seconds=1))
    row = event_row(sessions, event_id)
    assert row.webhook_state == "failed" and row.last_error == "webhook: connection refused"
    with sessions() as session:
        assert outbox.due_ids(session, now + timedelta(days=30)) == []


def test_repeated_sends_reminders_while_down(sessions, key, receiver):
    configure(sessions, key, webhook_url=receiver.url, alert_type="repeated", repeat_minutes=1)
    mid = add_monitor(sessions)
    t0 = utcnow()
    [first] = check(sessions, mid, "down", t0)
    alerts.deliver(sessions, key, first, t0)

    assert alerts.sweep(sessions, key, t0 + timedelta(seconds=30)) == []
    [reminder] = alerts.sweep(sessions, key, t0 + timedelta(seconds=61))
    assert alerts.sweep(sessions, key, t0 + timedelta(seconds=90)) == []
    assert len(alerts.sweep(sessions, key, t0 + timedelta(seconds=122))) == 1

    row = event_row(sessions, reminder)
    assert row.event == "down" and row.details == f"HTTP 503 (down since {iso(t0)})"
    assert [p["event"] for p in receiver.received] == ["down", "down", "down"]

    check(sessions, mid, "ok", t0 + timedelta(seconds=130))
    assert alerts.sweep(sessions, key, t0 + timedelta(hours=2)) == []
    assert [p["event"] for p in receiver.received] == ["down", "down", "down", "up"]


def test_concurrent_sweeps_write_one_reminder(sessions, key):
    configure(sessions, key, alert_type="repeated", repeat_minutes=1)
    mid = add_monitor(sessions)
    t0 = utcnow()
    check(sessions, mid, "down", t0)
    barrier = threading.Barrier(6)
    written = []

    def sweeper() -> None:
        barrier.wait()
        written.extend(alerts.sweep(sessions, key, t0 + timedelta(minutes=2)))

    threads = [threading.Thread(target=sweeper) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(written) == 1 and len(all_events(sessions)) == 2


def test_once_sends_no_reminders(sessions, key):
    configure(sessions, key, alert_type="once", repeat_minutes=1)
    mid = add_monitor(sessions)
    t0 = utcnow()
    check(sessions, mid, "down", t0)
    assert alerts.sweep(sessions, key, t0 + timedelta(hours=3)) == []
    assert len(all_events(sessions)) == 1


def test_reminders_skip_paused_monitors(sessions, key):
    configure(sessions, key, alert_type="repeated", repeat_minutes=1)
    mid = add_monitor(sessions)
    t0 = utcnow()
    check(sessions, mid, "down", t0)
    with sessions() as session:
        session.get(Monitor, mid).enabled = False
        session.commit()
    assert alerts.sweep(sessions, key, t0 + timedelta(hours=1)) == []


def test_alert_type_none_writes_no_events(sessions, key, receiver):
    configure(sessions, key, webhook_url=receiver.url, alert_type="none")
    mid = add_monitor(sessions)
    t0 = utcnow()
    assert check(sessions, mid, "ok", t0) == []
    assert check(sessions, mid, "down", t0 + timedelta(seconds=60)) == []
    assert check(sessions, mid, "ok", t0 + timedelta(seconds=120)) == []
    assert all_events(sessions) == []


@pytest.mark.parametrize(("restored", "events"), [(True, ["down", "up"]), (False, ["down"])])
def test_restored(sessions, key, receiver, restored, events):
    configure(sessions, key, webhook_url=receiver.url, alert_on_restored=restored)
    mid = add_monitor(sessions)
    t0 = utcnow()
    check(sessions, mid, "ok", t0)
    check(sessions, mid, "down", t0 + timedelta(seconds=60))
    check(sessions, mid, "ok", t0 + timedelta(seconds=120))
    alerts.sweep(sessions, key, t0 + timedelta(seconds=130))
    assert [p["event"] for p in receiver.received] == events
    assert [e.event for e in all_events(sessions)] == events


def test_ssl_entering_the_warning_window_warns_once(sessions, key, receiver):
    configure(sessions, key, webhook_url=receiver.url)
    mid = add_monitor(sessions, type="ssl", target="example.com")
    t0 = utcnow()
    step = timedelta(seconds=60)
    assert check(sessions, mid, "ok", t0, "expires in 90 days", 90) == []
    [warning] = check(sessions, mid, "degraded", t0 + step, "expires in 20 days", 20)
    # A failed connection, then the certificate again: still the same stay in the window, so no
    # second expiry warning, but the return from down is announced (it was silent before).
    assert len(check(sessions, mid, "down", t0 + 2 * step, "connection refused")) == 1
    [back] = check(sessions, mid, "degraded", t0 + 3 * step, "expires in 20 days", 20)
    with sessions() as session:
        assert session.get(MonitorState, (mid, 0)).ssl_warned is True

    alerts.sweep(sessions, key, t0 + 4 * step)
    assert [p["event"] for p in receiver.received] == ["ssl_expiring", "down", "degraded"]
    assert event_row(sessions, warning).details == "expires in 20 days"
    assert event_row(sessions, back).details == "expires in 20 days"

    check(sessions, mid, "ok", t0 + 5 * step, "expires in 365 days", 365)  # renewed
    with sessions() as session:
        assert session.get(MonitorState, (mid, 0)).ssl_warned is False
    assert [e.event for e in all_events(sessions)] == ["ssl_expiring", "down", "degraded", "up"]


def test_an_unreadable_smtp_password_fails_email_only(sessions, key, receiver, smtp):
    """SECRET_KEY changed since the password was stored (and the webhook URL was entered again):
    the webhook still goes out, and the email channel shows why it can't, instead of every channel
    stopping silently."""
    configure(sessions, key, **both_channels(receiver, smtp), smtp_password="stored under the old key")
    mid = add_monitor(sessions)
    t0 = utcnow() - timedelta(minutes=2)
    check(sessions, mid, "ok", t0)
    [first] = check(sessions, mid, "down", t0 + timedelta(seconds=30))
    other = add_monitor(sessions, name="Second")
    check(sessions, other, "ok", t0)
    [second] = check(sessions, other, "down", t0 + timedelta(seconds=30))

    new_key = b"a different SECRET_KEY after a restore"
    with sessions() as session:  # the admin entered the webhook URL again, not the SMTP password
        channels.write_settings_fields(session, {"webhook_url": receiver.url + "?again"}, new_key)
        session.commit()
    alerts.sweep(sessions, new_key, utcnow())
    assert sorted(p["monitor"] for p in receiver.received) == ["API Server", "Second"]
    assert smtp.messages == []
    for event_id in (first, second):
        row = event_row(sessions, event_id)
        assert (row.webhook_state, row.email_state) == ("sent", "pending")
        assert "smtp password can't be decrypted" in row.last_error and "SECRET_KEY" in row.last_error


def test_agent_location_is_named_in_the_alert(sessions, key, receiver):
    configure(sessions, key, webhook_url=receiver.url)
    with sessions() as session:
        named, unnamed = Agent(uuid="a" * 36, name="eu-west"), Agent(uuid="b" * 36, name="")
        session.add_all([named, unnamed])
        session.commit()
        named_id, unnamed_id = named.id, unnamed.id
    mid = add_monitor(sessions, agent_id=named_id)
    other = add_monitor(sessions, name="Other", agent_id=unnamed_id)
    now = utcnow()
    check(sessions, mid, "down", now, agent_id=named_id)
    check(sessions, other, "down", now, agent_id=unnamed_id)
    alerts.sweep(sessions, key, now)
    agents = {p["monitor"]: p["agent"] for p in receiver.received}
    assert agents == {"API Server": "eu-west", "Other": f"agent {unnamed_id}"}
    assert {e.agent_id for e in all_events(sessions)} == {named_id, unnamed_id}


def test_include_history_puts_the_last_24_hours_in_the_email(sessions, key, smtp):
    configure(
        sessions,
        key,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_use_tls=False,
        smtp_from=SENDER,
        alert_email=RECIPIENT,
        include_history="24h",
    )
    mid = add_monitor(sessions)
    t0 = utcnow() - timedelta(minutes=10)
    check(sessions, mid, "ok", t0 - timedelta(hours=30))  # older than the window
    for i in range(3):
        check(sessions, mid, "ok", t0 + timedelta(minutes=i))
    [event_id] = check(sessions, mid, "down", t0 + timedelta(minutes=3))
    alerts.deliver(sessions, key, event_id)

    [mail] = smtp.messages
    summary = "Last 24 hours: 4 checks, 3 ok, 0 degraded, 1 down (75.0 % up)"
    assert summary in mail.message.get_body(("plain",)).get_content()
    assert summary in mail.message.get_body(("html",)).get_content()


def test_email_over_starttls_with_auth(sessions, key, tmp_path, monkeypatch, caplog):
    cert = self_signed_cert(tmp_path / "tls")
    monkeypatch.setenv("ONLINETRACKER_CA_BUNDLE", str(cert[0]))
    with SmtpServer(cert=cert, auth=("alerts@example.com", "s3cret-pw")) as server:
        settings = {
            "smtp_host": "127.0.0.1",
            "smtp_port": server.port,
            "smtp_use_tls": True,
            "smtp_username": "alerts@example.com",
            "smtp_password": "wrong-password",
            "alert_email": RECIPIENT,
        }
        configure(sessions, key, **settings)
        mid = add_monitor(sessions, name="a\r\nBcc: victim@example.com")
        now = utcnow()
        [event_id] = check(sessions, mid, "down", now)

        with caplog.at_level(logging.DEBUG):
            assert alerts.deliver(sessions, key, event_id, now) == {"Email": "authentication failed (535)"}
        assert "wrong-password" not in caplog.text
        assert "wrong-password" not in (event_row(sessions, event_id).last_error or "")

        configure(sessions, key, smtp_password="s3cret-pw")
        alerts.sweep(sessions, key, now + timedelta(seconds=15))
        [mail] = server.messages
        assert mail.tls and mail.login == "alerts@example.com"
        assert mail.message["Subject"] == "DOWN - a Bcc: victim@example.com - server - http"
        assert mail.message["Bcc"] is None and mail.rcpt_tos == [RECIPIENT]
        assert mail.message["From"] == "alerts@example.com"  # no From address: the user name


def test_email_refuses_an_untrusted_certificate(sessions, key, tmp_path, monkeypatch):
    for name in ("ONLINETRACKER_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with SmtpServer(cert=self_signed_cert(tmp_path / "tls")) as server:
        configure(
            sessions,
            key,
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_from=SENDER,
            alert_email=RECIPIENT,
        )
        mid = add_monitor(sessions)
        [event_id] = check(sessions, mid, "down", utcnow())
        outcome = alerts.deliver(sessions, key, event_id)
        assert outcome["Email"].startswith("TLS certificate not trusted")
        assert server.messages == []


def test_the_celery_tasks_use_the_process_context(sessions, key, config, redis_url, receiver, monkeypatch):
    from worker import context

    monkeypatch.setenv("DATABASE_URL", config.database_url)
    monkeypatch.setenv("DATA_DIR", str(config.data_dir))  # the same secret key file
    # Touching a task loads celeryconfig once per process: let it see the real broker, not a default.
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    context.reset()
    try:
        configure(sessions, key, webhook_url=receiver.url)
        mid = add_monitor(sessions)
        [event_id] = check(sessions, mid, "down", utcnow())
        alerts.send_alert.run(event_id)
        alerts.sweep_alerts.run()
        assert len(receiver.received) == 1
    finally:
        context.reset()


def test_outbox_works_on_both_databases(any_db_url, receiver):
    """The embedded default runs on SQLite: claims, retries and reminders must work there too."""
    engine = make_engine(any_db_url)
    sessions = session_factory(engine)
    key = b"a test key"
    try:
        configure(sessions, key, webhook_url=receiver.url, alert_type="repeated", repeat_minutes=1)
        mid = add_monitor(sessions)
        t0 = utcnow()
        [event_id] = check(sessions, mid, "down", t0)
        receiver.fail_next(1)
        assert alerts.deliver(sessions, key, event_id, t0) == {"Webhook": "HTTP 500"}
        assert alerts.deliver(sessions, key, event_id, t0) is None  # backing off
        assert len(alerts.sweep(sessions, key, t0 + timedelta(seconds=61))) == 1
        assert [p["event"] for p in receiver.received] == ["down", "down"]
        assert {e.webhook_state for e in all_events(sessions)} == {"sent"}
    finally:
        engine.dispose()


def test_unicode_names_arrive_intact(sessions, key, receiver, smtp):
    configure(sessions, key, **both_channels(receiver, smtp))
    mid = add_monitor(sessions, name="Сервер 東京 🚀")
    [event_id] = check(sessions, mid, "down", utcnow())
    alerts.deliver(sessions, key, event_id)
    assert receiver.received[0]["monitor"] == "Сервер 東京 🚀"
    assert smtp.messages[0].message["Subject"] == "DOWN - Сервер 東京 🚀 - server - http"


def test_enqueue_sends_one_task_per_event_and_survives_a_dead_broker():
    sent = []
    alerts.enqueue([3, 4], send=lambda args, **kw: sent.append(args))
    assert sent == [(3,), (4,)]

    def broken(args, **kw):
        raise ConnectionError("broker down")

    alerts.enqueue([5], send=broken)  # logged; the sweep delivers it
