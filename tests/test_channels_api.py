"""/api/channels and the monitors' routing and alert policy through the API, on both databases.

Bad input gets a clear 4xx JSON error and stores nothing; a channel's URL is stored encrypted and
answered masked; sending the masked URL back keeps the stored one.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from shared import channels
from tests.helpers import create_monitor

SLACK = "slack://T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc"
NTFY = "ntfys://ntfy.sh/ops-alerts-7d1f"
WEBHOOK = "https://hooks.example.com/services/abc123?token=s3cr3t"


def _channel(**changes) -> dict:
    return {"name": "Ops Slack", "kind": "apprise", "config": {"url": SLACK}, **changes}


def _make(client, **changes) -> dict:
    response = client.post("/api/channels", json=_channel(**changes))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_answers_the_channel_with_its_url_masked(any_db_client):
    client = any_db_client
    body = _make(client)
    assert body["config"] == {"url": "slack://****/****/****"}
    assert body["service"] == "Slack" and body["kind"] == "apprise"
    assert body["events"] == ["down", "degraded", "up", "ssl_expiring"] and body["default"] is False
    assert body["health"] == {"state": "unused", "last_sent_at": None, "last_error": None, "failed_at": None}
    assert body["monitor_count"] == 0 and body["from_settings"] is None
    listed = client.get("/api/channels").get_json()["items"]
    assert [c["id"] for c in listed] == [body["id"]]
    assert SLACK not in client.get("/api/channels").get_data(as_text=True)
    assert SLACK not in client.get("/api/audit").get_data(as_text=True)


def test_the_url_is_stored_encrypted(client, db_url, config):
    body = _make(client, config={"url": WEBHOOK}, kind="webhook", name="Hook")
    engine = create_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT config, secret_enc, masked FROM channels WHERE id = :i"), {"i": body["id"]}
        ).one()
    engine.dispose()
    assert "s3cr3t" not in row.config and "s3cr3t" not in row.secret_enc and "abc123" not in row.masked
    assert row.masked == "https://hooks.example.com/****/****?token=****"


def test_a_put_with_the_masked_url_keeps_the_secret(client, app):
    body = _make(client)
    changed = client.put(f"/api/channels/{body['id']}", json={**body, "name": "Renamed", "events": ["down"]})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["name"] == "Renamed" and changed.get_json()["events"] == ["down"]
    with app.app_context():
        from shared.models import Channel
        from web.extensions import db

        stored = channels.secret_of(db.session.get(Channel, body["id"]), app.config["OT"].secret_key)
    assert stored == SLACK
    replaced = client.put(f"/api/channels/{body['id']}", json={"config": {"url": NTFY}}).get_json()
    assert replaced["config"] == {"url": "ntfys://ntfy.sh/****"} and replaced["service"] == "ntfy"


def test_email_channel_keeps_its_recipients_readable(client):
    body = _make(client, kind="email", name="DBA", config={"to": " dba@example.com,  oncall@example.org "})
    assert body["config"] == {"to": "dba@example.com, oncall@example.org"} and body["service"] == "Email"


def test_new_monitors_get_the_default_channels_unless_they_say(client):
    default = _make(client, name="Default", default=True)
    other = _make(client, name="Other")
    assert create_monitor(client)["channel_ids"] == [default["id"]]
    chosen = create_monitor(client, name="Chosen", channel_ids=[other["id"]])
    assert chosen["channel_ids"] == [other["id"]]
    assert create_monitor(client, name="None", channel_ids=[])["channel_ids"] == []
    # A PUT without channel_ids keeps them; with them, replaces them.
    kept = client.put(f"/api/monitors/{chosen['id']}", json={"name": "Chosen 2"}).get_json()
    assert kept["channel_ids"] == [other["id"]]
    both = client.put(f"/api/monitors/{chosen['id']}", json={"channel_ids": [other["id"], default["id"]]})
    assert both.get_json()["channel_ids"] == sorted([other["id"], default["id"]])
    counts = {c["name"]: c["monitor_count"] for c in client.get("/api/channels").get_json()["items"]}
    assert counts == {"Default": 2, "Other": 1}


def test_apply_to_existing_gives_a_new_channel_to_every_monitor(client):
    monitors = [create_monitor(client, name=f"m{i}")["id"] for i in range(3)]
    body = _make(client, apply_to_existing=True)
    assert body["monitor_count"] == 3
    assert all(client.get(f"/api/monitors/{m}").get_json()["channel_ids"] == [body["id"]] for m in monitors)


def test_deleting_a_channel_unroutes_it(client):
    body = _make(client, default=True)
    monitor = create_monitor(client)
    assert client.delete(f"/api/channels/{body['id']}").status_code == 204
    assert client.get(f"/api/monitors/{monitor['id']}").get_json()["channel_ids"] == []
    assert client.get(f"/api/channels/{body['id']}").status_code == 404


def test_the_monitor_policy_round_trips(client):
    created = create_monitor(
        client, alert_type="repeated", repeat_minutes=5, alert_on_restored=False, confirm_checks=3
    )
    assert (
        created["alert_type"],
        created["repeat_minutes"],
        created["alert_on_restored"],
        created["confirm_checks"],
    ) == (
        "repeated",
        5,
        False,
        3,
    )
    back = client.put(
        f"/api/monitors/{created['id']}", json={"alert_type": None, "confirm_checks": 1}
    ).get_json()
    assert (back["alert_type"], back["repeat_minutes"], back["confirm_checks"]) == (None, 5, 1)
    assert create_monitor(client, name="plain")["confirm_checks"] == 1


def test_settings_webhook_and_email_are_the_two_settings_channels(client):
    monitor = create_monitor(client)
    answer = client.put(
        "/api/settings", json={"alerts": {"webhook_url": WEBHOOK, "alert_email": "ops@example.com"}}
    ).get_json()
    assert answer["alerts"]["webhook_url"] == "https://hooks.example.com/****/****?token=****"
    assert answer["alerts"]["alert_email"] == "ops@example.com"
    listed = {c["from_settings"]: c for c in client.get("/api/channels").get_json()["items"]}
    assert set(listed) == {"webhook", "email"} and all(c["default"] for c in listed.values())
    assert sorted(client.get(f"/api/monitors/{monitor['id']}").get_json()["channel_ids"]) == sorted(
        c["id"] for c in listed.values()
    )
    # Sending the masked URL back (a client that PUTs what it read) keeps the stored one.
    client.put("/api/settings", json={"alerts": answer["alerts"]})
    assert client.get("/api/settings").get_json()["alerts"]["webhook_url"] == answer["alerts"]["webhook_url"]
    # Clearing the field removes its channel.
    client.put("/api/settings", json={"alerts": {"webhook_url": ""}})
    assert [c["from_settings"] for c in client.get("/api/channels").get_json()["items"]] == ["email"]
    refused = client.put(
        f"/api/channels/{listed['email']['id']}", json={"kind": "webhook", "config": {"url": WEBHOOK}}
    )
    assert refused.status_code == 422 and "kind" in refused.get_json()["fields"]


def test_viewers_read_channels_masked_and_cannot_write(client, viewer):
    _make(client)
    assert viewer.get("/api/channels").status_code == 200
    assert viewer.post("/api/channels", json=_channel(name="mine")).status_code == 403
    assert viewer.post("/api/channels/test", json=_channel()).status_code == 403


# --- bad input ---------------------------------------------------------------------------------

CHANNEL_CASES = [
    ("unknown kind", _channel(kind="carrier-pigeon"), "kind"),
    ("kind missing", {"name": "x", "config": {"url": SLACK}}, "kind"),
    ("name missing", {"kind": "apprise", "config": {"url": SLACK}}, "name"),
    ("blank name", _channel(name="   "), "name"),
    ("10 KB name", _channel(name="x" * 10_000), "name"),
    ("name with CR/LF", _channel(name="Ops\r\nBcc: victim@example.com"), "name"),
    ("name a number", _channel(name=5), "name"),
    ("config not an object", _channel(config="slack://x"), "config"),
    ("url missing", _channel(config={}), "config.url"),
    ("url a number", _channel(config={"url": 5}), "config.url"),
    ("unknown config key", _channel(config={"url": SLACK, "token": "x"}), "config.token"),
    ("apprise unknown scheme", _channel(config={"url": "nonsense://host/x"}), "config.url"),
    ("apprise not a URL", _channel(config={"url": "just words"}), "config.url"),
    ("apprise incomplete", _channel(config={"url": "slack://"}), "config.url"),
    ("apprise file", _channel(config={"url": "file:///etc/passwd"}), "config.url"),
    ("apprise syslog", _channel(config={"url": "syslog://"}), "config.url"),
    ("apprise windows", _channel(config={"url": "windows://"}), "config.url"),
    ("apprise dbus", _channel(config={"url": "dbus://"}), "config.url"),
    ("apprise with CR/LF", _channel(config={"url": "json://127.0.0.1/x\r\nX-Evil: 1"}), "config.url"),
    ("apprise 3000 chars", _channel(config={"url": "json://127.0.0.1/" + "a" * 3000}), "config.url"),
    ("webhook javascript", _channel(kind="webhook", config={"url": "javascript:alert(1)"}), "config.url"),
    ("webhook file", _channel(kind="webhook", config={"url": "file:///etc/passwd"}), "config.url"),
    ("webhook no host", _channel(kind="webhook", config={"url": "http:///x"}), "config.url"),
    ("webhook with space", _channel(kind="webhook", config={"url": "http://a b/"}), "config.url"),
    ("email given a url", _channel(kind="email", config={"url": "x"}), "config.to"),
    ("email not an address", _channel(kind="email", config={"to": "ops"}), "config.to"),
    (
        "email header injection",
        _channel(kind="email", config={"to": "a@example.com\r\nBcc: b@example.com"}),
        "config.to",
    ),
    (
        "email 11 recipients",
        _channel(kind="email", config={"to": ",".join(f"u{i}@example.com" for i in range(11))}),
        "config.to",
    ),
    ("unknown event", _channel(events=["down", "exploded"]), "events.1"),
    ("no events", _channel(events=[]), "events"),
    ("events a string", _channel(events="down"), "events"),
    ("default a string", _channel(default="yes"), "default"),
]


@pytest.mark.parametrize(("case", "payload", "field"), CHANNEL_CASES, ids=[c[0] for c in CHANNEL_CASES])
def test_bad_channel_is_refused_and_nothing_stored(any_db_client, case, payload, field):
    client = any_db_client
    existing = _make(client, name="Existing")
    before = client.get("/api/channels").get_json()
    for method, url in (
        ("POST", "/api/channels"),
        ("PUT", f"/api/channels/{existing['id']}"),
        ("POST", "/api/channels/test"),
    ):
        if method == "PUT" and case.endswith("missing"):
            continue  # a PUT keeps the stored value of an omitted field
        response = client.open(url, method=method, json=payload)
        assert response.status_code == 422, (case, method, response.get_json())
        body = response.get_json()
        assert body["error"] and field in body.get("fields", {}), (case, method, body)
    assert client.get("/api/channels").get_json() == before


def test_malformed_channel_bodies(client):
    for raw in (b"", b"{", b"[1]", b'"x"'):
        response = client.post("/api/channels", data=raw, content_type="application/json")
        assert response.status_code in (400, 422) and response.get_json()["error"]
    assert client.get("/api/channels/999999").status_code == 404
    assert client.put("/api/channels/999999", json=_channel()).status_code == 404
    assert client.delete("/api/channels/999999").status_code == 404
    assert client.get("/api/channels/99999999999").status_code == 404


POLICY_CASES = [
    ("confirm zero", {"confirm_checks": 0}, "confirm_checks"),
    ("confirm 21", {"confirm_checks": 21}, "confirm_checks"),
    ("confirm a string", {"confirm_checks": "3"}, "confirm_checks"),
    ("confirm a bool", {"confirm_checks": True}, "confirm_checks"),
    ("confirm null", {"confirm_checks": None}, "confirm_checks"),
    ("unknown alert type", {"alert_type": "sometimes"}, "alert_type"),
    ("repeat zero", {"repeat_minutes": 0}, "repeat_minutes"),
    ("repeat a day and a minute", {"repeat_minutes": 1441}, "repeat_minutes"),
    ("restored a string", {"alert_on_restored": "no"}, "alert_on_restored"),
    ("channel ids a string", {"channel_ids": "1"}, "channel_ids"),
    ("channel id a string", {"channel_ids": ["1"]}, "channel_ids.0"),
    ("channel id zero", {"channel_ids": [0]}, "channel_ids.0"),
    ("channel id too big", {"channel_ids": [2**40]}, "channel_ids.0"),
    ("unknown channel", {"channel_ids": [999999]}, "channel_ids"),
    ("101 channels", {"channel_ids": list(range(1, 102))}, "channel_ids"),
]


@pytest.mark.parametrize(("case", "changes", "field"), POLICY_CASES, ids=[c[0] for c in POLICY_CASES])
def test_bad_monitor_policy_is_refused_and_nothing_stored(any_db_client, case, changes, field):
    client = any_db_client
    monitor = create_monitor(client)
    before = client.get("/api/monitors").get_json()
    create = client.post(
        "/api/monitors", json={"name": "x", "type": "http", "target": "http://127.0.0.1:9/", **changes}
    )
    update = client.put(f"/api/monitors/{monitor['id']}", json=changes)
    for response in (create, update):
        assert response.status_code == 422, (case, response.get_json())
        assert field in response.get_json()["fields"], (case, response.get_json())
    assert client.get("/api/monitors").get_json() == before
