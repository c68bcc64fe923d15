"""End-to-end fixtures: the real server processes on a fresh database, and headless Chromium.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright through ``executable_path``; no
browser is ever downloaded. Without it the tests fail with one line saying what to install.

The stack's owner account is made as a headless install makes it (``onlinetracker create-user``);
``Stack.api`` sends a write API token, and every browser context signs in through the API (the
session cookie lands in the context) unless a test wants to see the sign-in page itself.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from shared.db import make_engine
from tests import services
from tests.auth import PASSWORD, create_user_cli, http_sign_in
from tests.conftest import _truncate, make_config
from tests.processes import ROOT, command, start, stop, wait_http
from tests.services import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DIST = Path(ROOT) / "frontend" / "dist"
SCREENSHOTS = Path(ROOT) / "docs" / "screenshots"
#: The stack's owner account (password: tests.auth.PASSWORD).
ADMIN = "admin"


@pytest.fixture(scope="session")
def dashboard_built() -> Path:
    """The dashboard built from the current sources (``scripts/build-frontend`` skips when up to date)."""
    done = subprocess.run([os.path.join(ROOT, "scripts", "build-frontend")], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"the dashboard build failed:\n{done.stderr[-3000:]}", pytrace=False)
    if not (DIST / "index.html").is_file():
        pytest.fail(
            "the dashboard is not built and could not be: install Node.js 20+ (apt-get install nodejs npm)",
            pytrace=False,
        )
    return DIST


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: pip install -e '.[dev]'", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Stack:
    """The running server: ``url`` is the admin web (dashboard and API), ``gateway`` the agent port."""

    url: str
    gateway: str
    db_url: str
    data_dir: Path
    logs: Path
    token: str = ""

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """The admin API with the stack's write token (tokens can't reach /api/users or /api/tokens)."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, self.url + path, timeout=30, headers=headers, **kwargs)

    def session(self, username: str = ADMIN, password: str = PASSWORD) -> requests.Session:
        """Signed in with a password, sending the CSRF header: for what tokens may not do."""
        return http_sign_in(self.url, username, password)

    def ensure_user(self, username: str, role: str, password: str = PASSWORD) -> int:
        """The id of ``username``, made with ``role`` by the admin if missing."""
        admin = self.session()
        found = [
            u for u in admin.get(f"{self.url}/api/users", timeout=30).json() if u["username"] == username
        ]
        if found:
            return found[0]["id"]
        made = admin.post(
            f"{self.url}/api/users",
            json={"username": username, "password": password, "role": role},
            timeout=30,
        )
        assert made.status_code == 201, made.text
        return made.json()["id"]

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


@pytest.fixture(scope="package")
def stack(tmp_path_factory, pg_url, redis_url, dashboard_built):
    """web + gateway + worker + beat on a freshly emptied test database, for all e2e tests."""
    engine = make_engine(pg_url)
    _truncate(engine)
    engine.dispose()
    services.flush_prefix(redis_url)
    folder = tmp_path_factory.mktemp("e2e")
    config = make_config(folder, pg_url, redis_url)
    web_port, coms_port = free_port(), free_port()
    env = {
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(config.data_dir),
        "COMS_PORT": str(coms_port),
        "BIND_HOST": "127.0.0.1",
        "WORKER_CONCURRENCY": "4",
    }
    procs = {
        "web": start(command("web", "--port", str(web_port)), env, folder / "web.log"),
        "gateway": start(command("gateway", "--port", str(coms_port)), env, folder / "gateway.log"),
        "worker": start(command("worker"), env, folder / "worker.log"),
        "beat": start(command("beat"), env, folder / "beat.log"),
    }
    try:
        url = f"http://127.0.0.1:{web_port}"
        wait_http(f"{url}/healthz", procs["web"], timeout=60)
        wait_http(f"http://127.0.0.1:{coms_port}/healthz", procs["gateway"], timeout=60)
        made = create_user_cli(env, ADMIN, "admin")
        assert made.returncode == 0, made.stderr
        token = (
            http_sign_in(url)
            .post(f"{url}/api/tokens", json={"name": "e2e tests", "scope": "write"}, timeout=30)
            .json()["token"]
        )
        yield Stack(url, f"http://127.0.0.1:{coms_port}", pg_url, config.data_dir, folder, token)
    finally:
        for proc in procs.values():
            try:
                stop(proc)
            except AssertionError:
                pass  # killed; the tests' own results stand


def sign_in(context, username: str = ADMIN, password: str = PASSWORD) -> None:
    """Signs a browser context in through the API: the session cookie is the context's from then on."""
    response = context.request.post("/api/auth/login", data={"username": username, "password": password})
    assert response.ok, response.text()


def new_context(browser, stack, username: str | None = ADMIN, **options):
    """A browser context on the stack, signed in as ``username`` (None: signed out)."""
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(base_url=stack.url, **options)
    if username:
        sign_in(context, username)
    return context


@pytest.fixture
def page(browser, stack):
    """A fresh browser context (1280×900) per test, signed in as the admin; an uncaught page error
    fails the test."""
    context = new_context(browser, stack)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def screenshot(page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
