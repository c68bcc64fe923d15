"""End-to-end fixtures: the real server processes on a fresh database, and headless Chromium.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright through ``executable_path``; no
browser is ever downloaded. Without it the tests fail with one line saying what to install.
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
from tests.conftest import _truncate, make_config
from tests.processes import ROOT, command, start, stop, wait_http
from tests.services import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DIST = Path(ROOT) / "frontend" / "dist"
SCREENSHOTS = Path(ROOT) / "docs" / "screenshots"


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

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.url + path, timeout=30, **kwargs)

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
        yield Stack(url, f"http://127.0.0.1:{coms_port}", pg_url, config.data_dir, folder)
    finally:
        for proc in procs.values():
            try:
                stop(proc)
            except AssertionError:
                pass  # killed; the tests' own results stand


@pytest.fixture
def page(browser, stack):
    """A fresh browser context (1280×900) per test; an uncaught page error fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=stack.url)
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
