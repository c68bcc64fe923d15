"""The bad-input battery for the check types' fields (tcp, dns, HTTP options, heartbeats), on
PostgreSQL and SQLite: a 4xx JSON error naming the field, and nothing stored."""

from __future__ import annotations

import pytest

from tests.helpers import snapshot

HTTP = {"name": "web", "type": "http", "target": "http://127.0.0.1:9/"}
TCP = {"name": "db", "type": "tcp", "target": "127.0.0.1:5432"}
DNS = {"name": "dns", "type": "dns", "target": "example.com"}
BEAT = {"name": "cron", "type": "heartbeat"}

CASES = [
    ("tcp without port", {**TCP, "target": "127.0.0.1"}, "target"),
    ("tcp port 0", {**TCP, "target": "127.0.0.1:0"}, "target"),
    ("tcp port 70000", {**TCP, "target": "127.0.0.1:70000"}, "target"),
    ("tcp port text", {**TCP, "target": "db:http"}, "target"),
    ("tcp v6 unbracketed", {**TCP, "target": "::1:22"}, "target"),
    ("tcp url", {**TCP, "target": "tcp://db:5432"}, "target"),
    ("dns ip target", {**DNS, "target": "1.2.3.4"}, "target"),
    ("dns bad name", {**DNS, "target": "exa mple.com"}, "target"),
    ("dns record type", {**DNS, "dns": {"record_type": "SRV"}}, "dns.record_type"),
    ("dns record lower", {**DNS, "dns": {"record_type": "a"}}, "dns.record_type"),
    ("dns server port", {**DNS, "dns": {"server": "127.0.0.1:99999"}}, "dns.server"),
    ("dns server url", {**DNS, "dns": {"server": "udp://1.1.1.1"}}, "dns.server"),
    ("dns expected string", {**DNS, "dns": {"expected": "1.2.3.4"}}, "dns.expected"),
    ("dns expected 21", {**DNS, "dns": {"expected": ["1.1.1.1"] * 21}}, "dns.expected"),
    ("dns expected empty item", {**DNS, "dns": {"expected": [" "]}}, "dns.expected"),
    ("dns options on http", {**HTTP, "dns": {"record_type": "A"}}, "dns"),
    ("http options on tcp", {**TCP, "http": {"method": "GET"}}, "http"),
    ("method", {**HTTP, "http": {"method": "TRACE"}}, "http.method"),
    ("method lower", {**HTTP, "http": {"method": "get"}}, "http.method"),
    ("status abc", {**HTTP, "http": {"expected_status": "abc"}}, "http.expected_status"),
    ("status 700", {**HTTP, "http": {"expected_status": "700"}}, "http.expected_status"),
    ("status reversed", {**HTTP, "http": {"expected_status": "299-200"}}, "http.expected_status"),
    ("status empty", {**HTTP, "http": {"expected_status": ""}}, "http.expected_status"),
    ("status number", {**HTTP, "http": {"expected_status": 200}}, "http.expected_status"),
    ("jsonpath unparsable", {**HTTP, "http": {"json_path": "$.[[["}}, "http.json_path"),
    ("json expected alone", {**HTTP, "http": {"json_expected": "ok"}}, "http.json_path"),
    ("keyword empty", {**HTTP, "http": {"keyword": ""}}, "http.keyword"),
    ("keyword mode", {**HTTP, "http": {"keyword": "x", "keyword_mode": "maybe"}}, "http.keyword_mode"),
    ("body on GET", {**HTTP, "http": {"body": "x"}}, "http.body"),
    ("body 65 KiB", {**HTTP, "http": {"method": "POST", "body": "x" * (65 * 1024)}}, "http.body"),
    ("header CRLF", {**HTTP, "http": {"headers": {"X-A": "a\r\nX-Injected: 1"}}}, "http.headers"),
    ("header name space", {**HTTP, "http": {"headers": {"X A": "1"}}}, "http.headers"),
    ("header name colon", {**HTTP, "http": {"headers": {"X:A": "1"}}}, "http.headers"),
    ("header Host", {**HTTP, "http": {"headers": {"Host": "evil"}}}, "http.headers"),
    ("header value number", {**HTTP, "http": {"headers": {"X-A": 1}}}, "http.headers.X-A"),
    ("headers 51", {**HTTP, "http": {"headers": {f"X-{i}": "1" for i in range(51)}}}, "http.headers"),
    (
        "headers 20 KiB",
        {
            **HTTP,
            "http": {
                "headers": {
                    "X-A": "a" * 4096,
                    "X-B": "b" * 4096,
                    "X-C": "c" * 4096,
                    "X-D": "d" * 4096,
                    "X-E": "e" * 4096,
                }
            },
        },
        "http.headers",
    ),
    ("headers list", {**HTTP, "http": {"headers": [["X-A", "1"]]}}, "http.headers"),
    ("follow string", {**HTTP, "http": {"follow_redirects": "yes"}}, "http.follow_redirects"),
    ("verify number", {**HTTP, "http": {"verify_tls": 0}}, "http.verify_tls"),
    ("basic auth no user", {**HTTP, "http": {"basic_auth": {"password": "x"}}}, "http.basic_auth.username"),
    (
        "basic auth colon",
        {**HTTP, "http": {"basic_auth": {"username": "a:b", "password": "x"}}},
        "http.basic_auth.username",
    ),
    (
        "basic auth crlf",
        {**HTTP, "http": {"basic_auth": {"username": "a", "password": "x\r\ny"}}},
        "http.basic_auth.password",
    ),
    ("http not object", {**HTTP, "http": "GET"}, "http"),
    ("heartbeat target", {**BEAT, "target": "example.com"}, "target"),
    ("heartbeat grace 4", {**BEAT, "grace_seconds": 4}, "grace_seconds"),
    ("heartbeat grace 86401", {**BEAT, "grace_seconds": 86401}, "grace_seconds"),
    ("heartbeat grace text", {**BEAT, "grace_seconds": "60"}, "grace_seconds"),
    ("heartbeat period 32 days", {**BEAT, "interval_seconds": 32 * 86400}, "interval_seconds"),
    ("heartbeat on an agent", {**BEAT, "agent_id": 1}, "agent_id"),
    ("check interval over a day", {**HTTP, "interval_seconds": 86401}, "interval_seconds"),
    ("explicit timeout too long", {**HTTP, "interval_seconds": 10, "timeout_seconds": 10}, "timeout_seconds"),
    ("missing target", {"name": "x", "type": "tcp"}, "target"),
]


@pytest.mark.parametrize("payload,field", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_check_fields_are_refused_and_write_nothing(any_db_client, payload, field):
    before = snapshot(any_db_client)
    response = any_db_client.post("/api/monitors", json=payload)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"] and field in body["fields"], body
    assert snapshot(any_db_client) == before


def test_an_omitted_timeout_follows_a_short_interval(any_db_client):
    """The papercut: interval 10 without a timeout used to be refused (default 10 ≥ interval)."""
    created = any_db_client.post("/api/monitors", json={**HTTP, "interval_seconds": 10})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["timeout_seconds"] == 9
    monitor = any_db_client.post("/api/monitors", json={**HTTP, "interval_seconds": 60}).get_json()
    assert monitor["timeout_seconds"] == 10
    moved = any_db_client.put(f"/api/monitors/{monitor['id']}", json={"interval_seconds": 10})
    assert moved.status_code == 200 and moved.get_json()["timeout_seconds"] == 9


def test_good_options_round_trip_and_the_password_is_write_only(any_db_client):
    body = {
        **HTTP,
        "http": {
            "method": "POST",
            "headers": {"X-Env": "prod"},
            "body": '{"ping": 1}',
            "expected_status": "200-299,301",
            "keyword": "ready",
            "json_path": "$.status",
            "json_expected": "ok",
            "basic_auth": {"username": "probe", "password": "s3cret-pw"},
        },
    }
    created = any_db_client.post("/api/monitors", json=body)
    assert created.status_code == 201, created.get_json()
    monitor = created.get_json()
    assert monitor["http"]["basic_auth"] == {"username": "probe", "password_set": True}
    assert monitor["http"]["method"] == "POST" and monitor["http"]["follow_redirects"] is True
    assert "s3cret-pw" not in str(any_db_client.get("/api/monitors").get_json())
    # A PUT of what was read (password_set, no password) keeps the password; a partial http merges.
    kept = any_db_client.put(f"/api/monitors/{monitor['id']}", json=monitor).get_json()
    assert kept["http"]["basic_auth"]["password_set"] is True
    merged = any_db_client.put(f"/api/monitors/{monitor['id']}", json={"http": {"keyword": "up"}}).get_json()
    assert merged["http"]["keyword"] == "up" and merged["http"]["method"] == "POST"
    cleared = any_db_client.put(
        f"/api/monitors/{monitor['id']}", json={"http": {"basic_auth": None}}
    ).get_json()
    assert cleared["http"]["basic_auth"] is None
    dns = any_db_client.post(
        "/api/monitors", json={**DNS, "dns": {"record_type": "MX", "expected": ["mx.example.com"]}}
    )
    assert dns.status_code == 201 and dns.get_json()["dns"]["record_type"] == "MX"
    tcp = any_db_client.post("/api/monitors", json={**TCP, "target": "[::1]:5432"})
    assert tcp.status_code == 201 and tcp.get_json()["http"] is None
