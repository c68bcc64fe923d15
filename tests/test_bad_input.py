"""Bad input gets a clear 4xx JSON error and changes nothing (API.md's "Errors")."""

from __future__ import annotations

import pytest

from tests.helpers import HTTP_MONITOR, create_monitor, snapshot

M = HTTP_MONITOR


def with_(**changes):
    return {**M, **changes}


def without(field):
    return {k: v for k, v in M.items() if k != field}


# (case id, payload, expected status, field expected in "fields" or None)
MONITOR_CASES = [
    ("missing name", without("name"), 422, "name"),
    ("missing type", without("type"), 422, "type"),
    ("missing target", without("target"), 422, "target"),
    ("empty name", with_(name=""), 422, "name"),
    ("blank name", with_(name="   "), 422, "name"),
    ("name 201 chars", with_(name="x" * 201), 422, "name"),
    ("name with newline", with_(name="a\nb"), 422, "name"),
    ("name is a number", with_(name=5), 422, "name"),
    ("unknown type", with_(type="smtp"), 422, "type"),
    ("type is a list", with_(type=["http"]), 422, "type"),
    ("file scheme", with_(target="file:///etc/passwd"), 422, "target"),
    ("javascript scheme", with_(target="javascript:alert(1)"), 422, "target"),
    ("ftp scheme", with_(target="ftp://127.0.0.1/"), 422, "target"),
    ("http type with https url", with_(target="https://127.0.0.1/"), 422, "target"),
    ("https type with http url", with_(type="https", target="http://127.0.0.1/"), 422, "target"),
    ("url without host", with_(target="http:///path"), 422, "target"),
    ("url with space", with_(target="http://127.0.0.1/a b"), 422, "target"),
    ("url bad port", with_(target="http://127.0.0.1:99999/"), 422, "target"),
    ("ping with scheme", with_(type="ping", target="http://127.0.0.1"), 422, "target"),
    ("ping bad host", with_(type="ping", target="bad host!"), 422, "target"),
    ("ssl bad port", with_(type="ssl", target="example.com:0"), 422, "target"),
    ("ssl with path", with_(type="ssl", target="example.com/x"), 422, "target"),
    ("target too long", with_(target="http://127.0.0.1/" + "a" * 2100), 422, "target"),
    ("interval too small", with_(interval_seconds=9), 422, "interval_seconds"),
    ("interval too large", with_(interval_seconds=86401), 422, "interval_seconds"),
    ("interval as string", with_(interval_seconds="60"), 422, "interval_seconds"),
    ("interval as float", with_(interval_seconds=60.5), 422, "interval_seconds"),
    ("interval is bool", with_(interval_seconds=True), 422, "interval_seconds"),
    ("timeout zero", with_(timeout_seconds=0), 422, "timeout_seconds"),
    ("timeout 61", with_(timeout_seconds=61), 422, "timeout_seconds"),
    ("timeout not below interval", with_(interval_seconds=10, timeout_seconds=10), 422, "timeout_seconds"),
    ("enabled as string", with_(enabled="yes"), 422, "enabled"),
    ("agent unknown", with_(agent_id=999), 422, "agent_id"),
    ("agent id negative", with_(agent_id=-1), 422, "agent_id"),
    (
        "thresholds out of order",
        with_(thresholds={"ok_ms": 300, "degraded_ms": 200}),
        422,
        "thresholds.ok_ms",
    ),
    ("thresholds equal", with_(thresholds={"ok_ms": 200, "degraded_ms": 200}), 422, "thresholds.ok_ms"),
    ("ok above default degraded", with_(thresholds={"ok_ms": 250}), 422, "thresholds.ok_ms"),
    (
        "ssl days out of order",
        with_(thresholds={"ssl_ok_days": 10, "ssl_warning_days": 14}),
        422,
        "thresholds.ssl_ok_days",
    ),
    ("ping count 0", with_(thresholds={"ping_count": 0}), 422, "thresholds.ping_count"),
    ("ping count 11", with_(thresholds={"ping_count": 11}), 422, "thresholds.ping_count"),
    ("negative latency", with_(thresholds={"ok_ms": -1}), 422, "thresholds.ok_ms"),
    ("thresholds not an object", with_(thresholds=[1, 2]), 422, "thresholds"),
]


@pytest.mark.parametrize(
    "payload,status,field", [c[1:] for c in MONITOR_CASES], ids=[c[0] for c in MONITOR_CASES]
)
def test_bad_monitor_create_is_refused_and_writes_nothing(any_db_client, payload, status, field):
    before = snapshot(any_db_client)
    response = any_db_client.post("/api/monitors", json=payload)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert field in body["fields"], body
    assert snapshot(any_db_client) == before


@pytest.mark.parametrize(
    "payload,status,field",
    [c[1:] for c in MONITOR_CASES if c[0] not in ("missing name", "missing type", "missing target")],
    ids=[c[0] for c in MONITOR_CASES if c[0] not in ("missing name", "missing type", "missing target")],
)
def test_bad_monitor_update_is_refused_and_writes_nothing(client, payload, status, field):
    monitor = create_monitor(client)
    before = snapshot(client)
    response = client.put(f"/api/monitors/{monitor['id']}", json=payload)
    assert response.status_code == status
    assert field in response.get_json()["fields"]
    assert snapshot(client) == before


RAW_CASES = [
    ("not json", b"{name: x", 400),
    ("truncated json", b'{"name": "x"', 400),
    ("empty body", b"", 400),
    ("json array", b'[{"name": "x"}]', 422),
    ("json string", b'"monitor"', 422),
    ("json null", b"null", 422),
    ("invalid utf-8", b'{"name": "\xff\xfe"}', 400),
]


@pytest.mark.parametrize("raw,status", [c[1:] for c in RAW_CASES], ids=[c[0] for c in RAW_CASES])
def test_malformed_bodies(client, raw, status):
    before = snapshot(client)
    for method, url in (("post", "/api/monitors"), ("put", "/api/settings")):
        response = getattr(client, method)(url, data=raw, content_type="application/json")
        assert response.status_code == status
        assert response.is_json and response.get_json()["error"]
    assert snapshot(client) == before


def test_ten_megabyte_body_is_413(client):
    before = snapshot(client)
    big = b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = client.post("/api/monitors", data=big, content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"]
    assert snapshot(client) == before


SETTINGS_CASES = [
    ("unknown section", {"colours": {}}, "colours"),
    ("section not object", {"alerts": "once"}, "alerts"),
    ("unknown field", {"alerts": {"smtp_pasword": "x"}}, "alerts.smtp_pasword"),
    ("alert type", {"alerts": {"alert_type": "sometimes"}}, "alerts.alert_type"),
    ("repeat 0", {"alerts": {"repeat_minutes": 0}}, "alerts.repeat_minutes"),
    ("repeat 1441", {"alerts": {"repeat_minutes": 1441}}, "alerts.repeat_minutes"),
    ("history", {"alerts": {"include_history": "week"}}, "alerts.include_history"),
    ("webhook scheme", {"alerts": {"webhook_url": "file:///tmp/x"}}, "alerts.webhook_url"),
    ("webhook javascript", {"alerts": {"webhook_url": "javascript:alert(1)"}}, "alerts.webhook_url"),
    ("smtp port", {"alerts": {"smtp_port": 70000}}, "alerts.smtp_port"),
    ("smtp port string", {"alerts": {"smtp_port": "587"}}, "alerts.smtp_port"),
    ("smtp host", {"alerts": {"smtp_host": "mail host"}}, "alerts.smtp_host"),
    ("email", {"alerts": {"alert_email": "ops"}}, "alerts.alert_email"),
    ("email header injection", {"alerts": {"alert_email": "a@b.co\r\nBcc: x@y.co"}}, "alerts.alert_email"),
    ("tls not bool", {"alerts": {"smtp_use_tls": "true"}}, "alerts.smtp_use_tls"),
    ("monitoring order", {"monitoring": {"ok_ms": 500}}, "monitoring.ok_ms"),
    ("ssl order", {"monitoring": {"ssl_warning_days": 40}}, "monitoring.ssl_ok_days"),
    ("ping count", {"monitoring": {"ping_count": 20}}, "monitoring.ping_count"),
    ("uuid", {"agents": {"allowed_agent_uuids": ["not-a-uuid"]}}, "agents.allowed_agent_uuids"),
    ("uuids not list", {"agents": {"allowed_agent_uuids": "abc"}}, "agents.allowed_agent_uuids"),
    ("short secret", {"agents": {"shared_secret": "short"}}, "agents.shared_secret"),
]


@pytest.mark.parametrize("payload,field", [c[1:] for c in SETTINGS_CASES], ids=[c[0] for c in SETTINGS_CASES])
def test_bad_settings_are_refused_and_write_nothing(any_db_client, payload, field):
    before = snapshot(any_db_client)
    # A valid change to another section in the same request must not land either.
    response = any_db_client.put(
        "/api/settings", json={**payload, "monitoring": payload.get("monitoring", {"ok_ms": 10})}
    )
    assert response.status_code == 422
    assert field in response.get_json()["fields"], response.get_json()
    assert snapshot(any_db_client) == before


@pytest.mark.parametrize(
    "method,url,status",
    [
        ("get", "/api/monitors/999", 404),
        ("put", "/api/monitors/999", 404),
        ("delete", "/api/monitors/999", 404),
        ("get", "/api/monitors/abc", 404),
        ("get", "/api/nothing-here", 404),
        ("patch", "/api/monitors", 405),
        ("delete", "/api/settings", 405),
    ],
)
def test_unknown_urls_and_methods_answer_json(client, method, url, status):
    response = getattr(client, method)(url, json={})
    assert response.status_code == status
    assert response.is_json and response.get_json()["error"]


def test_unexpected_errors_answer_json_without_a_traceback(app, client, monkeypatch):
    from web.api import monitors

    def boom(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(monitors.monitor_rules, "serialize", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    create = client.post("/api/monitors", json=M)
    response = client.get("/api/monitors")
    assert response.status_code == 500
    assert response.get_json() == {"error": "Internal error; it has been logged."}
    assert "secret internals" not in response.get_data(as_text=True)
    assert create.status_code == 500


HUGE = 2**64 + 1


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", f"/api/monitors/{HUGE}"),
        ("get", f"/api/monitors/{HUGE}/history"),
        ("get", f"/api/monitors/{HUGE}/uptime"),
        ("get", f"/api/monitors/{HUGE}/results"),
        ("delete", f"/api/agents/{HUGE}"),
        ("put", f"/api/agents/{HUGE}/approve"),
        ("get", "/api/monitors/0"),
    ],
)
def test_ids_beyond_the_database_range_are_404_not_500(any_db_client, method, url):
    response = getattr(any_db_client, method)(url, json={"approved": True})
    assert response.status_code == 404 and response.get_json()["error"]


def test_huge_numbers_in_bodies_and_queries_are_refused_cleanly(any_db_client):
    before = snapshot(any_db_client)
    response = any_db_client.post("/api/monitors", json=with_(agent_id=HUGE))
    assert response.status_code == 422 and "agent_id" in response.get_json()["fields"]
    assert any_db_client.get(f"/api/monitors/history?ids={HUGE},1").get_json()["monitors"] == {}
    assert snapshot(any_db_client) == before
