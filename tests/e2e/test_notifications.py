"""Settings > Notifications in headless Chromium against the real stack (issue 14).

An admin adds an Apprise channel (``json://`` to a receiver this test runs on 127.0.0.1), tests it
before saving and sees the receiver get the message, saves it, gives it to a monitor in the
monitor's form, and once that monitor is down sees the receiver get the alert and the alert
history name the channel with its delivery.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, screenshot
from tests.peers.webhook_receiver import WebhookReceiver
from tests.processes import wait_for
from tests.services import free_port

CHANNEL = "notif-e2e receiver"
MONITOR = "notif-e2e api"


@pytest.fixture
def receiver():
    with WebhookReceiver() as peer:
        yield peer


def _disabled_monitor(stack, target: str) -> int:
    made = stack.api(
        "POST",
        "/api/monitors",
        json={
            "name": MONITOR,
            "type": "http",
            "target": target,
            "interval_seconds": 10,
            "enabled": False,
            "agent_id": None,
            "thresholds": {},
            "channel_ids": [],
        },
    )
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _channel_names(stack) -> set[str]:
    return {c["name"] for c in stack.api("GET", "/api/channels").json()["items"]}


def _channel_id(stack, name: str) -> int:
    items = stack.api("GET", "/api/channels").json()["items"]
    return next(c["id"] for c in items if c["name"] == name)


def test_an_apprise_channel_is_tested_saved_given_to_a_monitor_and_delivers(page, stack, receiver):
    url = f"json://127.0.0.1:{receiver.port}/"

    # Add the channel through the form, with a raw Apprise URL; test it before saving.
    page.goto("/settings/notifications")
    expect(page.get_by_role("heading", name="Notification channels")).to_be_visible()
    page.get_by_role("button", name="Add channel").click()
    form = page.get_by_role("form", name="Add a channel")
    form.get_by_label("Name", exact=True).fill(CHANNEL)
    expect(form.get_by_label(re.compile(r"^Apprise"))).to_be_checked()
    form.get_by_label("Service").select_option("other")
    form.get_by_label("Apprise URL", exact=True).fill(url)
    expect(page.get_by_test_id("apprise-url")).to_contain_text(url)
    form.get_by_label("SSL certificate expiring").uncheck()
    form.get_by_role("button", name="Send test").click()
    expect(page.get_by_test_id("channel-test-result")).to_contain_text("the service accepted it")
    tested = receiver.wait_for(1)
    assert len(tested) == 1, "the receiver did not get the test message"
    assert tested[0].get("message"), tested[0]
    assert CHANNEL not in _channel_names(stack), "a test must not save the channel"

    form.get_by_role("button", name="Add channel").click()
    expect(page.get_by_text(f"Channel “{CHANNEL}” added.")).to_be_visible()
    channel_id = _channel_id(stack, CHANNEL)
    row = page.locator(f"tr[data-channel-id='{channel_id}']")
    expect(row).to_contain_text("Down, Degraded, Back up")
    expect(row).to_contain_text("Nothing sent yet")
    saved = stack.api("GET", f"/api/channels/{channel_id}").json()
    assert saved["kind"] == "apprise" and saved["events"] == ["down", "degraded", "up"]
    assert saved["config"]["url"].startswith("json://127.0.0.1"), saved["config"]

    # Editing shows the stored URL masked, and saving it untouched keeps the channel working.
    row.get_by_role("button", name=f"Edit {CHANNEL}").click()
    edit = page.get_by_role("form", name=f"Edit “{CHANNEL}”")
    expect(edit.get_by_test_id("kept-url")).to_have_text(saved["config"]["url"])
    edit.get_by_role("button", name="Save channel").click()
    expect(page.get_by_text(f"Channel “{CHANNEL}” saved.")).to_be_visible()

    # A service's own form builds its URL (shown for the screenshot, then cancelled).
    page.get_by_role("button", name="Add channel").click()
    form = page.get_by_role("form", name="Add a channel")
    form.get_by_label("Name", exact=True).fill("Phones (ntfy)")
    form.get_by_label("Service").select_option("ntfy")
    form.get_by_label("Topic").fill("onlinetracker-alerts")
    form.get_by_label("Priority").select_option("high")
    expect(page.get_by_test_id("apprise-url")).to_contain_text(
        "ntfys://ntfy.sh/onlinetracker-alerts?priority=high"
    )
    screenshot(page, "settings-notifications")
    form.get_by_role("button", name="Cancel").click()
    expect(form).to_have_count(0)

    # Give it to a monitor in the monitor's form, which turns the monitor on: nothing listens on
    # its target, so its first check is down and the alert goes to the channel.
    monitor_id = _disabled_monitor(stack, f"http://127.0.0.1:{free_port()}/health")
    page.goto(f"/monitors/{monitor_id}/edit")
    channels = page.get_by_role("group", name="Channels")
    pick = channels.get_by_label(re.compile(re.escape(CHANNEL)))
    expect(pick).not_to_be_checked()
    pick.check()
    page.get_by_label("Alert type").select_option("once")
    expect(page.get_by_label("Consecutive failed checks before alerting")).to_have_value("1")
    page.get_by_label("Enabled").check()
    fieldset = page.locator("fieldset.notifications-fields")
    fieldset.scroll_into_view_if_needed()
    fieldset.screenshot(path=str(SCREENSHOTS / "monitor-form-notifications.png"))
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/monitors/{monitor_id}$"))
    monitor = stack.api("GET", f"/api/monitors/{monitor_id}").json()
    assert monitor["channel_ids"] == [channel_id] and monitor["alert_type"] == "once", monitor

    alerts = receiver.wait_for(2, timeout=60)
    assert len(alerts) == 2, "the monitor's down alert never reached the receiver: " + stack.log_tail(
        "worker"
    )
    assert MONITOR in alerts[1]["message"] + alerts[1].get("title", ""), alerts[1]

    def delivered():
        items = stack.api("GET", "/api/alerts?limit=500").json()["items"]
        return next(
            (
                e
                for e in items
                if e["monitor_id"] == monitor_id
                and any(
                    d["channel_id"] == channel_id and d["state"] == "sent" for d in e.get("deliveries", [])
                )
            ),
            None,
        )

    event = wait_for(delivered, 30, "the delivery marked sent: " + stack.log_tail("worker"))
    assert event["event"] == "down"

    # The history names the channel and its delivery; the channel's health says it sent.
    page.goto("/settings/alerts")
    history = page.get_by_role("table", name="Recent alerts")
    line = history.locator(f"tr[data-alert-id='{event['id']}']")
    expect(line).to_contain_text(MONITOR)
    expect(line.locator(f"li[data-channel='{CHANNEL}']")).to_have_text(f"{CHANNEL}: sent")
    expect(
        page.get_by_test_id("more-channels").get_by_role("link", name="Settings › Notifications")
    ).to_be_visible()
    page.get_by_test_id("more-channels").get_by_role("link", name="Settings › Notifications").click()
    expect(page.locator(f"tr[data-channel-id='{channel_id}']")).to_have_attribute("data-health", "ok")
    expect(page.locator(f"tr[data-channel-id='{channel_id}']")).to_contain_text("last sent")


def test_a_local_scheme_is_refused_beside_the_url(page, stack):
    page.goto("/settings/notifications")
    page.get_by_role("button", name="Add channel").click()
    form = page.get_by_role("form", name="Add a channel")
    form.get_by_label("Name", exact=True).fill("notif-e2e local file")
    form.get_by_label("Service").select_option("other")
    form.get_by_label("Apprise URL", exact=True).fill("file:///tmp/notif-e2e.txt")
    form.get_by_role("button", name="Add channel").click()
    expect(form.locator(".apprise-form [role='alert']")).to_contain_text("not allowed")
    assert "notif-e2e local file" not in _channel_names(stack)
