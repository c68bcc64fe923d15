"""The dashboard at 1,000 and 10,000 monitors in headless Chromium: how soon rows and bars are drawn,
how soon a row far down has its bars, and how smoothly the list scrolls.

The list is windowed (only the rows on screen and a few either side are in the DOM) and the server
filters and pages it; the bars are fetched for the rows on screen only. The figures are printed
(``pytest -s`` or ``-rA`` shows them) and recorded as properties:

- ``overviewMs``: the first rows drawn, ms since navigation start (``window.__onlinetracker``);
- ``firstBarsMs``: the bars of every row on screen drawn, ms since navigation start;
- ``endBarsMs``/``middleBarsMs``: from a jump (``window.scrollTo``) to the last or the middle row
  until that row's bars are in the DOM: "every monitor's bars within 1 s" means any row you scroll
  to has its bars within this;
- at 10,000: a scripted scroll (240 px per frame, 150 frames) with frame times, the long tasks
  (``PerformanceObserver('longtask')``, over 50 ms each) seen during it, and how often the list itself
  moved the page (it does when a row above the screen changes height);
- at 1,000: ``lastRefreshMs``, one auto-refresh (the rows and bars on screen).
"""

from __future__ import annotations

import psycopg2
import pytest
from playwright.sync_api import expect

from tests.e2e import seed
from tests.e2e.conftest import new_context

pytestmark = pytest.mark.slow

#: Rows in the DOM at most: a 900-pixel screen of ~96-pixel rows and the overscan.
MAX_ROWS_IN_DOM = 40

#: From a jump to a row until its bars are in the DOM (ms since the jump), polled every frame.
JUMP = """async (where) => {
  const total = Number(document.querySelector('li[aria-setsize]').getAttribute('aria-setsize'));
  const index = where === 'end' ? total : Math.ceil(total / 2);
  const list = document.querySelector('ul.monitor-list');
  const top = list.getBoundingClientRect().top + window.scrollY;
  const t0 = performance.now();
  window.scrollTo(0, where === 'end' ? document.documentElement.scrollHeight : top + (index - 1) * list.scrollHeight / total);
  return await new Promise((resolve) => {
    const check = () => {
      const row = document.querySelector(`li[aria-posinset="${index}"]`);
      if (row && row.querySelector('[data-loaded="true"]')) resolve(Math.round(performance.now() - t0));
      else if (performance.now() - t0 > 20000) resolve(-1);
      else requestAnimationFrame(check);
    };
    check();
  });
}"""

#: A steady scripted scroll from the top: frame times and long tasks while it runs.
SCROLL = """async () => {
  window.scrollTo(0, 0);
  await new Promise((r) => setTimeout(r, 300));
  const tasks = [];
  const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries().map((e) => e.duration)));
  observer.observe({ type: 'longtask' });
  const frames = [];
  let last = performance.now();
  const started = last;
  let moved = 0;
  let adjusted = 0;
  const scrollTo = window.scrollTo.bind(window);
  window.scrollTo = (...args) => { adjusted += 1; return scrollTo(...args); };  // the list correcting the scroll
  for (let i = 0; i < 150; i++) {
    const before = window.scrollY;
    window.scrollBy(0, 240);
    await new Promise((r) => requestAnimationFrame(r));
    moved += Math.abs(window.scrollY - before - 240) > 1 ? 1 : 0;
    const now = performance.now();
    frames.push(now - last);
    last = now;
  }
  await new Promise((r) => setTimeout(r, 100));
  observer.disconnect();
  frames.sort((a, b) => a - b);
  const pick = (p) => Math.round(frames[Math.min(frames.length - 1, Math.floor(frames.length * p))] * 10) / 10;
  return {
    frames: frames.length,
    scrolledPx: Math.round(window.scrollY),
    stepsNotAsAsked: moved,
    listScrolledTo: adjusted,
    seconds: Math.round(last - started) / 1000,
    frameP50: pick(0.5),
    frameP95: pick(0.95),
    frameMax: pick(1),
    longTasks: tasks.length,
    longestTaskMs: Math.round(Math.max(0, ...tasks)),
    rowsInDom: document.querySelectorAll('li.monitor-row').length,
  };
}"""


#: When the first overview and history requests started and ended (ms since navigation start).
TIMING = """() => {
  const entries = performance.getEntriesByType('resource');
  const first = (part) => entries.find((e) => e.name.includes(part));
  const page = first('/api/status/overview'), bars = first('/api/monitors/history');
  if (!page || !bars) return {};  // none under page.clock, which stands in for performance
  return {
    overviewSentMs: Math.round(page.startTime), overviewAnsweredMs: Math.round(page.responseEnd),
    barsSentMs: Math.round(bars.startTime), barsAnsweredMs: Math.round(bars.responseEnd),
  };
}"""


def _dsn(db_url: str) -> str:
    return db_url.replace("postgresql+psycopg2://", "postgresql://")


def add_many(db_url: str, count: int) -> tuple[int, int]:
    """``count`` paused HTTP monitors with 72 hours of 15-minute bars (what the dashboard reads),
    written in three statements; returns their first and last id."""
    conn = psycopg2.connect(_dsn(db_url))
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO monitors (name, type, target, interval_seconds, timeout_seconds, enabled,"
                " created_at, updated_at)"
                " SELECT 'scale-' || lpad(g::text, 5, '0'), 'http',"
                " 'http://10.' || (g / 65536) || '.' || (g / 256 %% 256) || '.' || (g %% 256) || '/health',"
                " 60, 10, false, now(), now() FROM generate_series(1, %s) g RETURNING id",
                (count,),
            )
            ids = [r[0] for r in cur.fetchall()]
            first, last = min(ids), max(ids)
            cur.execute(
                "INSERT INTO rollups (monitor_id, resolution, bucket_start, ok, degraded, down,"
                " latency_sum, latency_count)"
                " SELECT id, 900, to_timestamp((floor(extract(epoch FROM now()) / 900) - i) * 900),"
                " 15 - bad, bad, 0, 15 * (20 + random() * 50), 15"
                " FROM (SELECT m.id, i, (random() < 0.03)::int AS bad"
                "       FROM monitors m, generate_series(0, 287) i WHERE m.id BETWEEN %s AND %s) AS g",
                (first, last),
            )
            cur.execute(
                "INSERT INTO monitor_states (monitor_id, location, status, since, last_checked_at,"
                " last_latency_ms, last_details, ssl_warned)"
                " SELECT id, 0, 'ok', now(), now(), 30.0, 'HTTP 200', false FROM monitors"
                " WHERE id BETWEEN %s AND %s",
                (first, last),
            )
    finally:
        conn.close()
    return first, last


def remove(db_url: str, first: int, last: int) -> None:
    conn = psycopg2.connect(_dsn(db_url))
    try:
        with conn, conn.cursor() as cur:
            cur.execute("DELETE FROM monitors WHERE id BETWEEN %s AND %s", (first, last))
    finally:
        conn.close()


def _first_screen(page, total: int) -> dict:
    page.goto("/")
    page.wait_for_function(
        "() => window.__onlinetracker && window.__onlinetracker.firstBarsMs", timeout=60_000
    )
    figures = page.evaluate("({...window.__onlinetracker})")
    assert figures["monitors"] == total
    rows = page.locator("li.monitor-row")
    assert rows.count() <= MAX_ROWS_IN_DOM, rows.count()
    expect(rows.first).to_have_attribute("aria-setsize", str(total))
    expect(rows.first).to_have_attribute("aria-posinset", "1")
    figures.update(page.evaluate(TIMING))
    figures["rowPx"] = page.evaluate(
        "Math.round(document.querySelector('li.monitor-row').getBoundingClientRect().height)"
    )
    return figures


def _report(figures: dict, total: int, record_property, extra: str, names: tuple[str, ...]) -> None:
    """Records the figures and prints them; every row scrolled to must have its bars within 5 s."""
    for name in ("overviewMs", "firstBarsMs", "endBarsMs", "middleBarsMs", "historyRequests", *names):
        record_property(name, figures[name])
    print(
        f"\n{total} monitors: rows in {figures['overviewMs']} ms, bars on screen in {figures['firstBarsMs']} ms;"
        f" a jump to the last row: its bars in {figures['endBarsMs']} ms, to the middle: {figures['middleBarsMs']} ms;"
        f" {figures['historyRequests']} history requests in all; rows {figures['rowPx']} px; {extra}"
    )
    assert figures["firstBarsMs"] < 5_000, figures
    assert 0 <= figures["endBarsMs"] < 5_000, figures
    assert 0 <= figures["middleBarsMs"] < 5_000, figures


def _keyboard(page) -> dict:
    """Tab from the first row: focus walks down the rows (name link, then bar) and the page follows;
    scrolled far away, the focused row stays rendered, so focus is not lost to the page."""
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("li[aria-posinset='1'] a.monitor-name").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
    where = "document.activeElement.closest('li[aria-posinset]')?.getAttribute('aria-posinset') ?? null"
    tabbed_to = int(page.evaluate(where) or 0)
    assert tabbed_to >= 25, tabbed_to
    assert page.evaluate("window.scrollY") > 1000
    page.evaluate("window.scrollBy(0, 100000)")
    page.wait_for_timeout(300)
    assert int(page.evaluate(where) or 0) == tabbed_to, "the focused row left the DOM"
    return {"tabbedToRow": tabbed_to}


def test_dashboard_with_1000_monitors(browser, stack, record_property):
    existing = len(stack.api("GET", "/api/monitors").json())
    seed.many_monitors(stack.db_url, 1000)
    total = existing + 1000

    context = new_context(browser, stack)
    try:
        page = context.new_page()
        page.clock.install()
        figures = _first_screen(page, total)
        figures["endBarsMs"] = page.evaluate(JUMP, "end")
        last = page.locator(f"li[aria-posinset='{total}']")
        expect(last.get_by_role("slider")).to_have_attribute("data-loaded", "true")
        assert page.locator("li.monitor-row").count() <= MAX_ROWS_IN_DOM
        figures["middleBarsMs"] = page.evaluate(JUMP, "middle")

        page.clock.fast_forward("00:16")
        page.wait_for_function("() => (window.__onlinetracker.refreshes || 0) >= 1", timeout=30_000)
        figures.update(page.evaluate("({...window.__onlinetracker})"))
    finally:
        context.close()

    _report(
        figures, total, record_property, f"a refresh in {figures['lastRefreshMs']} ms", ("lastRefreshMs",)
    )
    assert figures["lastRefreshMs"] < 3_000, figures


def test_dashboard_with_10000_monitors(browser, stack, record_property):
    existing = len(stack.api("GET", "/api/monitors").json())
    first, last = add_many(stack.db_url, 10_000)
    total = existing + 10_000
    context = new_context(browser, stack)
    try:
        page = context.new_page()
        figures = _first_screen(page, total)
        figures.update(page.evaluate(SCROLL))
        figures["endBarsMs"] = page.evaluate(JUMP, "end")
        figures["middleBarsMs"] = page.evaluate(JUMP, "middle")
        figures["historyRequests"] = page.evaluate("window.__onlinetracker.historyRequests")
        figures.update(_keyboard(page))
    finally:
        context.close()
        remove(stack.db_url, first, last)

    scrolled = (
        f"scrolling {figures['scrolledPx']} px in {figures['frames']} frames ({figures['seconds']} s,"
        f" {figures['stepsNotAsAsked']} steps moved otherwise than asked, {figures['listScrolledTo']} by the list):"
        f" frame p50 {figures['frameP50']} ms, p95 {figures['frameP95']} ms, max {figures['frameMax']} ms,"
        f" {figures['longTasks']} long tasks (longest {figures['longestTaskMs']} ms),"
        f" {figures['rowsInDom']} rows in the DOM; first overview request {figures['overviewSentMs']}–"
        f"{figures['overviewAnsweredMs']} ms, bars {figures['barsSentMs']}–{figures['barsAnsweredMs']} ms"
    )
    scrolled += f"; 60 Tabs from the first row reach row {figures['tabbedToRow']}"
    _report(figures, total, record_property, scrolled, ("frameP50", "frameP95", "longTasks"))
    assert figures["rowsInDom"] <= MAX_ROWS_IN_DOM, figures
    assert figures["listScrolledTo"] <= 3, figures  # rows keep their height: nothing to correct
