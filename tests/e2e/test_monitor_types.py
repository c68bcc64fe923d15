"""TCP, DNS, heartbeat and HTTP-with-assertions monitors made through the form, in a real browser.

Real loopback peers answer the checks (an HTTP server, a DNS server); a heartbeat's push URL is read
off its page and called from here, as a cron job would. The form must show each type's own fields
and no others. Runs after test_dashboard.py (which starts from an empty dashboard).
"""

from __future__ import annotations

import re
import time

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import new_context, screenshot
from tests.peers.dns_server import serve_dns
from tests.peers.http_server import HttpPeer
from tests.processes import wait_for

pytestmark = pytest.mark.slow

CHECK_FIELDS = ("Interval (seconds)", "Timeout (seconds)", "Checked from")
DNS_FIELDS = ("Record type", "DNS server", "Expected values")
HEARTBEAT_FIELDS = ("Expected every", "Grace (seconds)")
TARGET_LABELS = ("Target", "URL", "Host and port", "Domain")


def field_error(page: Page, label: str) -> str:
    control = page.get_by_label(label, exact=True)
    expect(control).to_have_attribute("aria-invalid", "true")
    ids = (control.get_attribute("aria-describedby") or "").split()
    return " ".join(page.locator(f"[id='{i}']").inner_text() for i in ids)


def shown(page: Page, *labels: str) -> None:
    for label in labels:
        expect(page.get_by_label(label, exact=True)).to_be_visible()


def absent(page: Page, *labels: str) -> None:
    for label in labels:
        expect(page.get_by_label(label, exact=True)).to_have_count(0)


def pick(page: Page, type_label: str) -> None:
    page.get_by_role("group", name="Type").get_by_label(type_label, exact=True).check()


def saved(stack, name: str) -> dict:
    return next(m for m in stack.api("GET", "/api/monitors").json() if m["name"] == name)


@pytest.fixture(scope="module")
def http_peer():
    with HttpPeer() as server:
        server.set(
            path="/health", body=b'{"status": "up", "db": "ok"}', headers={"Content-Type": "application/json"}
        )
        yield server


@pytest.fixture(scope="module")
def dns_peer():
    with serve_dns() as peer:
        peer.add("shop.example.test", "A", "192.0.2.10", "192.0.2.11")
        yield peer


def test_tcp_and_dns_monitors_through_the_form(page: Page, stack, http_peer, dns_peer):
    page.goto("/monitors/new")
    expect(page.get_by_role("heading", name="Add monitor")).to_be_visible()
    types = page.get_by_role("group", name="Type").get_by_role("radio")
    expect(types).to_have_count(7)

    # TCP: host:port, the usual interval / timeout / location, nothing of HTTP, DNS or heartbeats.
    pick(page, "TCP")
    target = page.get_by_label("Host and port", exact=True)
    expect(target).to_have_attribute("placeholder", "host:port")
    shown(page, *CHECK_FIELDS)
    absent(page, "URL", "Domain", *DNS_FIELDS, *HEARTBEAT_FIELDS)
    expect(page.get_by_text("Advanced request & assertions")).to_have_count(0)
    expect(page.get_by_label("Timeout (seconds)", exact=True)).to_have_value("")
    expect(page.get_by_label("Timeout (seconds)", exact=True)).to_have_attribute(
        "placeholder", "10 (default)"
    )
    page.get_by_label("Name", exact=True).fill("Peer port")
    target.fill("127.0.0.1")
    page.get_by_role("button", name="Save").click()
    assert "host:port" in field_error(page, "Host and port")
    expect(target).to_be_focused()
    target.fill(f"127.0.0.1:{http_peer.port}")
    page.get_by_label("Interval (seconds)", exact=True).fill("15")
    expect(page.get_by_label("Timeout (seconds)", exact=True)).to_have_attribute(
        "placeholder", "10 (default)"
    )
    page.get_by_role("button", name="Test", exact=True).click()
    expect(page.get_by_test_id("test-result")).to_contain_text("OK")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Peer port", level=1)).to_be_visible()
    settings = page.get_by_test_id("check-settings")
    expect(settings).to_contain_text("Host127.0.0.1")
    expect(settings).to_contain_text(f"Port{http_peer.port}")
    tcp = saved(stack, "Peer port")
    assert (tcp["type"], tcp["target"], tcp["interval_seconds"], tcp["timeout_seconds"]) == (
        "tcp",
        f"127.0.0.1:{http_peer.port}",
        15,
        10,
    )

    # DNS: a domain name, the record type, a server and the expected values.
    page.goto("/monitors/new")
    pick(page, "DNS")
    name = page.get_by_label("Domain", exact=True)
    expect(name).to_have_attribute("placeholder", "example.com")
    shown(page, *DNS_FIELDS, *CHECK_FIELDS)
    absent(page, "URL", "Host and port", *HEARTBEAT_FIELDS)
    expect(page.get_by_label("Record type", exact=True).locator("option")).to_have_text(
        ["A", "AAAA", "CNAME", "MX", "TXT", "NS"]
    )
    page.get_by_label("Name", exact=True).fill("Shop address")
    name.fill("shop.example.test")
    page.get_by_label("DNS server", exact=True).fill("not a host!")
    page.get_by_label("Expected values", exact=True).fill("192.0.2.10,\n192.0.2.11")
    # 15 s, not the 60 s default: the first slot of a new monitor is up to one interval away, and
    # the wait below is 40 s.
    page.get_by_label("Interval (seconds)", exact=True).fill("15")
    page.get_by_role("button", name="Test", exact=True).click()
    assert "not a valid host name" in field_error(page, "DNS server")  # the API's dns.server
    page.get_by_label("DNS server", exact=True).fill(dns_peer.server)
    page.get_by_role("button", name="Test", exact=True).click()
    result = page.get_by_test_id("test-result")
    expect(result).to_contain_text("OK")
    expect(result).to_contain_text("192.0.2.10")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "add-monitor-dns")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Shop address", level=1)).to_be_visible()
    expect(page.get_by_test_id("check-settings")).to_contain_text("Expected192.0.2.10, 192.0.2.11")
    dns = saved(stack, "Shop address")
    assert dns["dns"] == {
        "record_type": "A",
        "server": dns_peer.server,
        "expected": ["192.0.2.10", "192.0.2.11"],
    }

    # The workers check both; the dashboard labels them.
    for monitor in (tcp, dns):
        wait_for(
            lambda m=monitor: stack.api("GET", f"/api/monitors/{m['id']}").json()["status"] == "ok",
            40,
            f"the worker's first check of {monitor['name']}: " + stack.log_tail("worker"),
        )
    page.goto("/")
    for monitor, label, target_text in ((tcp, "TCP", tcp["target"]), (dns, "DNS", "shop.example.test")):
        row = page.locator(f"li[data-monitor-id='{monitor['id']}']")
        expect(row.locator(".type-tag")).to_have_text(label)
        expect(row.locator(".target")).to_have_text(target_text)
        expect(row.locator(".badge")).to_have_text("OK")


def test_http_monitor_with_a_keyword_and_headers(page: Page, stack, http_peer):
    page.goto("/monitors/new")
    pick(page, "HTTP")
    shown(page, "URL", *CHECK_FIELDS)
    absent(page, "Host and port", "Domain", *DNS_FIELDS, *HEARTBEAT_FIELDS)
    page.get_by_label("Name", exact=True).fill("Peer health")
    page.get_by_label("URL", exact=True).fill(f"{http_peer.url}health")
    advanced = page.get_by_test_id("http-advanced")
    page.get_by_text("Advanced request & assertions").click()
    expect(page.get_by_label("Request body", exact=True)).to_be_disabled()  # GET
    page.get_by_role("button", name="Add header").click()
    page.get_by_label("Header 1 key", exact=True).fill("X-Check")
    page.get_by_label("Header 1 value", exact=True).fill("onlinetracker")
    page.get_by_role("button", name="Add header").click()
    page.get_by_label("Header 2 key", exact=True).fill("Bad Name")
    page.get_by_label("Header 2 value", exact=True).fill("x")
    page.get_by_label("Expected status", exact=True).fill("200-299")
    page.get_by_label("Keyword", exact=True).fill('"status": "up"')
    page.get_by_label("JSONPath", exact=True).fill("$.db")
    page.get_by_label("Expected value", exact=True).fill("ok")

    # The API's message about one header lands on that row.
    page.get_by_role("button", name="Test", exact=True).click()
    assert "not a valid HTTP token" in field_error(page, "Header 2 key")
    expect(page.get_by_label("Header 1 key", exact=True)).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Remove header 2 (Bad Name)").click()
    expect(page.get_by_label("Header 2 key", exact=True)).to_have_count(0)

    page.get_by_role("button", name="Test", exact=True).click()
    result = page.get_by_test_id("test-result")
    expect(result).to_contain_text("OK")
    assert http_peer.received[-1].headers["X-Check"] == "onlinetracker"
    expect(advanced).to_contain_text("4 changed")
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar stays at the top of the picture
    screenshot(page, "add-monitor")

    # Absent instead of present: the same body now fails the check.
    page.get_by_label("The keyword must be", exact=True).select_option("absent")
    page.get_by_role("button", name="Test", exact=True).click()
    expect(result).to_contain_text("Down")
    expect(result).to_contain_text("found")
    page.get_by_label("The keyword must be", exact=True).select_option("present")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Peer health", level=1)).to_be_visible()
    settings = page.get_by_test_id("check-settings")
    expect(settings).to_contain_text('Keyword“"status": "up"” must be present')
    expect(settings).to_contain_text("HeadersX-Check")
    http = saved(stack, "Peer health")["http"]
    assert http["headers"] == {"X-Check": "onlinetracker"}
    assert (http["keyword"], http["keyword_mode"], http["expected_status"]) == (
        '"status": "up"',
        "present",
        "200-299",
    )
    assert (http["json_path"], http["json_expected"], http["method"]) == ("$.db", "ok", "GET")

    # Editing opens the section with what was saved.
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_test_id("http-advanced")).to_have_attribute("open", "")
    expect(page.get_by_label("Keyword", exact=True)).to_have_value('"status": "up"')
    expect(page.get_by_label("Header 1 value", exact=True)).to_have_value("onlinetracker")


def test_heartbeat_through_the_form_then_pinged_by_its_push_url(page: Page, stack, browser):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.clock.install()  # real time flows; fast_forward skips to the next auto-refresh
    page.goto("/monitors/new")
    pick(page, "Heartbeat")
    shown(page, *HEARTBEAT_FIELDS)
    absent(page, *TARGET_LABELS, *CHECK_FIELDS, *DNS_FIELDS)
    expect(page.get_by_role("button", name="Test", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("heartbeat-note")).to_contain_text("push URL")
    expect(page.get_by_label("Expected every", exact=True)).to_have_value("1")
    expect(page.get_by_label("Unit of the period", exact=True)).to_have_value("days")
    page.get_by_label("Name", exact=True).fill("Nightly backup")
    page.get_by_label("Expected every", exact=True).fill("12")
    page.get_by_label("Unit of the period", exact=True).select_option("hours")
    expect(page.get_by_text("= 43,200 s (12 h)")).to_be_visible()
    page.get_by_label("Grace (seconds)", exact=True).fill("2")
    page.get_by_role("button", name="Save").click()
    assert "greater than or equal to 5" in field_error(page, "Grace (seconds)")
    page.get_by_label("Grace (seconds)", exact=True).fill("600")
    page.get_by_text("Threshold Settings").click()
    expect(page.get_by_test_id("run-time-note")).to_contain_text("run time")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Nightly backup", level=1)).to_be_visible()
    monitor = saved(stack, "Nightly backup")
    assert (monitor["type"], monitor["target"], monitor["interval_seconds"], monitor["grace_seconds"]) == (
        "heartbeat",
        "",
        43200,
        600,
    )
    assert monitor["agent_id"] is None

    # The detail page: the push URL, copied; no Test now; waiting for the first ping.
    push = page.get_by_test_id("push-url")
    url = push.input_value()
    assert re.fullmatch(rf"{re.escape(stack.url)}/push/[A-Za-z0-9_-]{{20,}}", url), url
    expect(page.get_by_role("button", name="Test now")).to_have_count(0)
    expect(page.get_by_test_id("heartbeat-state")).to_have_text("Waiting for the first ping.")
    page.get_by_role("button", name="Copy push URL").click()
    expect(page.get_by_test_id("push-panel")).to_contain_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == url
    expect(page.get_by_test_id("crontab-example")).to_have_text(
        f"0 3 * * * /usr/local/bin/backup.sh && curl -fsS -m 10 --retry 3 {url}"
    )

    # The job reports in, with a run time (start, then the ping): the page turns OK on its own.
    assert requests.get(f"{url}/start", timeout=10).status_code == 200
    time.sleep(1.1)  # pings are stored at most one a second
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200 and answer.json()["ok"] is True
    assert stack.api("GET", f"/api/monitors/{monitor['id']}").json()["status"] == "ok"
    badge = page.locator(".status-card .badge")
    for _ in range(4):
        page.clock.fast_forward("00:16")
        time.sleep(1)
        if badge.inner_text() == "OK":
            break
    expect(badge).to_have_text("OK")
    expect(page.get_by_test_id("heartbeat-state")).to_contain_text(
        "Down when no ping comes for 12 h plus 10 min of grace."
    )
    expect(page.locator("table.results tbody tr").first).to_contain_text("ping received after a run of")
    screenshot(page, "heartbeat-detail")

    # Regenerate: asked first; then the old URL is refused and the new one works.
    page.get_by_role("button", name="Regenerate URL").click()
    dialog = page.get_by_role("alertdialog", name="Regenerate the push URL?")
    expect(dialog).to_contain_text("The current URL stops working at once")
    dialog.get_by_role("button", name="Regenerate URL").click()
    expect(page.get_by_text("New push URL made")).to_be_visible()
    expect(push).not_to_have_value(url)
    fresh = push.input_value()
    assert requests.get(url, timeout=10).status_code == 404
    time.sleep(1.1)
    assert requests.post(f"{fresh}/fail", data="disk full", timeout=10).status_code == 200
    assert stack.api("GET", f"/api/monitors/{monitor['id']}").json()["status"] == "down"

    # The dashboard: its type and "push" instead of a target.
    page.goto("/")
    row = page.locator(f"li[data-monitor-id='{monitor['id']}']")
    expect(row.locator(".type-tag")).to_have_text("Heartbeat")
    expect(row.locator(".target")).to_have_text(re.compile(r"^push"))

    # On a phone the push URL, the example and the advanced HTTP section fit the screen.
    phone = new_context(browser, stack, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        tab = phone.new_page()
        tab.goto(f"/monitors/{monitor['id']}")
        expect(tab.get_by_test_id("push-url")).to_be_visible()
        assert tab.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        tab.goto("/monitors/new")
        tab.get_by_text("Advanced request & assertions").click()
        tab.get_by_role("button", name="Add header").click()
        pick(tab, "DNS")
        pick(tab, "HTTP")
        expect(tab.get_by_label("Header 1 key", exact=True)).to_be_visible()
        assert tab.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    finally:
        phone.close()

    # A viewer sees the heartbeat but never its token.
    stack.ensure_user("vera", "viewer")
    viewer = new_context(browser, stack, "vera")
    try:
        tab = viewer.new_page()
        tab.goto(f"/monitors/{monitor['id']}")
        expect(tab.get_by_test_id("push-hidden")).to_contain_text("Only admins see the URL.")
        token = fresh.rsplit("/", 1)[1]
        assert token not in tab.content()
        expect(tab.get_by_role("button", name="Regenerate URL")).to_have_count(0)
    finally:
        viewer.close()
