"""Bad input to /api/status-pages gets a clear 4xx JSON error and stores nothing, on both databases."""

from __future__ import annotations

import pytest

from tests.helpers import create_monitor

OK_PAGE = {"slug": "ok", "title": "OK"}


def _page(**changes):
    return {**OK_PAGE, **changes}


def _one(monitor_id=1, **entry):
    return [{"name": "G", "monitors": [{"monitor_id": monitor_id, **entry}]}]


# (case id, payload, expected status, field expected in "fields" or None)
PAGE_CASES = [
    ("slug with slash", _page(slug="a/b"), 422, "slug"),
    ("slug dot dot", _page(slug=".."), 422, "slug"),
    ("slug with dots", _page(slug="../etc"), 422, "slug"),
    ("slug uppercase", _page(slug="Acme"), 422, "slug"),
    ("slug 65 chars", _page(slug="a" * 65), 422, "slug"),
    ("slug empty", _page(slug=""), 422, "slug"),
    ("slug starts with dash", _page(slug="-a"), 422, "slug"),
    ("slug with space", _page(slug="a b"), 422, "slug"),
    ("slug is a number", _page(slug=5), 422, "slug"),
    ("missing slug", {"title": "x"}, 422, "slug"),
    ("missing title", {"slug": "x"}, 422, "title"),
    ("blank title", _page(title="  "), 422, "title"),
    ("title 201 chars", _page(title="x" * 201), 422, "title"),
    ("title with newline", _page(title="a\nb"), 422, "title"),
    ("title is a list", _page(title=["x"]), 422, "title"),
    ("description 5001 chars", _page(description="x" * 5001), 422, "description"),
    ("description with NUL", _page(description="a\x00b"), 422, "description"),
    ("logo javascript", _page(logo_url="javascript:alert(1)"), 422, "logo_url"),
    ("logo data", _page(logo_url="data:image/png;base64,AAAA"), 422, "logo_url"),
    ("logo ftp", _page(logo_url="ftp://example.com/logo.png"), 422, "logo_url"),
    ("logo no host", _page(logo_url="https:///logo.png"), 422, "logo_url"),
    ("logo is a number", _page(logo_url=5), 422, "logo_url"),
    ("groups is an object", _page(groups={"name": "G"}), 422, "groups"),
    ("group without name", _page(groups=[{"monitors": []}]), 422, "groups.0.name"),
    ("group name 201 chars", _page(groups=[{"name": "x" * 201}]), 422, "groups.0.name"),
    ("51 groups", _page(groups=[{"name": f"g{i}"} for i in range(51)]), 422, "groups"),
    ("unknown monitor", _page(groups=_one(999999)), 422, "groups"),
    ("monitor id a string", _page(groups=_one("1")), 422, "groups.0.monitors.0.monitor_id"),
    ("monitor id zero", _page(groups=_one(0)), 422, "groups.0.monitors.0.monitor_id"),
    ("monitor id too big", _page(groups=_one(2**40)), 422, "groups.0.monitors.0.monitor_id"),
    ("show_target a string", _page(groups=_one(show_target="yes")), 422, "groups.0.monitors.0.show_target"),
    ("display name 201", _page(groups=_one(display_name="x" * 201)), 422, "groups.0.monitors.0.display_name"),
    (
        "display name newline",
        _page(groups=_one(display_name="a\nb")),
        422,
        "groups.0.monitors.0.display_name",
    ),
    (
        "duplicate monitor",
        _page(
            groups=[
                {"name": "A", "monitors": [{"monitor_id": 1}]},
                {"name": "B", "monitors": [{"monitor_id": 1}]},
            ]
        ),
        422,
        "groups.1.monitors.0.monitor_id",
    ),
    ("10,000 monitors", _page(groups=[{"name": "G", "monitors": [{"monitor_id": 1}] * 10_000}]), 422, None),
    (
        "1,001 monitors over groups",
        _page(
            groups=[
                {"name": f"g{i}", "monitors": [{"monitor_id": 1 + i * 143 + k} for k in range(143)]}
                for i in range(7)
            ]
        ),
        422,
        "groups",
    ),
    ("body is a list", [OK_PAGE], 422, None),
]

ANNOUNCEMENT_CASES = [
    (
        "end before start",
        {"title": "x", "starts_at": "2026-01-02T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"},
        "ends_at",
    ),
    (
        "end equals start",
        {"title": "x", "starts_at": "2026-01-02T00:00:00Z", "ends_at": "2026-01-02T00:00:00Z"},
        "ends_at",
    ),
    ("end in the past, start now", {"title": "x", "ends_at": "2020-01-01T00:00:00Z"}, "ends_at"),
    ("start without zone", {"title": "x", "starts_at": "2026-01-02T00:00:00"}, "starts_at"),
    ("start not a date", {"title": "x", "starts_at": "tomorrow"}, "starts_at"),
    ("start a number", {"title": "x", "starts_at": 1700000000}, "starts_at"),
    ("unknown severity", {"title": "x", "severity": "panic"}, "severity"),
    ("severity a list", {"title": "x", "severity": ["info"]}, "severity"),
    ("missing title", {"body": "x"}, "title"),
    ("title 201", {"title": "x" * 201}, "title"),
    ("title a number", {"title": 5}, "title"),
    ("body a number", {"title": "x", "body": 5}, "body"),
    ("body 20001 chars", {"title": "x", "body": "x" * 20001}, "body"),
]


def _stored(client) -> tuple:
    pages = client.get("/api/status-pages").get_json()
    return pages, [client.get(f"/api/status-pages/{p['id']}/announcements").get_json() for p in pages]


@pytest.fixture
def existing(any_db_client):
    client = any_db_client
    monitors = [create_monitor(client, name=f"m{i}")["id"] for i in range(2)]
    r = client.post(
        "/api/status-pages",
        json={"slug": "taken", "title": "Taken", "groups": _one(monitors[0], show_target=True)},
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


@pytest.mark.parametrize(("case", "payload", "status", "field"), PAGE_CASES, ids=[c[0] for c in PAGE_CASES])
def test_bad_page_is_refused_and_nothing_stored(any_db_client, existing, case, payload, status, field):
    client = any_db_client
    before = _stored(client)
    for method, url in (("POST", "/api/status-pages"), ("PUT", f"/api/status-pages/{existing['id']}")):
        if method == "PUT" and case.startswith("missing"):
            continue  # a PUT keeps the stored value of an omitted field
        r = client.open(url, method=method, json=payload)
        assert r.status_code == status, (case, method, r.get_json())
        body = r.get_json()
        assert body["error"], case
        if field:
            assert field in body.get("fields", {}), (case, method, body)
    assert _stored(client) == before


def test_duplicate_slug_is_409(any_db_client, existing):
    client = any_db_client
    before = _stored(client)
    r = client.post("/api/status-pages", json={"slug": "taken", "title": "Again"})
    assert r.status_code == 409 and r.get_json()["fields"] == {"slug": "is taken"}
    other = client.post("/api/status-pages", json={"slug": "other", "title": "Other"}).get_json()
    r = client.put(f"/api/status-pages/{other['id']}", json={"slug": "taken"})
    assert r.status_code == 409
    assert client.get(f"/api/status-pages/{other['id']}").get_json()["slug"] == "other"
    assert _stored(client)[0] == [*before[0], other]


@pytest.mark.parametrize(
    ("case", "payload", "field"), ANNOUNCEMENT_CASES, ids=[c[0] for c in ANNOUNCEMENT_CASES]
)
def test_bad_announcement_is_refused_and_nothing_stored(any_db_client, existing, case, payload, field):
    client = any_db_client
    pid = existing["id"]
    good = client.post(f"/api/status-pages/{pid}/announcements", json={"title": "Fine"})
    assert good.status_code == 201
    before = _stored(client)
    aid = good.get_json()["id"]
    for method, url in (
        ("POST", f"/api/status-pages/{pid}/announcements"),
        ("PUT", f"/api/status-pages/{pid}/announcements/{aid}"),
    ):
        if method == "PUT" and case in ("missing title", "end in the past, start now"):
            continue  # a PUT keeps the stored title and start
        r = client.open(url, method=method, json=payload)
        assert r.status_code == 422, (case, method, r.get_json())
        assert field in r.get_json()["fields"], (case, method, r.get_json())
    assert _stored(client) == before


def test_not_json_and_unknown_ids(any_db_client, existing):
    client = any_db_client
    before = _stored(client)
    pid = existing["id"]
    assert (
        client.post(
            "/api/status-pages", data="slug=x", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 415
    )
    assert client.post("/api/status-pages", data="{", content_type="application/json").status_code == 400
    assert client.post("/api/status-pages", data="", content_type="application/json").status_code == 400
    assert client.get("/api/status-pages/999").status_code == 404
    assert client.put("/api/status-pages/999", json=OK_PAGE).status_code == 404
    assert client.delete("/api/status-pages/999").status_code == 404
    assert client.post("/api/status-pages/999/announcements", json={"title": "x"}).status_code == 404
    assert client.get(f"/api/status-pages/{2**40}").status_code == 404
    assert client.put(f"/api/status-pages/{pid}/announcements/999", json={"title": "x"}).status_code == 404
    for response in (
        client.get("/api/status-pages/999"),
        client.post("/api/status-pages/999/announcements", json={}),
    ):
        assert response.is_json and response.get_json()["error"]
    assert _stored(client) == before


def test_public_page_on_both_databases(any_db_client, existing):
    from tests.auth import anonymous

    anon = anonymous(any_db_client.application)
    view = anon.get("/status/taken.json").get_json()
    assert [m["name"] for m in view["groups"][0]["monitors"]] == ["m0"]
    assert len(view["groups"][0]["monitors"][0]["days"]) == 90
    assert anon.get("/status/taken").status_code == 200
    assert anon.get("/status/missing").status_code == 404
