"""GET /api/status/overview with q, status, limit and offset: the dashboard's list filtered and paged
on the server (issue 15), on both databases; without them the answer is the one it always was."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from shared.models import Agent, Monitor, MonitorState, utcnow
from tests.helpers import create_monitor

#: (stored status, enabled, type, last result, last change) in hours ago; far from every limit.
STATES = list(
    itertools.product(
        [None, "ok", "degraded", "down", "stale"],
        [True, False],
        ["http", "heartbeat"],
        [None, 0.001, 2.0],
        [0.001, 3.0],
    )
)


def _add(app, rows: list[dict]) -> list[int]:
    """Monitors written straight to the database (with their state when ``status`` or ``checked``)."""
    from web.extensions import db

    now = utcnow()
    ids = []
    with app.app_context():
        for r in rows:
            changed = now - timedelta(hours=r.get("changed", 3.0))
            monitor = Monitor(
                name=r["name"],
                type=r.get("type", "http"),
                target=r.get("target", "http://127.0.0.1:9/"),
                interval_seconds=60,
                timeout_seconds=10,
                enabled=r.get("enabled", True),
                agent_id=r.get("agent_id"),
                created_at=changed,
                updated_at=changed,
            )
            db.session.add(monitor)
            db.session.flush()
            checked = r.get("checked")
            if r.get("status") is not None or checked is not None:
                db.session.add(
                    MonitorState(
                        monitor_id=monitor.id,
                        location=r.get("agent_id") or 0,
                        status=r.get("status") or "unknown",
                        since=changed,
                        last_checked_at=None if checked is None else now - timedelta(hours=checked),
                    )
                )
            ids.append(monitor.id)
        db.session.commit()
    return ids


def _page(client, **params):
    response = client.get("/api/status/overview", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_every_status_of_a_page_is_the_one_of_the_whole_answer(any_db_app, any_db_client):
    """The page's statuses are computed in SQL; they agree with shared.staleness on every case."""
    ids = _add(
        any_db_app,
        [
            {"name": f"m{i}", "status": s, "enabled": e, "type": t, "checked": c, "changed": ch}
            for i, (s, e, t, c, ch) in enumerate(STATES)
        ],
    )
    window = any_db_client.post(
        "/api/maintenance",
        json={
            "title": "Upgrade",
            "start": (utcnow() - timedelta(minutes=5)).isoformat(),
            "end": (utcnow() + timedelta(hours=1)).isoformat(),
            "monitor_ids": ids[:4] + ids[-4:],
        },
    )
    assert window.status_code == 201, window.get_json()

    whole = any_db_client.get("/api/status/overview").get_json()
    page = _page(any_db_client, limit=1000)
    assert [(m["id"], m["status"]) for m in page["monitors"]] == [
        (m["id"], m["status"]) for m in whole["monitors"]
    ]
    assert {m["status"] for m in whole["monitors"]} == {
        "ok",
        "degraded",
        "down",
        "stale",
        "unknown",
        "maintenance",
    }
    for key in ("total", "ok", "degraded", "down", "unknown", "stale", "maintenance"):
        assert page[key] == whole[key], key
    assert page["matched"] == page["total"] == len(STATES)
    assert page["paused"] == sum(1 for s in STATES if not s[1])

    # Each status filter answers exactly the monitors of that status.
    for status in ("ok", "degraded", "down", "stale", "unknown", "maintenance"):
        got = _page(any_db_client, status=status, limit=1000)
        expected = [m["id"] for m in whole["monitors"] if m["status"] == status]
        assert [m["id"] for m in got["monitors"]] == expected, status
        assert got["matched"] == len(expected) == whole[status]


def test_a_window_over_every_monitor_covers_each_enabled_one(any_db_app, any_db_client):
    _add(any_db_app, [{"name": "on", "status": "ok", "checked": 0.001}, {"name": "off", "enabled": False}])
    start, end = utcnow() - timedelta(minutes=5), utcnow() + timedelta(hours=1)
    made = any_db_client.post(
        "/api/maintenance",
        json={"title": "All", "all_monitors": True, "start": start.isoformat(), "end": end.isoformat()},
    )
    assert made.status_code == 201, made.get_json()
    page = _page(any_db_client, limit=10)
    assert [m["status"] for m in page["monitors"]] == ["maintenance", "unknown"]
    assert page["maintenance"] == 1


def test_search_paging_and_paused(any_db_app, any_db_client):
    with any_db_app.app_context():
        from web.extensions import db

        agent = Agent(uuid="a" * 36, name="Edge-Frankfurt", approved=True)
        db.session.add(agent)
        db.session.commit()
        agent_id = agent.id
    _add(
        any_db_app,
        [{"name": f"service-{i:02d}", "target": f"http://10.0.0.{i}/health"} for i in range(30)]
        + [
            {"name": "Nightly BACKUP", "type": "heartbeat", "target": ""},
            {"name": "100% sure", "target": "https://example.com/", "enabled": False},
            {"name": "frankfurt ping", "type": "ping", "target": "10.9.9.9", "agent_id": agent_id},
        ],
    )
    page = _page(any_db_client, limit=10, offset=25)
    assert [m["name"] for m in page["monitors"]] == [f"service-{i:02d}" for i in range(25, 30)] + [
        "Nightly BACKUP",
        "100% sure",
        "frankfurt ping",
    ]
    assert (page["total"], page["matched"], page["offset"], page["limit"], page["paused"]) == (
        33,
        33,
        25,
        10,
        1,
    )

    def names(**params):
        return [m["name"] for m in _page(any_db_client, **params)["monitors"]]

    assert names(q="SERVICE-0") == [f"service-0{i}" for i in range(10)]  # any case
    assert names(q="10.0.0.2") == ["service-02", *(f"service-{i}" for i in range(20, 30))]
    assert names(q="backup") == names(q="push") == names(q="heartbeat") == ["Nightly BACKUP"]
    assert names(q="%") == ["100% sure"]  # a wildcard is a character like any other
    assert names(q="_") == []
    assert names(q="edge-frank") == ["frankfurt ping"]  # its agent's name
    assert len(names(q="server")) == 32  # the rest are checked by the server
    assert names(status="paused") == ["100% sure"]
    assert names(status="paused,stale", q="sure") == ["100% sure"]
    searched = _page(any_db_client, q="service", limit=5, offset=100)
    assert (searched["monitors"], searched["matched"], searched["total"]) == ([], 30, 33)


def test_the_answer_without_parameters_is_unchanged(any_db_client):
    create_monitor(any_db_client)
    body = any_db_client.get("/api/status/overview").get_json()
    assert set(body) == {"total", "ok", "degraded", "down", "unknown", "stale", "maintenance", "monitors"}
    listed = _page(any_db_client, offset=0)
    assert listed["monitors"] == body["monitors"] and listed["limit"] is None


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "sleeping"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "ten"}, "limit"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_parameters_are_refused_with_the_field(any_db_client, params, field):
    response = any_db_client.get("/api/status/overview", query_string=params)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]


def test_the_parameters_are_documented(any_db_client):
    spec = any_db_client.get("/api/openapi.json").get_json()
    params = {p["name"] for p in spec["paths"]["/api/status/overview"]["get"]["parameters"]}
    assert params >= {"q", "status", "limit", "offset"}
