"""Status pages against the real app: what the public sees, what it never sees, and the cache."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from shared.buckets import DAY, bucket_starts
from shared.models import MonitorState, Rollup
from tests.helpers import create_monitor

HIDDEN = "secret-internal-host.example"
OTHER = "not-on-this-page.example"
XSS = "<script>alert(1)</script>"


def _state(app, monitor_id: int, status: str) -> None:
    from web.extensions import db

    with app.app_context():
        now = datetime.now(UTC)
        db.session.merge(
            MonitorState(monitor_id=monitor_id, location=0, status=status, since=now, last_checked_at=now)
        )
        db.session.commit()


def _rollups(app, monitor_id: int, days: int = 90, down_days: tuple[int, ...] = ()) -> None:
    from web.extensions import db

    with app.app_context():
        for i, start in enumerate(bucket_starts(datetime.now(UTC), DAY, days)):
            down = 10 if i in down_days else 0
            db.session.add(
                Rollup(monitor_id=monitor_id, resolution=DAY, bucket_start=start, ok=1430, down=down)
            )
        db.session.commit()


@pytest.fixture
def page(app, client):
    shown = create_monitor(client, name="Web front", target="https://shown.example/health", type="https")
    hidden = create_monitor(client, name="Internal DB", target=f"http://{HIDDEN}:5432/")
    other = create_monitor(client, name="Not here", target=f"http://{OTHER}/")
    _state(app, shown["id"], "ok")
    _state(app, hidden["id"], "degraded")
    _state(app, other["id"], "down")
    _rollups(app, shown["id"], down_days=(89,))
    body = {
        "slug": "acme",
        "title": "Acme status",
        "description": "Our services.\nSecond line.",
        "groups": [
            {
                "name": "Public",
                "monitors": [
                    {"monitor_id": shown["id"], "display_name": "Website", "show_target": True},
                    {"monitor_id": hidden["id"], "display_name": "Database"},
                ],
            }
        ],
    }
    response = client.post("/api/status-pages", json=body)
    assert response.status_code == 201, response.get_json()
    return {"page": response.get_json(), "shown": shown, "hidden": hidden, "other": other}


def test_page_shows_only_its_monitors_and_never_a_hidden_target(page, anon):
    html = anon.get("/status/acme")
    assert html.status_code == 200 and html.mimetype == "text/html"
    text = html.get_data(as_text=True)
    raw = anon.get("/status/acme.json")
    assert raw.status_code == 200
    js = raw.get_data(as_text=True)
    for body in (text, js):
        assert "Website" in body and "Database" in body
        assert "https://shown.example/health" in body  # show_target
        assert HIDDEN not in body
        assert OTHER not in body and "Not here" not in body
        assert "Internal DB" not in body  # the display name replaces the monitor's own
    view = raw.get_json()
    assert view["state"] == "degraded"  # one degraded, the "down" monitor is not on this page
    monitors = view["groups"][0]["monitors"]
    assert [m["name"] for m in monitors] == ["Website", "Database"]
    assert set(monitors[0]) == {"name", "state", "state_text", "uptime", "days", "target"}
    assert "target" not in monitors[1]
    assert monitors[0]["state"] == "operational" and monitors[1]["state"] == "degraded"
    assert len(monitors[0]["days"]) == 90
    assert monitors[0]["days"][-1]["state"] == "outage"
    assert monitors[0]["days"][0]["uptime"] == 1.0
    assert 0.99 < monitors[0]["uptime"] < 1.0
    assert monitors[1]["uptime"] is None and monitors[1]["days"][0]["state"] == "unknown"
    # State by word, not colour alone; no script anywhere.
    assert "Some systems degraded" in text and "Operational" in text and "Degraded" in text
    assert "<script" not in text.lower()
    csp = html.headers["Content-Security-Policy"]
    assert (
        "default-src 'self'" in csp
        and "script-src" not in csp
        and "unsafe-inline" not in csp.split("style-src")[0]
    )
    assert raw.headers["Access-Control-Allow-Origin"] == "*"


def test_unknown_slug_and_bad_slugs_are_404(page, anon):
    for path in ("/status/nope", "/status/nope.json", "/status/ACME", "/status/..", "/status/a%2Fb"):
        assert anon.get(path).status_code == 404, path
    assert anon.get("/status/nope.json").get_json() == {"error": "Not found."}


def test_overall_states(app, client, anon, page):
    from web.status_pages import cache

    _state(app, page["hidden"]["id"], "down")
    with app.app_context():
        cache().clear()
    assert anon.get("/status/acme.json").get_json()["state"] == "outage"
    assert "Outage" in anon.get("/status/acme").get_data(as_text=True)
    _state(app, page["hidden"]["id"], "ok")
    pid = page["page"]["id"]
    r = client.post(
        f"/api/status-pages/{pid}/announcements", json={"title": "Upgrade", "severity": "maintenance"}
    )
    assert r.status_code == 201
    view = anon.get("/status/acme.json").get_json()
    assert view["state"] == "maintenance" and view["state_text"] == "Under maintenance"
    client.delete(f"/api/status-pages/{pid}/announcements/{r.get_json()['id']}")
    assert anon.get("/status/acme.json").get_json()["state"] == "operational"


def test_no_html_injection_in_any_text_field(app, client, anon):
    monitor = create_monitor(client, name="m")
    body = {
        "slug": "xss",
        "title": f"T {XSS}",
        "description": f"D {XSS}",
        "logo_url": 'https://logo.example/x.png?a="><script>',
        "groups": [
            {"name": f"G {XSS}", "monitors": [{"monitor_id": monitor["id"], "display_name": f"N {XSS}"}]}
        ],
    }
    r = client.post("/api/status-pages", json=body)
    assert r.status_code == 201, r.get_json()
    r = client.post(
        f"/api/status-pages/{r.get_json()['id']}/announcements",
        json={
            "title": f"A {XSS}",
            "body": f"B {XSS} <img src=x onerror=alert(1)> [click](javascript:alert(1)) [ok](https://ok.example)",
            "severity": "critical",
        },
    )
    assert r.status_code == 201, r.get_json()
    text = anon.get("/status/xss").get_data(as_text=True)
    assert "<script" not in text.lower()
    assert "<img src=x" not in text and "onerror=alert" not in text.replace("onerror=alert(1)&gt;", "")
    assert 'href="javascript' not in text.lower()
    assert text.count("&lt;script&gt;") >= 6  # title, description, group, display name, announcement ×2
    assert '<a rel="nofollow noopener" href="https://ok.example">ok</a>' in text
    assert not re.search(r"<img[^>]*onerror", text)
    view = anon.get("/status/xss.json").get_json()
    html = view["announcements"][0]["body_html"]
    assert (
        "<script" not in html and "&lt;script&gt;" in html and "javascript:" not in html.split("[click]")[0]
    )
    assert 'href="javascript' not in html
    # The JSON carries text as given (it's data; an embedding page escapes it), with the safe HTML beside it.
    assert view["title"] == f"T {XSS}"


def test_second_request_within_30s_makes_no_query(app, page, anon):
    from web.extensions import db

    anon.get("/status/acme")  # fill the cache
    anon.get("/status/acme.json")
    anon.get("/status/nope")
    statements = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            assert anon.get("/status/acme").status_code == 200
            assert anon.get("/status/acme.json").status_code == 200
            assert anon.get("/status/nope").status_code == 404
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []


def test_cache_expires_after_30s(app, page):
    from shared import status_pages
    from web.extensions import db

    now = [0.0]
    cache = status_pages.ViewCache(clock=lambda: now[0])
    built = []

    def build(slug):
        built.append(slug)
        with app.app_context():
            return status_pages.build_view(db.session, slug)

    cache.get("acme", build)
    now[0] = 29.9
    cache.get("acme", build)
    assert built == ["acme"]
    now[0] = 30.1
    assert cache.get("acme", build).view["slug"] == "acme"
    assert built == ["acme", "acme"]


def test_a_page_costs_five_queries(app, page):
    from shared import status_pages
    from web.extensions import db

    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        status_pages.build_view(db.session, "acme")
    assert len(statements) == 5  # page, monitors+states, rollups, announcements, maintenance windows


def test_admin_crud_and_audit(client, viewer, page):
    pid = page["page"]["id"]
    listed = client.get("/api/status-pages").get_json()
    assert [p["slug"] for p in listed] == ["acme"] and listed[0]["url"] == "/status/acme"
    r = client.put(f"/api/status-pages/{pid}", json={"title": "Acme, Inc."})
    assert r.status_code == 200 and r.get_json()["title"] == "Acme, Inc." and r.get_json()["slug"] == "acme"
    assert r.get_json()["groups"][0]["monitors"][0]["display_name"] == "Website"
    start = datetime.now(UTC) - timedelta(hours=1)
    r = client.post(
        f"/api/status-pages/{pid}/announcements",
        json={
            "title": "Past",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=5)).isoformat(),
        },
    )
    assert r.status_code == 201
    aid = r.get_json()["id"]
    assert client.get("/status/acme.json").get_json()["announcements"] == []  # over already
    r = client.put(f"/api/status-pages/{pid}/announcements/{aid}", json={"ends_at": None})
    assert r.status_code == 200 and r.get_json()["ends_at"] is None
    assert [a["title"] for a in client.get("/status/acme.json").get_json()["announcements"]] == ["Past"]
    assert len(client.get(f"/api/status-pages/{pid}/announcements").get_json()) == 1
    assert (
        client.put(
            f"/api/status-pages/{pid}/announcements/{aid}",
            json={"ends_at": (start - timedelta(minutes=1)).isoformat()},
        ).status_code
        == 422
    )
    assert client.get(f"/api/status-pages/{pid}/announcements/999").status_code == 405
    assert client.delete(f"/api/status-pages/{pid}/announcements/999").status_code == 404
    assert viewer.get("/api/status-pages").status_code == 403
    assert viewer.post("/api/status-pages", json={"slug": "v", "title": "v"}).status_code == 403
    assert viewer.get("/status/acme").status_code == 200
    actions = [e["action"] for e in client.get("/api/audit").get_json()["items"]]
    assert {"status_page.create", "status_page.update", "status_page.announcement_create"} <= set(actions)
    assert client.delete(f"/api/status-pages/{pid}").status_code == 200
    assert client.get("/status/acme").status_code == 404  # this process's cache was cleared
    assert client.get(f"/api/status-pages/{pid}").status_code == 404
    assert "status_page.delete" in [e["action"] for e in client.get("/api/audit").get_json()["items"]]


def test_deleted_monitor_drops_off_the_page(client, anon, page):
    client.delete(f"/api/monitors/{page['hidden']['id']}")
    from flask import current_app  # noqa: F401 - the app context is the client's

    client.put(f"/api/status-pages/{page['page']['id']}", json={"title": "Acme"})  # clears the cache
    names = [m["name"] for m in anon.get("/status/acme.json").get_json()["groups"][0]["monitors"]]
    assert names == ["Website"]


def test_gzip_for_clients_that_accept_it(page, anon):
    import gzip
    import json

    plain = anon.get("/status/acme")
    packed = anon.get("/status/acme", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert "Content-Encoding" not in plain.headers
    packed = anon.get("/status/acme.json", headers={"Accept-Encoding": "gzip"})
    assert json.loads(gzip.decompress(packed.get_data())) == anon.get("/status/acme.json").get_json()


def test_logo_is_shown_and_allowed_by_the_policy(client, anon, page):
    r = client.put(
        f"/api/status-pages/{page['page']['id']}",
        json={"logo_url": "https://user:pw@cdn.example:8443/logo.png"},
    )
    assert r.status_code == 200, r.get_json()
    html = anon.get("/status/acme")
    assert '<img src="https://user:pw@cdn.example:8443/logo.png" alt="">' in html.get_data(as_text=True)
    csp = html.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://cdn.example:8443;" in csp and "pw" not in csp
    assert anon.get("/status/acme.json").get_json()["logo_url"].endswith("/logo.png")
    r = client.put(f"/api/status-pages/{page['page']['id']}", json={"logo_url": None})
    assert r.status_code == 200 and "logo_url" not in anon.get("/status/acme.json").get_json()
    assert "img-src 'self' data:;" in anon.get("/status/acme").headers["Content-Security-Policy"]
