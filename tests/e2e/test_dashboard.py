"""The dashboard in a real browser against the real server: every step of the README, by clicking.

The processes (web, gateway, worker, beat) and the database are real; only some history is written
straight into the database (``seed``), because nobody wants to wait 72 hours for bars.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from agent_gateway import protocol
from tests.e2e import seed
from tests.e2e.conftest import SCREENSHOTS, new_context, screenshot
from tests.peers.http_server import HttpPeer
from tests.peers.webhook_receiver import WebhookReceiver
from tests.processes import wait_for

pytestmark = pytest.mark.slow

SECRET = "e2e shared secret"


def field_error(page: Page, label: str) -> str:
    """The message tied to a field by aria-describedby: what a screen reader reads with it."""
    control = page.get_by_label(label, exact=True)
    expect(control).to_have_attribute("aria-invalid", "true")
    ids = (control.get_attribute("aria-describedby") or "").split()
    return " ".join(page.locator(f"[id='{i}']").inner_text() for i in ids)


def row(page: Page, name: str):
    return page.get_by_role("listitem").filter(has=page.get_by_role("link", name=name, exact=True))


@pytest.fixture(scope="module")
def peer():
    with HttpPeer() as server:
        server.set(path="/slow", delay=0.12)
        yield server


def test_add_monitor_with_test_then_save_and_watch_it_turn_ok(page: Page, stack, peer):
    page.clock.install()  # real time flows; fast_forward skips to the next auto-refresh
    page.goto("/")
    expect(page.get_by_role("heading", name="No monitors yet")).to_be_visible()
    page.get_by_role("link", name="Add Monitor").first.click()
    expect(page).to_have_url(f"{stack.url}/monitors/new")

    page.get_by_label("HTTP", exact=True).check()
    page.get_by_label("Name").fill("Peer API")
    page.get_by_label("URL", exact=True).fill("file:///etc/passwd")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("URL", exact=True)).to_have_attribute("aria-invalid", "true")
    assert "must start with http://" in field_error(page, "URL")
    expect(page.get_by_label("URL", exact=True)).to_be_focused()

    page.get_by_label("URL", exact=True).fill(peer.url)
    page.get_by_label("Interval (seconds)").fill("10")
    page.get_by_label("Timeout (seconds)").fill("5")
    page.get_by_text("Threshold Settings").click()
    expect(page.get_by_label("OK when latency ≤ (ms)")).to_have_attribute("placeholder", "80 (default)")
    expect(page.get_by_label("Degraded when latency ≤ (ms)")).to_have_attribute(
        "placeholder", "200 (default)"
    )
    page.get_by_role("button", name="Test", exact=True).click()
    result = page.get_by_test_id("test-result")
    expect(result).to_contain_text("OK")
    expect(result).to_contain_text("HTTP 200")
    assert stack.api("GET", "/api/monitors").json() == []  # Test stores nothing

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Peer API")).to_be_visible()
    monitor = stack.api("GET", "/api/monitors").json()[0]
    assert (monitor["target"], monitor["interval_seconds"], monitor["thresholds"]["ok_ms"]) == (
        peer.url,
        10,
        None,
    )

    # To the dashboard without a reload, then wait for the worker's first check and one auto-refresh.
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    line = row(page, "Peer API")
    expect(line).to_contain_text("HTTP")
    expect(line).to_contain_text(peer.url)
    expect(line).to_contain_text("Server")
    wait_for(
        lambda: stack.api("GET", f"/api/monitors/{monitor['id']}").json()["status"] == "ok",
        25,
        "the first check by the worker: " + stack.log_tail("worker"),
    )
    bar = line.get_by_role("slider")
    checked = re.compile(r"OK, \d+ checks? \(\d+ ok")
    for _ in range(4):  # a refresh may land between the check's commit and the bars' query
        page.clock.fast_forward("00:16")
        time.sleep(1)
        if checked.search(bar.get_attribute("aria-valuetext") or ""):
            break
    expect(bar).to_have_attribute("aria-valuetext", checked)
    expect(line.locator(".badge")).to_have_text("OK")
    expect(line).to_contain_text("100% uptime")
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    assert page.evaluate("window.__onlinetracker.refreshes") >= 1


def test_dashboard_bars_tooltips_and_detail_page(page: Page, stack, peer):
    ids = seed.add_monitors(
        stack.db_url,
        [
            {
                "name": "Customer API",
                "type": "http",
                "target": f"{peer.url}api",
                "interval_seconds": 30,
                "timeout_seconds": 5,
            },
            {
                "name": "Search (slow path)",
                "type": "http",
                "target": f"{peer.url}slow",
                "interval_seconds": 30,
                "timeout_seconds": 5,
            },
            {
                "name": "Gateway ping",
                "type": "ping",
                "target": "127.0.0.1",
                "interval_seconds": 30,
                "timeout_seconds": 5,
            },
            {
                "name": "Legacy CRM",
                "type": "http",
                "target": "http://127.0.0.1:9/crm",
                "interval_seconds": 30,
                "timeout_seconds": 5,
            },
            {
                "name": "Status page",
                "type": "http",
                "target": f"{peer.url}status",
                "interval_seconds": 60,
                "timeout_seconds": 5,
            },
        ],
    )
    api, search, ping, crm, status_page = ids
    seed.add_history(
        stack.db_url,
        {
            api: seed.Profile(degraded=0.02, outages=[(150, 153, "down")]),
            search: seed.Profile(degraded=0.25, latency=(60, 95)),
            ping: seed.Profile(degraded=0.0, latency=(0.5, 3), details="5/5 replies"),
            crm: seed.Profile(
                degraded=0.05, outages=[(40, 70, "down"), (270, 287, "down")], details="connection refused"
            ),
            status_page: seed.Profile(degraded=0.01, no_data=0.02),
        },
    )
    seed.add_results(stack.db_url, api, 130)

    total = len(stack.api("GET", "/api/monitors").json())
    page.goto("/")
    customer = row(page, "Customer API")
    expect(customer.get_by_role("slider")).to_have_attribute("data-loaded", "true")
    expect(page.get_by_test_id("count-all")).to_have_text(f"All monitors{total}")
    expect(customer).to_contain_text("down in 4 periods")

    # Hovering a bucket shows its time, counts and average latency.
    bar = customer.get_by_role("slider")
    box = bar.bounding_box()
    page.mouse.move(box["x"] + box["width"] * (151.5 / 288), box["y"] + box["height"] / 2)
    tooltip = page.get_by_role("tooltip")
    expect(tooltip).to_contain_text("Down")
    expect(tooltip).to_contain_text("0 ok · 0 degraded · 15 down")
    page.mouse.move(box["x"] + box["width"] * (10.5 / 288), box["y"] + box["height"] / 2)
    expect(tooltip).to_contain_text(" ok · ")
    expect(tooltip).to_contain_text("avg ")
    crm_bar = row(page, "Legacy CRM").get_by_role("slider").bounding_box()
    page.mouse.move(crm_bar["x"] + crm_bar["width"] * (55.5 / 288), crm_bar["y"] + crm_bar["height"] / 2)
    expect(tooltip).to_contain_text("15 down")
    screenshot(page, "dashboard", full_page=False)
    page.mouse.move(0, 0)

    # The keyboard reads the same: focus the bar, move with the arrow keys.
    bar.focus()
    page.keyboard.press("Home")
    expect(page.get_by_role("tooltip")).to_be_visible()
    assert bar.get_attribute("aria-valuenow") == "0"
    page.keyboard.press("Escape")

    # Click through to the detail page, then open it directly (a reload keeps the client route).
    customer.get_by_role("link", name="Customer API").click()
    expect(page).to_have_url(f"{stack.url}/monitors/{api}")
    page.goto(f"/monitors/{api}")
    expect(page.get_by_role("heading", name="Customer API", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="24 hours")).to_have_attribute("aria-pressed", "true")
    for period in ("Week", "Month", "Year"):
        page.get_by_role("button", name=period, exact=True).click()
        expect(page.locator(".uptime-histogram rect").first).to_be_attached()
    page.get_by_role("button", name="24 hours").click()
    expect(page.get_by_role("img", name=re.compile("Average latency per 15 minutes"))).to_be_visible()

    info = page.get_by_test_id("page-info")
    expect(info).to_contain_text("Page 1 of 6")  # 130 results, 25 a page
    screenshot(page, "monitor-detail")
    first_row = page.locator("table.results tbody tr").first
    first_page = first_row.inner_text()
    page.get_by_role("button", name="Older →").click()
    expect(info).to_contain_text("Page 2 of 6")
    expect(first_row).not_to_have_text(first_page)
    expect(page).to_have_url(re.compile(r"page=2"))
    page.reload()
    expect(info).to_contain_text("Page 2 of 6")
    page.get_by_label("Per page").select_option("100")
    expect(info).to_contain_text("Page 1 of 2")
    expect(page.locator("table.results tbody tr")).to_have_count(100)
    expect(page.get_by_role("button", name="← Newer")).to_be_disabled()

    page.get_by_role("button", name="Test now").click()
    expect(page.get_by_test_id("test-result")).to_contain_text("HTTP 200")

    # Edit: the form comes filled; change the name and save.
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Name")).to_have_value("Customer API")
    page.get_by_label("Name").fill("Customer API v2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Customer API v2", level=1)).to_be_visible()

    # Delete asks first; Cancel keeps it, confirming removes it.
    page.goto(f"/monitors/{crm}")
    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("alertdialog", name="Delete this monitor?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete monitor").click()
    expect(page).to_have_url(f"{stack.url}/")
    expect(page.get_by_text("Monitor “Legacy CRM” deleted.")).to_be_visible()
    assert stack.api("GET", f"/api/monitors/{crm}").status_code == 404
    expect(row(page, "Legacy CRM")).to_have_count(0)


def test_settings_are_kept_after_a_reload(page: Page, stack):
    page.goto("/settings/monitoring")
    ok = page.get_by_label("OK threshold (ms)")
    expect(ok).to_have_value("80")
    ok.fill("500")
    page.get_by_role("button", name="Save").click()
    assert "less than degraded_ms" in field_error(page, "OK threshold (ms)")
    ok.fill("90")
    page.get_by_label("Ping count").fill("3")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Monitoring defaults saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("OK threshold (ms)")).to_have_value("90")
    expect(page.get_by_label("Ping count")).to_have_value("3")
    screenshot(page, "settings-monitoring")

    # New monitors show the new default as their placeholder.
    page.goto("/monitors/new")
    page.get_by_text("Threshold Settings").click()
    expect(page.get_by_label("OK when latency ≤ (ms)")).to_have_attribute("placeholder", "90 (default)")

    with WebhookReceiver() as hook:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
        page.get_by_role("link", name="Alerts").click()
        expect(page).to_have_url(f"{stack.url}/settings/alerts")
        page.get_by_label("Repeated").check()
        page.get_by_label("Repeat every (minutes)").fill("15")
        page.get_by_label("Webhook URL").fill(hook.url)
        page.get_by_label("SMTP host").fill("127.0.0.1")
        page.get_by_label("SMTP port").fill("1")
        page.get_by_label("SMTP password").fill("not shown again")
        page.get_by_label("Alert email").fill("ops@example.com")
        page.get_by_role("button", name="Save and send test").click()
        results = page.get_by_role("list", name="Test alert results")
        expect(results).to_contain_text("Webhook: sent")
        expect(results).to_contain_text("Email: failed")
        assert hook.wait_for(1)[0]["monitor"]
    expect(page.get_by_test_id("smtp-password-state")).to_have_text("set")
    page.reload()
    expect(page.get_by_label("Repeated")).to_be_checked()
    expect(page.get_by_label("Repeat every (minutes)")).to_have_value("15")
    expect(page.get_by_label("SMTP password")).to_have_value("")
    expect(page.get_by_test_id("smtp-password-state")).to_have_text("set")
    screenshot(page, "settings-alerts")
    stored = stack.api("GET", "/api/settings").json()
    assert stored["alerts"]["smtp_password_set"] is True and "smtp_password" not in stored["alerts"]


def _register(stack, agent_uuid: str, name: str):
    import requests

    body = json.dumps({"uuid": agent_uuid, "name": name}).encode()
    path = "/api/agents/register"
    headers = protocol.signed_headers(SECRET, agent_uuid, "POST", path, body)
    return requests.post(stack.gateway + path, data=body, headers=headers, timeout=10)


def test_approve_a_pending_agent(page: Page, stack):
    page.goto("/settings/agents")
    expect(page.get_by_test_id("secret-state")).to_have_text("not set")
    page.get_by_label("Shared secret").fill(SECRET)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("secret-state")).to_have_text("set")
    expect(page.get_by_label("Shared secret")).to_have_value("")

    agent_uuid = str(uuid.uuid4())
    assert _register(stack, agent_uuid, "edge-frankfurt").status_code == 403  # pending now
    pending = page.get_by_test_id("pending-count")
    expect(pending).to_have_text("1", timeout=10_000)  # the tab polls; no reload
    page.get_by_text("Pending Connection Requests").click()
    request = page.locator(f"tr[data-uuid='{agent_uuid}']")
    expect(request).to_contain_text("edge-frankfurt")
    expect(request).to_contain_text("127.0.0.1")
    screenshot(page, "settings-agents")

    request.get_by_role("button", name="Approve edge-frankfurt").click()
    expect(page.get_by_text("Approved edge-frankfurt")).to_be_visible()
    expect(pending).to_have_text("0")
    expect(page.locator(".uuid-list")).to_contain_text(agent_uuid)
    assert agent_uuid in stack.api("GET", "/api/settings").json()["agents"]["allowed_agent_uuids"]

    assert _register(stack, agent_uuid, "edge-frankfurt").status_code == 200
    agents = page.get_by_role("table", name="Agents")
    expect(agents).to_contain_text("edge-frankfurt", timeout=10_000)
    expect(agents).to_contain_text("Online")

    # The approved agent can be picked in the monitor form; "Server" stays the default.
    page.goto("/monitors/new")
    select = page.get_by_label("Checked from")
    expect(select).to_have_value("")
    expect(select.locator("option")).to_have_text(["Server", "edge-frankfurt (online)"])


def test_phone_layout_and_keyboard(browser, stack):
    (mobile,) = seed.add_monitors(
        stack.db_url,
        [
            {
                "name": "Checkout",
                "type": "https",
                "target": "https://shop.example.com/checkout",
                "enabled": False,
            }
        ],
    )
    seed.add_history(stack.db_url, {mobile: seed.Profile(degraded=0.03, outages=[(200, 203, "down")])})
    context = new_context(browser, stack, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone = context.new_page()
        phone.goto("/")
        expect(phone.locator(".history-bar[data-loaded='true']").first).to_be_visible()
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the dashboard is {overflow} px wider than a phone screen"
        screenshot(phone, "dashboard-phone", full_page=False)
        phone.goto("/monitors/new")
        assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        for path in (
            "/settings/agents",
            "/settings/users",
            "/settings/tokens",
            "/settings/audit",
            "/account/two-factor",
        ):
            phone.goto(path)
            expect(phone.locator("main h2, main button.primary").first).to_be_visible()
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} is {overflow} px wider than a phone screen"
    finally:
        context.close()

    context = new_context(browser, stack)
    try:
        tab = context.new_page()
        tab.goto("/")
        expect(tab.get_by_role("list", name="Monitors")).to_be_visible()
        tab.keyboard.press("Tab")
        expect(tab.get_by_role("link", name="Skip to content")).to_be_focused()
        focused = []
        for _ in range(6):
            tab.keyboard.press("Tab")
            focused.append(tab.evaluate("document.activeElement.textContent.trim()"))
        assert "Add Monitor" in " ".join(focused) and "Settings" in focused
        outline = tab.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", "the focused control has no visible focus style"
        tab.get_by_role("link", name="Add Monitor").focus()
        tab.keyboard.press("Enter")
        expect(tab.get_by_role("heading", name="Add monitor")).to_be_visible()
    finally:
        context.close()


def test_a_silent_monitor_shows_stale_and_its_agent_offline(page: Page, stack):
    """Nothing ran these checks for an hour (an agent nobody runs): the API says stale at once, beat's
    sweep writes the alerts, and every screen says it in words."""
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    agent = seed.add_agent(stack.db_url, "warehouse-pi", last_seen_at=hour_ago)
    (scanner,) = seed.add_monitors(
        stack.db_url,
        [
            {
                "name": "Warehouse scanner",
                "type": "ping",
                "target": "10.0.9.9",
                "agent_id": agent,
                "changed_at": hour_ago - timedelta(hours=1),
            }
        ],
    )
    seed.set_state(stack.db_url, scanner, "ok", hour_ago, location=agent, details="5/5 replies")
    assert stack.api("GET", f"/api/monitors/{scanner}").json()["status"] == "stale"

    page.goto("/")
    line = row(page, "Warehouse scanner")
    badge = line.locator(".badge")
    expect(badge).to_have_text("Stale")
    expect(badge).to_have_attribute("title", re.compile("are the workers, beat or the agent running"))
    stale_count = page.get_by_test_id("count-stale")
    expect(stale_count).to_have_text(re.compile(r"Stale\s*[1-9]"))
    expect(page.get_by_test_id("stale-notice")).to_contain_text("No result for 3 intervals")
    stale_count.click()
    listed = page.get_by_role("list", name="Monitors")
    expect(listed.locator(".badge")).not_to_have_count(0)
    expect(listed.locator(".badge").filter(has_not_text="Stale")).to_have_count(0)
    expect(line).to_be_visible()

    line.get_by_role("link", name="Warehouse scanner").click()
    expect(page.get_by_test_id("stale-explanation")).to_contain_text(
        "Checked from agent warehouse-pi every 1 min; the last result came 1 h ago."
    )
    expect(page.locator(".status-card .badge")).to_have_text("Stale")

    page.goto("/settings/agents")
    agent_row = page.locator(f"tr[data-agent-id='{agent}']")
    expect(agent_row).to_contain_text("Offline")
    expect(agent_row).to_contain_text("Its monitor is not checked")

    # Beat's sweep (every 15 s) turns the silence into alert events; the history names them.
    def events() -> set[tuple[str, str]]:
        items = stack.api("GET", "/api/alerts?limit=500").json()["items"]
        return {(e["event"], e["monitor"]) for e in items}

    wanted = {("stale", "Warehouse scanner"), ("agent_offline", "warehouse-pi")}
    wait_for(lambda: wanted <= events(), 40, "beat's silence sweep: " + stack.log_tail("beat"))
    agent_event = next(
        e for e in stack.api("GET", "/api/alerts?limit=500").json()["items"] if e["event"] == "agent_offline"
    )
    assert agent_event["type"] == "agent" and agent_event["monitor_id"] is None
    page.goto("/settings/alerts")
    history = page.get_by_role("table", name="Recent alerts")
    expect(history.locator("tr[data-event='stale']").first).to_contain_text("Stale")
    expect(history.locator("tr[data-event='stale']").first).to_contain_text("Warehouse scanner")
    offline = history.locator("tr[data-event='agent_offline']").filter(has_text="warehouse-pi")
    expect(offline).to_contain_text("Agent offline")
    expect(offline.get_by_role("link", name="warehouse-pi")).to_have_attribute("href", "/settings/agents")
    panel = page.locator("section[aria-labelledby='alert-history-title']")
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(SCREENSHOTS / "alert-history.png"))
