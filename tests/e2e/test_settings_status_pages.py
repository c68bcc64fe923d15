"""Settings > Status pages and Settings > Maintenance in headless Chromium against the real stack.

An admin makes a status page through the form (two monitors picked into a group, one renamed
and reordered, an announcement), opens its public page from the list (a new tab) and sees it
there; then plans a maintenance window over one monitor and sees that monitor in maintenance.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot


def _monitor(stack, name: str, target: str, enabled: bool = False) -> int:
    made = stack.api(
        "POST",
        "/api/monitors",
        json={
            "name": name,
            "type": "http",
            "target": target,
            "enabled": enabled,
            "agent_id": None,
            "thresholds": {},
        },
    )
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_status_page_made_in_settings_opens_in_a_new_tab(page, stack):
    _monitor(stack, "sp-e2e shop", "http://127.0.0.1:9/shop")
    _monitor(stack, "sp-e2e api", "http://127.0.0.1:9/api")

    page.goto("/settings/status-pages")
    expect(page.get_by_text("No status pages yet.")).to_be_visible()
    page.get_by_role("button", name="New status page").click()
    page.get_by_label("Slug").fill("Bad Slug")
    page.get_by_label("Title", exact=True).fill("Acme services")
    page.get_by_label("Description").fill("Live status of the Acme shop.")
    group = page.get_by_role("group", name="Group 1")
    group.get_by_label("Group 1 name").fill("Storefront")
    pick = group.get_by_label("Add a monitor to group 1")
    pick.select_option(label="sp-e2e shop")
    group.get_by_role("button", name="Add to group").click()
    pick.select_option(label="sp-e2e api")
    group.get_by_role("button", name="Add to group").click()
    group.get_by_role("button", name="Move sp-e2e api up").click()
    group.get_by_label("Display name for sp-e2e shop").fill("Web shop")
    group.get_by_label("Show target of sp-e2e api").check()

    # The API's message lands by the slug input; fixed, the page is made.
    page.get_by_role("button", name="Create page").click()
    expect(page.locator(".field.has-error").filter(has=page.get_by_label("Slug"))).to_contain_text(
        "lowercase"
    )
    page.get_by_label("Slug").fill("acme")
    page.get_by_role("button", name="Create page").click()
    expect(page.get_by_text("Status page acme created.")).to_be_visible()

    saved = stack.api("GET", "/api/status-pages").json()
    assert [(p["slug"], p["title"]) for p in saved] == [("acme", "Acme services")]
    monitors = saved[0]["groups"][0]["monitors"]
    assert [(m["display_name"], m["show_target"]) for m in monitors] == [(None, True), ("Web shop", False)]

    page.get_by_role("button", name="Add announcement").click()
    page.get_by_label("Announcement title").fill("Checkout slow")
    page.get_by_label("Text (markdown)").fill("We are **on it**.")
    page.get_by_label("Severity").select_option("warning")
    page.get_by_role("button", name="Save announcement").click()
    expect(page.locator(".announcement-list")).to_contain_text("Checkout slow")

    page.evaluate("window.scrollTo(0, 0)")  # the sticky bar at the top of the full-page picture
    screenshot(page, "settings-status-pages")

    # The list's link opens the public page in a new tab: the live preview.
    link = page.get_by_role("table", name="Status pages").get_by_role("link", name="/status/acme")
    expect(link).to_have_attribute("target", "_blank")
    with page.context.expect_page() as opened:
        link.click()
    public = opened.value
    public.wait_for_load_state()
    assert public.url.endswith("/status/acme")
    expect(public.get_by_role("heading", name="Acme services")).to_be_visible()
    expect(public.get_by_text("Web shop")).to_be_visible()
    expect(public.get_by_text("Checkout slow")).to_be_visible()
    expect(public.get_by_text("Storefront")).to_be_visible()


def test_maintenance_window_made_in_settings(page, stack):
    # Enabled: a paused monitor shows Paused, not maintenance (the check fails, which the window hides).
    shop = _monitor(stack, "mw-e2e shop", "http://127.0.0.1:9/mw", enabled=True)
    page.goto("/settings/maintenance")
    page.get_by_role("button", name="New window").click()
    page.get_by_label("Title", exact=True).fill("Database upgrade")
    page.get_by_role("checkbox", name="mw-e2e shop").check()
    now = datetime.now(UTC).astimezone()
    fmt = "%Y-%m-%dT%H:%M"
    page.get_by_label("Start", exact=True).fill((now - timedelta(minutes=5)).strftime(fmt))
    page.get_by_label("End", exact=True).fill((now + timedelta(hours=2)).strftime(fmt))
    page.get_by_role("button", name="Create window").click()
    expect(page.get_by_text("Maintenance window “Database upgrade” created.")).to_be_visible()

    page.get_by_role("button", name="New window").click()
    page.get_by_label("Title", exact=True).fill("Sunday patching")
    page.get_by_label("All monitors").check()
    page.get_by_label("Recurring").check()
    page.get_by_label("Sun", exact=True).check()
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Create window").click()
    expect(page.get_by_text("Maintenance window “Sunday patching” created.")).to_be_visible()

    page.reload()
    first = page.get_by_role("row").nth(1)
    expect(first).to_contain_text("Database upgrade")
    expect(first.locator(".badge.s-maintenance")).to_have_text("Maintenance")
    expect(page.get_by_role("row").filter(has_text="Sunday patching")).to_contain_text("upcoming")
    screenshot(page, "settings-maintenance")

    assert stack.api("GET", f"/api/monitors/{shop}").json()["status"] == "maintenance"
    page.goto(f"/monitors/{shop}")
    expect(page.locator(".status-card .badge.s-maintenance")).to_have_text("Maintenance")


def test_badges_panel_turns_badges_on_and_renews_the_url(page, stack):
    shop = _monitor(stack, "badge-e2e shop", "http://127.0.0.1:9/badge")
    page.goto(f"/monitors/{shop}")
    panel = page.get_by_test_id("badges-panel")
    expect(panel).to_contain_text("Badges are off")
    # A click, not check(): the box follows the saved monitor, so it turns on once the PUT answered.
    panel.get_by_label("Public badges").click()
    expect(panel.get_by_label("Public badges")).to_be_checked()
    image = panel.get_by_alt_text("badge-e2e shop status badge")
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    old = image.get_attribute("src")
    assert old and old.endswith("/status.svg"), old
    assert (
        panel.get_by_role("textbox", name="Uptime 30 days, Markdown")
        .input_value()
        .endswith(old.replace("/status.svg", "/uptime-30d.svg") + ")")
    )
    assert page.request.get(old).status == 200

    panel.get_by_role("button", name="New badge URL").click()
    page.get_by_role("alertdialog").get_by_role("button", name="New badge URL").click()
    expect(panel).to_contain_text("the old badge URLs no longer work")
    new = image.get_attribute("src")
    assert new != old
    assert page.request.get(old).status == 404
    assert page.request.get(new).status == 200
    assert stack.api("GET", f"/api/monitors/{shop}").json()["badges"] is True
