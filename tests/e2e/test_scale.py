"""1,000 monitors: how long until the dashboard's bars are drawn, and how long a refresh takes.

The figures are printed (``pytest -s`` or ``-rA`` shows them) and kept in ``window.__onlinetracker``:
``overviewMs`` (rows on screen), ``firstBarsMs`` (the bars on screen drawn), ``allBarsMs`` (every
monitor's 72 hours loaded and the visible ones drawn), all in ms since navigation start, and
``lastRefreshMs`` (one auto-refresh: overview plus the last hour of bars of every monitor).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import seed
from tests.e2e.conftest import new_context

pytestmark = pytest.mark.slow

MONITORS = 1000


def test_dashboard_with_1000_monitors(browser, stack, record_property):
    existing = len(stack.api("GET", "/api/monitors").json())
    seed.many_monitors(stack.db_url, MONITORS)
    total = existing + MONITORS

    context = new_context(browser, stack)
    try:
        page = context.new_page()
        page.clock.install()
        page.goto("/")
        page.wait_for_function(
            "() => window.__onlinetracker && window.__onlinetracker.allBarsMs", timeout=90_000
        )
        figures = page.evaluate("({...window.__onlinetracker})")
        assert figures["monitors"] == total
        expect(page.locator(".monitor-row")).to_have_count(total)

        # The last row, scrolled to, draws its bar from data already loaded.
        last = page.locator(".monitor-row").last
        last.scroll_into_view_if_needed()
        expect(last.get_by_role("slider")).to_have_attribute("data-loaded", "true")

        page.clock.fast_forward("00:16")
        page.wait_for_function("() => (window.__onlinetracker.refreshes || 0) >= 1", timeout=30_000)
        figures = page.evaluate("({...window.__onlinetracker})")
    finally:
        context.close()

    for name in ("overviewMs", "firstBarsMs", "allBarsMs", "lastRefreshMs", "historyRequests"):
        record_property(name, figures[name])
    print(
        f"\n{total} monitors: rows in {figures['overviewMs']} ms, bars on screen in {figures['firstBarsMs']} ms,"
        f" all 72-hour bars in {figures['allBarsMs']} ms ({figures['historyRequests']} history requests),"
        f" a refresh in {figures['lastRefreshMs']} ms"
    )
    assert figures["firstBarsMs"] < 5_000, figures
    assert figures["lastRefreshMs"] < 3_000, figures
    assert figures["allBarsMs"] < 60_000, figures
