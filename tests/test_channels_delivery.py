"""Notification channels delivered end to end, each service a real server on 127.0.0.1.

Channels are made through /api/channels; checks are recorded as the worker records them
(``tests.helpers.record_check``); delivery runs through ``worker.alerts`` directly, with ``now``
moved forward instead of sleeping. The Apprise services (``json://``, ``ntfy://``, ``gotify://``,
``mmost://``) and the webhook talk to tests/peers/http_sink.py, email to tests/peers/smtp_server.py.
One test kills a real worker process in the middle of a send.
"""

from __future__ import annotations

import logging
import os
import signal
import uuid
from contextlib import ExitStack
from datetime import timedelta

import pytest
from celery import Celery
from sqlalchemy import select

from shared import channels
from shared.alerts import outbox
from shared.db import make_engine, session_factory
from shared.models import Agent, AlertDelivery, Channel, utcnow
from shared.schemas import ChannelIn
from shared.validation import validate
from tests import services
from tests.helpers import add_routed_monitor, configure_alerts
from tests.helpers import record_check as check
from tests.peers.http_sink import HttpSink
from tests.peers.smtp_server import SmtpServer
from tests.processes import command, start, wait_for
from worker import alerts, watchdog

PUBLIC_URL = "https://ot.example"
RECIPIENT = "ops@example.com"
SENDER = "alerts@example.com"
DETAILS = "HTTP 503 from the load balancer"


@pytest.fixture
def sinks():
    """Call it for another running sink; all are stopped at the end."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(HttpSink())


def make_channel(client, name: str, kind: str, target: str, **fields) -> dict:
    config = {"to": target} if kind == "email" else {"url": target}
    response = client.post("/api/channels", json={"name": name, "kind": kind, "config": config, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def add_monitor(sessions, channel_ids, **fields) -> int:
    """A monitor routed to exactly these channels (as ``channel_ids`` in POST /api/monitors)."""
    monitor_id = add_routed_monitor(sessions, **fields)
    with sessions() as session:
        channels.set_monitor_channels(session, monitor_id, channel_ids)
        session.commit()
    return monitor_id


def deliveries(sessions, event_id) -> dict[int, AlertDelivery]:
    """The event's delivery rows by channel id."""
    with sessions() as session:
        rows = session.scalars(select(AlertDelivery).where(AlertDelivery.event_id == event_id)).all()
        return {row.channel_id: row for row in rows}


def health(client, channel_id: int) -> dict:
    response = client.get(f"/api/channels/{channel_id}")
    assert response.status_code == 200
    return response.get_json()["health"]


def notification_text(request) -> str:
    """Title and text of one Apprise notification as the service received it."""
    body = request.json()
    return "\n".join(str(body.get(field, "")) for field in ("title", "message", "text"))


# --- Every kind of channel ------------------------------------------------------------------------


def test_a_down_reaches_every_kind_of_channel_with_its_text(client, sessions, key, sinks):
    hook, as_json, ntfy, gotify, mattermost = (sinks() for _ in range(5))
    with SmtpServer() as smtp:
        configure_alerts(
            sessions, key, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_use_tls=False, smtp_from=SENDER
        )
        made = [
            make_channel(client, "Hook", "webhook", hook.url("hook/hookToken1")),
            make_channel(client, "JSON", "apprise", as_json.url("jsonToken1", "json")),
            make_channel(client, "ntfy", "apprise", ntfy.url("topicToken1", "ntfy")),
            make_channel(client, "Gotify", "apprise", gotify.url("gotifyToken1", "gotify")),
            make_channel(client, "Mattermost", "apprise", mattermost.url("mmostToken1", "mmost")),
            make_channel(client, "Mail", "email", RECIPIENT),
        ]
        assert [c["service"] for c in made] == ["Webhook", "JSON", "ntfy", "Gotify", "Mattermost", "Email"]
        mid = add_monitor(sessions, [c["id"] for c in made])
        t0 = utcnow() - timedelta(minutes=2)
        assert check(sessions, mid, "ok", t0) == []
        [event_id] = check(sessions, mid, "down", t0 + timedelta(seconds=60), DETAILS)

        outcome = alerts.deliver(sessions, key, event_id, public_url=PUBLIC_URL)

        assert outcome == {c["name"]: "sent" for c in made}
        [mail] = smtp.messages
    link = f"{PUBLIC_URL}/monitors/{mid}"
    for sink, path in (
        (as_json, "/jsonToken1"),
        (ntfy, "/"),
        (gotify, "/message"),
        (mattermost, "/hooks/mmostToken1"),
    ):
        [request] = sink.requests
        assert request.method == "POST" and request.path == path and request.accepted
        text = notification_text(request)
        assert "DOWN - API Server - server - http" in text and "**DOWN**: API Server" in text
        assert DETAILS in text and f"[Open in OnlineTracker]({link})" in text
    assert ntfy.requests[0].json()["topic"] == "topicToken1"
    assert gotify.requests[0].header("X-Gotify-Key") == "gotifyToken1"
    # The webhook's body is the README's JSON, the same with or without PUBLIC_URL.
    [request] = hook.requests
    assert request.path == "/hook/hookToken1"
    payload = request.json()
    assert (payload["monitor"], payload["event"], payload["details"]) == ("API Server", "down", DETAILS)
    assert mail.message["Subject"] == "DOWN - API Server - server - http" and mail.rcpt_tos == [RECIPIENT]
    plain = mail.message.get_body(("plain",)).get_content()
    assert f"Details: {DETAILS}" in plain and f"Open in OnlineTracker: {link}" in plain
    assert f"href='{link}'" in mail.message.get_body(("html",)).get_content()

    rows = deliveries(sessions, event_id)
    assert {cid: (row.state, row.attempts) for cid, row in rows.items()} == {
        c["id"]: ("sent", 0) for c in made
    }
    listed = client.get("/api/channels").get_json()["items"]
    assert {c["name"]: c["health"]["state"] for c in listed} == {c["name"]: "ok" for c in made}
    [event] = client.get("/api/alerts").get_json()["items"]
    assert sorted((d["channel"], d["state"]) for d in event["deliveries"]) == sorted(
        (c["name"], "sent") for c in made
    )


# --- Routing ----------------------------------------------------------------------------------------


def test_a_monitor_reaches_only_its_channels_and_the_events_each_takes(client, sessions, key, sinks):
    a_sink, b_sink, downs_sink = sinks(), sinks(), sinks()
    a = make_channel(client, "A", "apprise", a_sink.url("a", "json"))
    b = make_channel(client, "B", "apprise", b_sink.url("b", "json"), default=True)
    downs = make_channel(client, "Downs only", "apprise", downs_sink.url("c", "json"), events=["down"])
    mid = add_monitor(sessions, [a["id"], downs["id"]])
    add_monitor(sessions, [b["id"]], name="Other")  # B is in use, by another monitor
    t0 = utcnow() - timedelta(minutes=3)
    check(sessions, mid, "ok", t0)
    [down] = check(sessions, mid, "down", t0 + timedelta(seconds=60))
    [up] = check(sessions, mid, "ok", t0 + timedelta(seconds=120))

    assert alerts.deliver(sessions, key, down) == {"A": "sent", "Downs only": "sent"}
    assert alerts.deliver(sessions, key, up) == {"A": "sent"}
    alerts.sweep(sessions, key, utcnow() + timedelta(hours=1))

    titles = [r.json()["title"] for r in a_sink.requests]
    assert titles == ["DOWN - API Server - server - http", "UP - API Server - server - http"]
    assert [r.json()["title"] for r in downs_sink.requests] == ["DOWN - API Server - server - http"]
    assert b_sink.requests == []
    assert set(deliveries(sessions, down)) == {a["id"], downs["id"]}
    assert set(deliveries(sessions, up)) == {a["id"]}


def test_agent_events_go_to_the_default_channels_only(client, sessions, key, sinks):
    default_sink, routed_sink = sinks(), sinks()
    default = make_channel(client, "Default", "apprise", default_sink.url("d", "json"), default=True)
    routed = make_channel(client, "Routed", "apprise", routed_sink.url("r", "json"))
    now = utcnow()
    with sessions() as session:
        agent = Agent(
            uuid="c" * 36, name="eu-west", address="127.0.0.1", last_seen_at=now - timedelta(hours=1)
        )
        session.add(agent)
        session.commit()
        agent_id = agent.id
    add_monitor(sessions, [routed["id"]], agent_id=agent_id)  # checked by that agent, routed to Routed

    with sessions() as session:
        [event_id] = watchdog.sweep_silence(session, now)
    assert alerts.deliver(sessions, key, event_id, now) == {"Default": "sent"}
    alerts.sweep(sessions, key, now + timedelta(hours=1))

    [request] = default_sink.requests
    text = notification_text(request)
    assert "AGENT OFFLINE - eu-west" in text and "agent eu-west sent nothing for" in text
    assert routed_sink.requests == []
    assert set(deliveries(sessions, event_id)) == {default["id"]}


# --- Retries, giving up ---------------------------------------------------------------------------


def test_a_service_answering_500_three_times_gets_one_delivery_after_the_backoff(
    client, sessions, key, sinks
):
    sink = sinks()
    flaky = make_channel(client, "Flaky", "apprise", sink.url("flaky", "json"))
    mid = add_monitor(sessions, [flaky["id"]])
    now = utcnow()
    [event_id] = check(sessions, mid, "down", now)
    sink.fail_next(3)

    reason = alerts.deliver(sessions, key, event_id, now)["Flaky"]
    assert "error=500" in reason
    # Backoff 10 s, 30 s, 120 s after the 1st, 2nd, 3rd failure; a sweep before its end sends nothing.
    for seconds, requests in ((5, 1), (11, 2), (40, 2), (42, 3), (160, 3)):
        alerts.sweep(sessions, key, now + timedelta(seconds=seconds))
        assert len(sink.requests) == requests, seconds
        state = health(client, flaky["id"])
        assert (state["state"], state["last_error"]) == ("failing", reason)
        assert deliveries(sessions, event_id)[flaky["id"]].state == "pending"
    alerts.sweep(sessions, key, now + timedelta(seconds=163))
    alerts.sweep(sessions, key, now + timedelta(hours=2))

    assert len(sink.requests) == 4 and len(sink.accepted) == 1
    assert [r.status for r in sink.requests] == [500, 500, 500, 200]
    row = deliveries(sessions, event_id)[flaky["id"]]
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, None)
    state = health(client, flaky["id"])
    assert (state["state"], state["last_error"]) == ("ok", None) and state["last_sent_at"]


def test_a_channel_down_for_a_day_is_given_up_and_the_others_are_not(client, sessions, key, sinks):
    dead, live = sinks(), sinks()
    gone = make_channel(client, "Gone", "apprise", dead.url("gone", "json"))
    fine = make_channel(client, "Fine", "webhook", live.url("fine"))
    mid = add_monitor(sessions, [gone["id"], fine["id"]])
    dead.stop()
    now = utcnow()
    [event_id] = check(sessions, mid, "down", now)

    outcome = alerts.deliver(sessions, key, event_id, now)
    assert outcome["Fine"] == "sent" and outcome["Gone"] != "sent"
    alerts.sweep(sessions, key, now + timedelta(hours=12))
    assert health(client, gone["id"])["state"] == "failing"
    alerts.sweep(sessions, key, now + timedelta(hours=24, seconds=1))

    rows = deliveries(sessions, event_id)
    assert (rows[gone["id"]].state, rows[gone["id"]].attempts) == ("failed", 3)
    assert rows[fine["id"]].state == "sent" and len(live.accepted) == 1
    state = health(client, gone["id"])
    assert state["state"] == "failed" and state["failed_at"] and state["last_error"] == outcome["Gone"]
    assert health(client, fine["id"])["state"] == "ok"
    with sessions() as session:
        assert outbox.due_ids(session, now + timedelta(days=30)) == []


# --- A worker killed mid-send ---------------------------------------------------------------------


@pytest.mark.slow
def test_a_worker_killed_mid_send_leaves_a_claim_the_sweep_sends_once(
    tmp_path, client, config, db_url, redis_url, sessions, key, sinks, monkeypatch
):
    # Queues of this test's own: the killed worker's unacknowledged task is forgotten at the end
    # instead of being handed to another test's worker.
    prefix = f"{os.environ.get('REDIS_KEY_PREFIX', 'ot-test:')}killed-{uuid.uuid4().hex[:6]}:"
    monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
    sink = sinks()
    held_channel = make_channel(client, "Held", "apprise", sink.url("held", "json"))
    mid = add_monitor(sessions, [held_channel["id"]])
    [event_id] = check(sessions, mid, "down", utcnow())
    sink.hold_next()
    env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(config.data_dir),
        "WORKER_CONCURRENCY": "2",
    }
    log = tmp_path / "worker.log"
    worker = start(command("worker"), env, log)
    try:
        wait_for(lambda: "OnlineTracker worker" in log.read_text(), 30, "the worker to start")
        options = {"global_keyprefix": prefix}
        with Celery(broker=redis_url, broker_transport_options=options, set_as_current=False) as sender:
            sender.send_task("worker.send_alert", args=[event_id], queue="alerts")
        [request] = sink.wait_for(lambda s: s.held, 20, "the worker's send")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        services.flush_prefix(redis_url)
    sink.wait_for(lambda s: request.abandoned, 10, "the sink to see the connection drop")
    assert sink.accepted == []
    row = deliveries(sessions, event_id)[held_channel["id"]]
    assert (row.state, row.attempts) == ("pending", 0)
    assert row.next_attempt_at > utcnow() + outbox.LEASE - timedelta(minutes=1)  # the dead worker's lease

    alerts.sweep(sessions, key, utcnow() + timedelta(minutes=1))  # the lease still holds
    assert len(sink.requests) == 1
    alerts.sweep(sessions, key, utcnow() + outbox.LEASE + timedelta(seconds=5))
    alerts.sweep(sessions, key, utcnow() + outbox.LEASE + timedelta(hours=1))

    assert len(sink.requests) == 2 and len(sink.accepted) == 1
    assert sink.accepted[0].json()["title"] == "DOWN - API Server - server - http"
    row = deliveries(sessions, event_id)[held_channel["id"]]
    assert (row.state, row.attempts) == ("sent", 0)


# --- Secrets --------------------------------------------------------------------------------------


def test_url_secrets_stay_out_of_logs_errors_and_api_answers(client, sessions, key, sinks, caplog):
    caplog.set_level(logging.INFO)  # the processes' level
    sink = sinks()
    secrets = {
        "ntfy": "topicK33pS3cret",
        "json": "jsonK33pS3cret",
        "gotify": "gotifyK33pS3cret",
        "mmost": "mmostK33pS3cret",
    }
    made = [
        make_channel(client, scheme, "apprise", sink.url(token, scheme)) for scheme, token in secrets.items()
    ]
    secrets["webhook"] = "hookK33pS3cret"
    made.append(make_channel(client, "webhook", "webhook", sink.url(f"hook?token={secrets['webhook']}")))
    mid = add_monitor(sessions, [c["id"] for c in made])
    now = utcnow()
    [event_id] = check(sessions, mid, "down", now)
    sink.fail_next(len(made))

    outcome = alerts.deliver(sessions, key, event_id, now)
    assert outcome["ntfy"].startswith("Failed to send ntfy notification to topic '****'")
    assert outcome["webhook"] == "HTTP 500"
    sink.fail_next(1)
    tested = client.post(f"/api/channels/{made[0]['id']}/test").get_json()
    assert tested["ok"] is False and "'****'" in tested["error"]
    alerts.sweep(sessions, key, now + timedelta(seconds=11))
    assert {c["name"]: deliveries(sessions, event_id)[c["id"]].state for c in made} == {
        name: "sent" for name in secrets
    }

    received = "\n".join(f"{r.path} {r.query} {r.headers} {r.text}" for r in sink.requests)
    answers = [client.get("/api/channels").get_data(as_text=True), str(outcome), str(tested)]
    answers += [client.get(f"/api/channels/{c['id']}").get_data(as_text=True) for c in made]
    answers += [client.get(path).get_data(as_text=True) for path in ("/api/alerts", "/api/audit")]
    for name, token in secrets.items():
        assert token in received, name  # the services got it...
        assert token not in caplog.text, name  # ...and nothing else did
        for answer in answers:
            assert token not in answer, name
    assert "Failed to send ntfy notification to topic '****'" in caplog.text


# --- Testing a channel ----------------------------------------------------------------------------


def test_testing_a_channel_before_and_after_saving(client, sinks):
    sink, elsewhere = sinks(), sinks()
    body = {"name": "Ops", "kind": "apprise", "config": {"url": sink.url("opsToken", "json")}}
    assert client.post("/api/channels/test", json=body).get_json() == {"ok": True, "error": None}
    sink.fail_next(1)
    failed = client.post("/api/channels/test", json=body).get_json()
    assert failed == {
        "ok": False,
        "error": "Failed to send JSON POST notification: Internal server error., error=500.",
    }
    assert client.get("/api/channels").get_json()["items"] == []  # testing saves nothing

    made = make_channel(client, "Ops", "apprise", body["config"]["url"])
    masked = made["config"]["url"]
    assert "opsToken" not in masked
    url = f"/api/channels/{made['id']}/test"
    assert client.post(url).get_json() == {"ok": True, "error": None}
    edits = {"name": "Ops renamed", "config": {"url": masked}}  # the masked URL keeps the stored one
    assert client.post(url, json=edits).get_json() == {"ok": True, "error": None}
    sink.fail_next(1)
    assert client.post(url, json=edits).get_json() == failed
    assert client.post(url, json={"config": {"url": elsewhere.url("new", "json")}}).get_json()["ok"] is True

    assert [r.path for r in sink.requests] == ["/opsToken"] * 5
    assert [r.status for r in sink.requests] == [200, 500, 200, 200, 500]
    assert [r.path for r in elsewhere.requests] == ["/new"]
    assert "TEST - OnlineTracker test" in notification_text(sink.requests[0])
    assert "'Ops renamed'" in notification_text(sink.requests[3])  # the unsaved name is in the sample
    saved = client.get(f"/api/channels/{made['id']}").get_json()
    assert (saved["name"], saved["config"]["url"]) == ("Ops", masked)  # ...and not saved


# --- Both databases -------------------------------------------------------------------------------


def test_claims_and_retries_on_both_databases(any_db_url, sinks):
    engine = make_engine(any_db_url)
    sessions = session_factory(engine)
    key = b"a test key"
    sink = sinks()
    try:
        with sessions() as session:
            channel = Channel()
            body = {"name": "Ops", "kind": "apprise", "config": {"url": sink.url("ops", "json")}}
            channels.apply(channel, validate(ChannelIn, body), key)
            session.add(channel)
            session.commit()
            channel_id = channel.id
        mid = add_monitor(sessions, [channel_id])
        t0 = utcnow()
        [event_id] = check(sessions, mid, "down", t0)
        sink.fail_next(1)

        assert "error=500" in alerts.deliver(sessions, key, event_id, t0)["Ops"]
        assert alerts.deliver(sessions, key, event_id, t0 + timedelta(seconds=5)) is None  # backing off
        delivery_id = deliveries(sessions, event_id)[channel_id].id
        due = t0 + timedelta(seconds=11)
        with sessions() as session:  # compare-and-set: of two claims at the same moment one wins
            assert outbox.claim(session, delivery_id, due) is not None
            assert outbox.claim(session, delivery_id, due) is None
        alerts.sweep(sessions, key, due)  # held by that claim (its sender "died")
        alerts.sweep(sessions, key, due + outbox.LEASE + timedelta(seconds=1))
        alerts.sweep(sessions, key, due + timedelta(hours=1))

        assert [r.status for r in sink.requests] == [500, 200]
        row = deliveries(sessions, event_id)[channel_id]
        assert (row.state, row.attempts) == ("sent", 1)
    finally:
        engine.dispose()
