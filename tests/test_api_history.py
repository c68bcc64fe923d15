"""Results, history, uptime and test-run endpoints, with results recorded the way workers do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import recording
from shared.checks import CheckResult as Outcome
from shared.models import Monitor, utcnow
from tests.helpers import create_monitor
from tests.peers.http_server import HttpPeer


def _fill(app, monitor_id, count, status="ok"):
    from web.extensions import db

    with app.app_context():
        monitor = db.session.get(Monitor, monitor_id)
        now = utcnow()
        for i in range(count):
            outcome = Outcome(status, 10.0 + i, f"HTTP {200 if status != 'down' else 503}")
            recording.record(db.session, monitor, f"t:{monitor_id}:{i}", now - timedelta(minutes=i), outcome)
        db.session.commit()


def test_results_are_paginated_newest_first(app, client):
    mid = create_monitor(client)["id"]
    _fill(app, mid, 120)
    page1 = client.get(f"/api/monitors/{mid}/results?page=1&per_page=50").get_json()
    assert page1["total"] == 120 and page1["page"] == 1 and len(page1["items"]) == 50
    times = [item["checked_at"] for item in page1["items"]]
    assert times == sorted(times, reverse=True)
    assert set(page1["items"][0]) == {"id", "checked_at", "status", "latency_ms", "details", "agent_id"}
    page3 = client.get(f"/api/monitors/{mid}/results?page=3&per_page=50").get_json()
    assert len(page3["items"]) == 20
    ids = {i["id"] for i in page1["items"]} | {i["id"] for i in page3["items"]}
    assert len(ids) == 70
    assert client.get(f"/api/monitors/{mid}/results?page=9").get_json()["items"] == []


@pytest.mark.parametrize(
    "query,field",
    [("per_page=501", "per_page"), ("per_page=0", "per_page"), ("page=0", "page"), ("page=x", "page")],
)
def test_bad_pagination_is_422(client, query, field):
    mid = create_monitor(client)["id"]
    response = client.get(f"/api/monitors/{mid}/results?{query}")
    assert response.status_code == 422 and field in response.get_json()["fields"]


def test_history_has_every_bucket_of_the_window(app, client):
    mid = create_monitor(client)["id"]
    _fill(app, mid, 30)
    body = client.get(f"/api/monitors/{mid}/history").get_json()
    assert body["bucket_seconds"] == 900 and len(body["buckets"]) == 288
    assert sum(b["ok"] for b in body["buckets"]) == 30
    assert body["buckets"][0]["status"] == "unknown" and body["buckets"][-1]["status"] == "ok"
    starts = [b["start"] for b in body["buckets"]]
    assert starts == sorted(starts) and all(s.endswith("Z") for s in starts)
    assert len(client.get(f"/api/monitors/{mid}/history?hours=1").get_json()["buckets"]) == 4
    for bad in ("0", "73", "x"):
        assert client.get(f"/api/monitors/{mid}/history?hours={bad}").status_code == 422


def test_batch_history_answers_many_monitors_in_one_request(app, client):
    a, b = create_monitor(client)["id"], create_monitor(client)["id"]
    _fill(app, a, 3, "down")
    body = client.get(f"/api/monitors/history?ids={a},{b},99999&hours=2").get_json()
    assert set(body["monitors"]) == {str(a), str(b)} and len(body["starts"]) == 8
    assert sum(body["monitors"][str(a)]["down"]) == 3 and sum(body["monitors"][str(a)]["ok"]) == 0
    empty = {
        "ok": [0] * 8,
        "degraded": [0] * 8,
        "down": [0] * 8,
        "maintenance": [0] * 8,
        "avg_latency_ms": [None] * 8,
    }
    assert body["monitors"][str(b)] == empty
    # The same numbers as the per-monitor history.
    single = client.get(f"/api/monitors/{a}/history?hours=2").get_json()["buckets"]
    assert [x["start"] for x in single] == body["starts"]
    assert [x["down"] for x in single] == body["monitors"][str(a)]["down"]
    assert [x["avg_latency_ms"] for x in single] == body["monitors"][str(a)]["avg_latency_ms"]
    assert set(client.get("/api/monitors/history?hours=1").get_json()["monitors"]) == {str(a), str(b)}
    assert client.get("/api/monitors/history?ids=1,x").status_code == 422


@pytest.mark.parametrize(
    "period,count,seconds",
    [("24h", 24, 3600), ("week", 7, 86400), ("month", 30, 86400), ("year", 52, 604800)],
)
def test_uptime_periods(app, client, period, count, seconds):
    mid = create_monitor(client)["id"]
    _fill(app, mid, 4)
    body = client.get(f"/api/monitors/{mid}/uptime?period={period}").get_json()
    assert body["period"] == period and len(body["buckets"]) == count and body["bucket_seconds"] == seconds
    assert body["uptime"] == 1.0 and body["buckets"][-1]["checks"] + body["buckets"][-2]["checks"] == 4


def test_uptime_without_checks_is_null_and_bad_period_is_422(client):
    mid = create_monitor(client)["id"]
    assert client.get(f"/api/monitors/{mid}/uptime?period=week").get_json()["uptime"] is None
    assert client.get(f"/api/monitors/{mid}/uptime?period=decade").status_code == 422
    assert client.get("/api/monitors/999/uptime").status_code == 404


def test_test_endpoints_run_a_real_check_and_store_nothing(client):
    with HttpPeer() as peer:
        body = client.post(
            "/api/monitors/test", json={"name": "t", "type": "http", "target": peer.url}
        ).get_json()
        assert body["status"] == "ok" and body["details"] == "HTTP 200" and body["latency_ms"] > 0
        peer.set(status=503)
        mid = create_monitor(client, target=peer.url)["id"]
        body = client.post(f"/api/monitors/{mid}/test").get_json()
        assert body["status"] == "down" and body["details"] == "HTTP 503"
        assert peer.hits == 2
    assert client.get(f"/api/monitors/{mid}/results").get_json()["total"] == 0
    bad = client.post(
        "/api/monitors/test", json={"name": "t", "type": "http", "target": "file:///etc/passwd"}
    )
    assert bad.status_code == 422 and "target" in bad.get_json()["fields"]
