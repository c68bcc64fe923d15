"""Access control in a real browser: first start, signing out and in, two-factor, viewers, admin tabs.

The first-start test has a web process of its own on an empty SQLite database (the shared stack
already has its owner); the others use the shared stack. They leave no monitor behind: the
dashboard tests that follow start from an empty list.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp
import pytest
import requests
from playwright.sync_api import Page, expect

from tests.auth import PASSWORD
from tests.e2e import seed
from tests.e2e.conftest import new_context, screenshot
from tests.processes import command, start, stop, wait_http
from tests.services import free_port

pytestmark = pytest.mark.slow


def user_button(page: Page, username: str):
    return page.get_by_role("button", name=re.compile(rf"^{re.escape(username)}\b"))


def sign_out(page: Page, username: str) -> None:
    user_button(page, username).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def sign_in_form(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture(scope="module")
def first_start(tmp_path_factory, dashboard_built):
    """A web process on an empty SQLite database of its own: no account exists yet."""
    folder = tmp_path_factory.mktemp("first-start")
    data_dir = folder / "data"
    port = free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'onlinetracker.db'}",
        "DATA_DIR": str(data_dir),
        "BIND_HOST": "127.0.0.1",
        "REDIS_URL": "",  # nothing here needs a worker: never share the stack's queue
        "CELERY_BROKER_URL": "",
    }
    proc = start(command("web", "--port", str(port)), env, folder / "web.log")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/healthz", proc, timeout=60)
        yield url, Path(data_dir), folder / "web.log"
    finally:
        try:
            stop(proc)
        except AssertionError:
            pass


def test_first_start_creates_the_owner_then_signs_out_and_back_in(browser, first_start):
    url, data_dir, log = first_start
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/monitors/new")
        expect(page.get_by_role("heading", name="Create the owner account")).to_be_visible()
        expect(page).to_have_url(f"{url}/setup")
        code = (data_dir / "setup_code").read_text().strip()
        assert code in log.read_text(), "the setup code is in the server's start-up line"

        page.get_by_label("Username").fill("owner")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Confirm password").fill(PASSWORD)
        page.get_by_label("Setup code").fill(code)
        screenshot(page, "setup")
        page.get_by_label("Setup code").fill("0000-0000")
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_label("Setup code")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_role("alert").first).to_contain_text("The setup code is wrong")
        page.get_by_label("Setup code").fill(code)
        page.get_by_role("button", name="Create account").click()

        expect(page.get_by_role("heading", name="No monitors yet")).to_be_visible()
        expect(user_button(page, "owner")).to_contain_text("Admin")
        assert not (data_dir / "setup_code").exists(), "the setup code is spent"

        page.get_by_role("link", name="Add Monitor").first.click()
        page.get_by_label("Name").fill("Intranet")
        page.get_by_label("URL", exact=True).fill("http://127.0.0.1:9/")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="Intranet", level=1)).to_be_visible()
        detail = page.url.removeprefix(url)
        assert re.fullmatch(r"/monitors/\d+", detail)

        sign_out(page, "owner")
        expect(page).to_have_url(f"{url}/signin")
        expect(page.get_by_text("You have signed out.")).to_be_visible()
        assert context.request.get("/api/monitors").status == 401, "the session ended on the server too"

        # A bookmark while signed out: the sign-in page, then that page.
        page.goto(detail)
        expect(page).to_have_url(f"{url}/signin?next={detail.replace('/', '%2F')}")
        expect(page.get_by_label("Username")).to_be_focused()
        page.get_by_label("Username").fill("owner")
        screenshot(page, "signin")
        sign_in_form(page, "owner", "not the password")
        expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
        expect(page.get_by_label("Password", exact=True)).to_be_focused()
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Intranet", level=1)).to_be_visible()
        expect(page).to_have_url(f"{url}{detail}")
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def test_a_viewer_sees_no_controls_for_changing_things(browser, stack):
    stack.ensure_user("vera", "viewer")
    (monitor,) = seed.add_monitors(
        stack.db_url,
        [{"name": "Read-only check", "type": "http", "target": "http://127.0.0.1:9/ro", "enabled": False}],
    )
    context = new_context(browser, stack, "vera")
    refused: list[str] = []
    try:
        page = context.new_page()
        page.on("response", lambda r: r.status == 403 and refused.append(r.url))
        page.goto("/")
        expect(page.get_by_role("link", name="Read-only check")).to_be_visible()
        expect(user_button(page, "vera")).to_contain_text("Viewer")
        expect(page.get_by_role("link", name="Add Monitor")).to_have_count(0)
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
        expect(nav.get_by_role("link", name="Settings")).to_have_count(0)

        page.get_by_role("link", name="Read-only check").click()
        expect(page.get_by_role("heading", name="Read-only check", level=1)).to_be_visible()
        expect(page.get_by_role("heading", name="Check results")).to_be_visible()
        for name in ("Edit", "Delete", "Test now"):
            expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
            expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)

        for path in ("/settings/agents", f"/monitors/{monitor}/edit", "/monitors/new"):
            page.goto(path)
            expect(page.get_by_text("Your account can only view")).to_be_visible()

        # Not only hidden: the API refuses the viewer's write as well.
        csrf = context.request.get("/api/auth/me").json()["csrf_token"]
        answer = context.request.delete(f"/api/monitors/{monitor}", headers={"X-CSRF-Token": csrf}, data={})
        assert answer.status == 403 and answer.json()["code"] == "forbidden"
        assert refused == [], f"the dashboard asked a viewer for admin-only data: {refused}"
    finally:
        context.close()
        stack.api("DELETE", f"/api/monitors/{monitor}")


def _clear_of_step_boundary(totp: pyotp.TOTP) -> None:
    """Not within 3 s of a new 30-second step: the code typed is still the current one when checked."""
    left = totp.interval - time.time() % totp.interval
    if left < 3:
        time.sleep(left + 0.2)


def test_two_factor_setup_then_sign_in_with_a_code(browser, stack):
    stack.ensure_user("tom", "admin")
    context = new_context(browser, stack, "tom")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto("/")
        user_button(page, "tom").click()
        page.get_by_role("link", name=re.compile("Two-factor authentication")).click()
        expect(page.get_by_test_id("totp-state")).to_contain_text("is off")
        page.get_by_role("button", name="Set up").click()
        qr = page.get_by_role("img", name="QR code to scan with an authenticator app")
        expect(qr).to_be_visible()
        page.wait_for_function("img => img.complete", arg=qr.element_handle())
        assert qr.evaluate("img => img.naturalWidth") > 100, "the QR code is drawn"
        totp = pyotp.TOTP(page.get_by_test_id("totp-secret").inner_text().replace(" ", ""))
        screenshot(page, "two-factor")

        # The previous step's code (still accepted) leaves the current one for signing in below.
        _clear_of_step_boundary(totp)
        page.get_by_label("Authentication code").fill(totp.at(time.time() - totp.interval))
        page.get_by_role("button", name="Turn on").click()
        codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
        expect(codes).to_have_count(10)
        expect(page.get_by_test_id("totp-state")).to_contain_text("is on")
        page.get_by_role("button", name="I have stored them").click()
        expect(codes).to_have_count(0)

        sign_out(page, "tom")
        sign_in_form(page, "tom", PASSWORD)
        expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
        code = page.get_by_label("Authentication code")
        expect(code).to_be_focused()
        code.fill("000000")
        page.get_by_role("button", name="Verify").click()
        expect(code).to_have_attribute("aria-invalid", "true")
        _clear_of_step_boundary(totp)
        code.fill(totp.now())
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        expect(user_button(page, "tom")).to_be_visible()
    finally:
        context.close()


def test_admin_adds_a_user_makes_a_token_and_reads_the_audit_log(page: Page, stack):
    stack.ensure_user("vera", "viewer")
    page.goto("/settings/users")
    table = page.get_by_role("table", name="Users")
    expect(table).to_contain_text("vera")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password", exact=True).fill("sam's long password")
    page.get_by_label("Role").select_option("viewer")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_text("Added sam (Viewer)")).to_be_visible()
    expect(table.locator("tr", has_text="sam")).to_contain_text("Active")
    screenshot(page, "settings-users")

    page.get_by_role("button", name="Manage sam").click()
    dialog = page.get_by_role("dialog", name="Manage sam")
    dialog.get_by_role("button", name="Deactivate").click()
    expect(dialog.get_by_text("sam is deactivated")).to_be_visible()
    page.keyboard.press("Escape")
    expect(table.locator("tr", has_text="sam")).to_contain_text("Deactivated")
    refused = requests.post(
        f"{stack.url}/api/auth/login", json={"username": "sam", "password": "sam's long password"}, timeout=30
    )
    assert refused.status_code == 401

    page.get_by_role("navigation", name="Settings sections").get_by_role("link", name="API tokens").click()
    # "Name" alone also matches the Users tab's "Username" until the tokens tab has replaced it.
    expect(page.get_by_role("heading", name="Create a token")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Grafana")
    page.get_by_role("button", name="Create token").click()
    shown = page.get_by_test_id("new-token")
    expect(shown).to_contain_text("you won't see it again")
    token = page.get_by_label("The new API token").input_value()
    expect(shown).to_contain_text(f'curl -H "Authorization: Bearer {token}" {stack.url}/api/monitors')
    screenshot(page, "settings-tokens")
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{stack.url}/api/monitors", headers=bearer, timeout=30).status_code == 200
    assert requests.post(f"{stack.url}/api/monitors", json={}, headers=bearer, timeout=30).status_code == 403
    page.get_by_role("button", name="Done, I copied it").click()
    expect(shown).to_have_count(0)
    assert token not in page.content()

    page.get_by_role("button", name="Revoke Grafana").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("Revoked “Grafana”")).to_be_visible()
    assert requests.get(f"{stack.url}/api/monitors", headers=bearer, timeout=30).status_code == 401

    page.get_by_role("navigation", name="Settings sections").get_by_role("link", name="Audit").click()
    audit = page.get_by_role("table", name="Audit log")
    for action in ("token.delete", "token.create", "user.update", "user.create", "auth.login"):
        expect(audit).to_contain_text(action)
    expect(audit.locator("tr", has_text="user.update").first).to_contain_text("active: true → false")
    screenshot(page, "settings-audit", full_page=False)
