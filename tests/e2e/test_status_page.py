"""The public status page in headless Chromium, without a session, at desktop and phone widths.

A real ``onlinetracker web`` on a database of this module's own (no dashboard build needed):
monitors made through the API, 90 days of daily rollups and current states written as the
workers would, a page and an announcement made through the admin API.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from shared.buckets import DAY, bucket_starts
from shared.db import make_engine, migrate
from shared.models import MonitorState, Rollup
from tests import services
from tests.auth import create_user_cli, http_sign_in
from tests.e2e.conftest import screenshot
from tests.processes import command, start, stop, wait_http
from tests.services import free_port

HIDDEN = "db-primary.internal.example"

MONITORS = [
    # (name, target, state, group, display name, show_target)
    ("www", "https://www.acme.example/", "ok", 0, "Website", True),
    ("api", "https://api.acme.example/health", "ok", 0, "Public API", True),
    ("login", "https://login.acme.example/", "degraded", 0, "Sign-in", False),
    ("db", f"http://{HIDDEN}:5432/", "ok", 1, "Database", False),
    ("mail", "http://mail.acme.example/", "ok", 1, "E-mail delivery", False),
    ("cdn", "https://cdn.acme.example/", "ok", 1, "CDN", False),
]


@pytest.fixture(scope="module")
def site(_services, tmp_path_factory):
    admin_url, redis_url = _services
    name = f"ot_e2e_status_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    db_url = services.create_database(admin_url, name).replace("postgresql://", "postgresql+psycopg2://")
    engine = make_engine(db_url)
    migrate(engine)
    folder = tmp_path_factory.mktemp("status-page")
    env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(folder / "data"),
        "BIND_HOST": "127.0.0.1",
    }
    port = free_port()
    web = start(command("web", "--port", str(port)), env, folder / "web.log")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/healthz", web, timeout=60)
        assert create_user_cli(env, "admin", "admin").returncode == 0
        api = http_sign_in(url)
        ids = []
        for monitor_name, target, *_ in MONITORS:
            made = api.post(
                f"{url}/api/monitors",
                json={"name": monitor_name, "type": target.split(":")[0], "target": target},
                timeout=30,
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
        now = datetime.now(UTC)
        with engine.begin() as conn:
            rows = []
            for n, mid in enumerate(ids):
                for d, day in enumerate(bucket_starts(now, DAY, 90)):
                    down = 40 if (n == 1 and d in (23, 24)) or (n == 4 and d == 71) else 0
                    degraded = 90 if (n == 2 and d % 17 == 5) or (n == 0 and d == 80) else 0
                    ok = 0 if n == 5 and d < 20 else 1440 - down - degraded  # the CDN is newer
                    rows.append(
                        {"monitor_id": mid, "resolution": DAY, "bucket_start": day, "ok": ok}
                        | {
                            "degraded": degraded if ok else 0,
                            "down": down,
                            "latency_sum": 0.0,
                            "latency_count": 0,
                        }
                    )
            conn.execute(Rollup.__table__.insert(), rows)
            conn.execute(
                MonitorState.__table__.insert(),
                [
                    {"monitor_id": mid, "location": 0, "status": m[2], "since": now, "last_checked_at": now}
                    | {"ssl_warned": False}
                    for mid, m in zip(ids, MONITORS, strict=True)
                ],
            )
        groups = [
            {
                "name": group,
                "monitors": [
                    {"monitor_id": mid, "display_name": m[4], "show_target": m[5]}
                    for mid, m in zip(ids, MONITORS, strict=True)
                    if m[3] == g
                ],
            }
            for g, group in enumerate(["Website and API", "Infrastructure"])
        ]
        page = api.post(
            f"{url}/api/status-pages",
            json={
                "slug": "acme",
                "title": "Acme Cloud",
                "description": "Live status of Acme's public services.",
                "groups": groups,
            },
            timeout=30,
        )
        assert page.status_code == 201, page.text
        note = api.post(
            f"{url}/api/status-pages/{page.json()['id']}/announcements",
            json={
                "title": "Slow sign-ins",
                "body": "Sign-ins take **up to 10 s** for some users; we are on it.\n\n"
                "Updates on [our blog](https://blog.acme.example/).",
                "severity": "warning",
            },
            timeout=30,
        )
        assert note.status_code == 201, note.text
        yield url
    finally:
        stop(web)
        engine.dispose()
        services.drop_database(admin_url, name)


def _open(browser, site: str, width: int, height: int):
    context = browser.new_context(base_url=site, viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(str(exc)))
    tab.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
    tab.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    response = tab.goto("/status/acme")
    assert response.status == 200
    return context, tab, problems


def test_public_page_on_desktop(browser, site):
    context, tab, problems = _open(browser, site, 1280, 900)
    try:
        assert context.cookies() == []  # no session at all
        expect(tab.get_by_role("heading", name="Acme Cloud")).to_be_visible()
        overall = tab.get_by_label("Overall status")
        expect(overall).to_have_text("Some systems degraded")
        expect(overall.locator("svg")).to_have_count(1)  # an icon beside the word
        for *_, display, _show in MONITORS:
            expect(tab.locator(".monitor .name", has_text=display).first).to_be_visible()
        signin = tab.locator(".monitor", has_text="Sign-in")
        expect(signin.locator(".state")).to_have_text("Degraded")
        expect(tab.locator(".monitor", has_text="Website").locator(".target")).to_have_text(
            "https://www.acme.example/"
        )
        expect(signin.locator(".bar")).to_have_count(90)
        api = tab.locator(".monitor", has_text="Public API")
        expect(api.locator(".bars")).to_have_attribute("aria-label", "Last 90 days: 99.94 % uptime")
        expect(api.locator(".bar.outage")).to_have_count(2)
        expect(tab.locator(".announcement")).to_contain_text("Slow sign-ins")
        expect(tab.locator(".announcement strong")).to_have_text("up to 10 s")
        html = tab.content()
        assert HIDDEN not in html and "<script" not in html
        assert tab.locator(".monitor .bar:visible").count() == 6 * 90
        screenshot(tab, "status-page")
    finally:
        context.close()
    assert not problems, problems


def test_public_page_on_a_phone(browser, site):
    context, tab, problems = _open(browser, site, 390, 844)
    try:
        expect(tab.get_by_label("Overall status")).to_have_text("Some systems degraded")
        overflow = tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
        website = tab.locator(".monitor", has_text="Website")
        assert website.locator(".bar:visible").count() == 30  # the last 30 days fit a phone
        expect(website.locator(".legend")).to_contain_text("30 days ago")
        screenshot(tab, "status-page-phone")
        assert tab.request.get("/status/acme.json").json()["state"] == "degraded"
    finally:
        context.close()
    assert not problems, problems
