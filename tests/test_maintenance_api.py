"""/api/maintenance: shapes, admin-only, audited, and every bad input refused (PostgreSQL and SQLite)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.models import utcnow
from shared.timefmt import iso
from tests.helpers import create_monitor

DAY = "2030-01-01T"


def one_off(monitor_ids=None, start=f"{DAY}10:00:00Z", end=f"{DAY}12:00:00Z", **extra) -> dict:
    body = {"title": "DB upgrade", "start": start, "end": end, **extra}
    if monitor_ids is not None:
        body["monitor_ids"] = monitor_ids
    return body


WEEKLY = {"weekdays": ["sun"], "time": "02:00", "duration_minutes": 60, "timezone": "Europe/Berlin"}


def test_create_read_update_delete_one_off_and_recurring(client):
    mid = create_monitor(client)["id"]
    created = client.post("/api/maintenance", json=one_off([mid]))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body == {
        "id": body["id"],
        "title": "DB upgrade",
        "all_monitors": False,
        "monitor_ids": [mid],
        "start": "2030-01-01T10:00:00Z",
        "end": "2030-01-01T12:00:00Z",
        "recurrence": None,
        "active": False,
        "next": [{"start": "2030-01-01T10:00:00Z", "end": "2030-01-01T12:00:00Z"}],
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    weekly = client.post(
        "/api/maintenance", json={"title": "Backups", "all_monitors": True, "recurrence": WEEKLY}
    ).get_json()
    assert weekly["recurrence"] == WEEKLY and weekly["monitor_ids"] is None and weekly["start"] is None
    assert len(weekly["next"]) == 3
    starts = [n["start"] for n in weekly["next"]]
    assert starts == sorted(starts) and all(s > iso(utcnow() - timedelta(hours=1)) for s in starts)

    listed = client.get("/api/maintenance").get_json()
    assert [w["id"] for w in listed] == [body["id"], weekly["id"]]
    assert client.get(f"/api/maintenance/{weekly['id']}").get_json()["title"] == "Backups"

    # PUT merges: only the title changes; then it becomes recurring (start/end go).
    updated = client.put(f"/api/maintenance/{body['id']}", json={"title": "Bigger upgrade"}).get_json()
    assert updated["title"] == "Bigger upgrade" and updated["start"] == "2030-01-01T10:00:00Z"
    turned = client.put(
        f"/api/maintenance/{body['id']}", json={"recurrence": {"cron": "0 3 * * *", "duration_minutes": 30}}
    )
    assert turned.status_code == 200, turned.get_json()
    assert turned.get_json()["start"] is None and turned.get_json()["recurrence"]["cron"] == "0 3 * * *"

    assert client.delete(f"/api/maintenance/{body['id']}").get_json() == {"deleted": body["id"]}
    assert client.get(f"/api/maintenance/{body['id']}").status_code == 404
    actions = [e["action"] for e in client.get("/api/audit").get_json()["items"]]
    for action in ("maintenance.create", "maintenance.update", "maintenance.delete"):
        assert action in actions


def test_active_window_shows_in_overview_and_monitor(client):
    mid = create_monitor(client)["id"]
    other = create_monitor(client, name="Other")["id"]
    now = utcnow()
    window = client.post(
        "/api/maintenance",
        json=one_off([mid], start=iso(now - timedelta(minutes=5)), end=iso(now + timedelta(hours=1))),
    ).get_json()
    assert window["active"] is True
    overview = client.get("/api/status/overview").get_json()
    assert overview["maintenance"] == 1
    by_id = {m["id"]: m["status"] for m in overview["monitors"]}
    assert by_id[mid] == "maintenance" and by_id[other] != "maintenance"
    assert client.get(f"/api/monitors/{mid}").get_json()["status"] == "maintenance"
    assert {m["id"]: m["status"] for m in client.get("/api/monitors").get_json()}[mid] == "maintenance"
    client.delete(f"/api/maintenance/{window['id']}")
    assert client.get(f"/api/monitors/{mid}").get_json()["status"] != "maintenance"
    assert client.get("/api/status/overview").get_json()["maintenance"] == 0


def test_viewers_can_not_read_or_write(client, viewer):
    assert viewer.get("/api/maintenance").status_code == 403
    assert viewer.post("/api/maintenance", json=one_off(all_monitors=True)).status_code == 403


BAD = [
    ("end before start", one_off(all_monitors=True, start=f"{DAY}12:00:00Z", end=f"{DAY}10:00:00Z"), "end"),
    ("end equals start", one_off(all_monitors=True, start=f"{DAY}12:00:00Z", end=f"{DAY}12:00:00Z"), "end"),
    ("no time zone on start", one_off(all_monitors=True, start="2030-01-01T10:00:00"), "start"),
    ("not a date", one_off(all_monitors=True, start="tomorrow"), "start"),
    ("missing end", {"title": "x", "all_monitors": True, "start": f"{DAY}10:00:00Z"}, "end"),
    ("both kinds", one_off(all_monitors=True, recurrence=WEEKLY), "start"),
    (
        "unknown zone",
        {"title": "x", "all_monitors": True, "recurrence": {**WEEKLY, "timezone": "Mars/Olympus"}},
        "recurrence.timezone",
    ),
    (
        "bad cron",
        {"title": "x", "all_monitors": True, "recurrence": {"cron": "61 * * * *", "duration_minutes": 5}},
        "recurrence.cron",
    ),
    (
        "cron not five fields",
        {"title": "x", "all_monitors": True, "recurrence": {"cron": "0 0 * * * *", "duration_minutes": 5}},
        "recurrence.cron",
    ),
    (
        "cron words",
        {"title": "x", "all_monitors": True, "recurrence": {"cron": "every sunday", "duration_minutes": 5}},
        "recurrence.cron",
    ),
    (
        "cron never fires",
        {"title": "x", "all_monitors": True, "recurrence": {"cron": "0 0 30 2 *", "duration_minutes": 5}},
        "recurrence.cron",
    ),
    (
        "unknown weekday",
        {"title": "x", "all_monitors": True, "recurrence": {**WEEKLY, "weekdays": ["mon", "funday"]}},
        "recurrence.weekdays",
    ),
    (
        "time 25:00",
        {"title": "x", "all_monitors": True, "recurrence": {**WEEKLY, "time": "25:00"}},
        "recurrence.time",
    ),
    (
        "weekdays without time",
        {"title": "x", "all_monitors": True, "recurrence": {"weekdays": ["mon"], "duration_minutes": 5}},
        "recurrence.time",
    ),
    (
        "cron and weekdays",
        {"title": "x", "all_monitors": True, "recurrence": {**WEEKLY, "cron": "0 0 * * *"}},
        "recurrence.cron",
    ),
    (
        "duration 0",
        {"title": "x", "all_monitors": True, "recurrence": {**WEEKLY, "duration_minutes": 0}},
        "recurrence.duration_minutes",
    ),
    (
        "duration over 7 days",
        {"title": "x", "all_monitors": True, "recurrence": {**WEEKLY, "duration_minutes": 10081}},
        "recurrence.duration_minutes",
    ),
    (
        "duration a string",
        {"title": "x", "all_monitors": True, "recurrence": {**WEEKLY, "duration_minutes": "60"}},
        "recurrence.duration_minutes",
    ),
    ("unknown monitor", one_off([424242]), "monitor_ids"),
    ("both targets", one_off([1], all_monitors=True), "monitor_ids"),
    ("neither target", one_off(), "monitor_ids"),
    ("empty monitor list", one_off([]), "monitor_ids"),
    ("blank title", one_off(all_monitors=True, title="  "), "title"),
    ("huge monitor id", one_off([2**40]), "monitor_ids.0"),
]


def _state(client) -> tuple:
    return client.get("/api/maintenance").get_json(), len(client.get("/api/audit").get_json()["items"])


@pytest.mark.parametrize("payload,field", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_windows_are_refused_and_write_nothing(any_db_client, payload, field):
    before = _state(any_db_client)
    response = any_db_client.post("/api/maintenance", json=payload)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert field in body["fields"], body
    assert _state(any_db_client) == before


def test_overlapping_one_off_windows_for_a_monitor_are_refused(any_db_client):
    a = create_monitor(any_db_client)["id"]
    b = create_monitor(any_db_client, name="B")["id"]
    first = any_db_client.post("/api/maintenance", json=one_off([a])).get_json()
    clash = any_db_client.post(
        "/api/maintenance", json=one_off([a, b], start=f"{DAY}11:00:00Z", end=f"{DAY}13:00:00Z")
    )
    assert clash.status_code == 422
    assert f"overlaps maintenance window {first['id']}" in clash.get_json()["error"]
    everyone = any_db_client.post(
        "/api/maintenance", json=one_off(all_monitors=True, start=f"{DAY}11:00:00Z")
    )
    assert everyone.status_code == 422
    # Other monitors, or touching ends, or a recurring window: fine.
    assert any_db_client.post("/api/maintenance", json=one_off([b])).status_code == 201
    touching = one_off([a], start=f"{DAY}12:00:00Z", end=f"{DAY}13:00:00Z")
    assert any_db_client.post("/api/maintenance", json=touching).status_code == 201
    weekly = {"title": "w", "monitor_ids": [a], "recurrence": WEEKLY}
    assert any_db_client.post("/api/maintenance", json=weekly).status_code == 201
    # A window may be edited without clashing with itself; moving it onto another one is refused.
    assert (
        any_db_client.put(f"/api/maintenance/{first['id']}", json={"end": f"{DAY}11:30:00Z"}).status_code
        == 200
    )
    moved = any_db_client.put(f"/api/maintenance/{first['id']}", json={"end": f"{DAY}12:30:00Z"})
    assert moved.status_code == 422
