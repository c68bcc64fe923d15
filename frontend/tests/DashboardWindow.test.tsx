import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import { overviewQuery } from "../src/lib/api";
import {
  barsMissing,
  barsRefreshPlan,
  filterKey,
  idsInRange,
  matchesFilter,
  pagesCovering,
  pagesToLoad,
  rowAt,
  type RowPage,
} from "../src/lib/monitorWindow";
import { pageOf } from "../src/lib/useMonitorPages";
import type { OverviewMonitor } from "../src/lib/types";
import { mockApi } from "./mockApi";
import { historyServer, overviewServer, renderDashboard } from "./mockDashboard";

const monitor = (id: number, extra: Partial<OverviewMonitor> = {}): OverviewMonitor => ({
  id,
  name: `service-${id}`,
  type: "http",
  target: `http://10.0.0.${id % 250}/health`,
  status: "ok",
  enabled: true,
  last_checked_at: null,
  last_latency_ms: 20,
  agent_id: null,
  ...extra,
});

/** Pages of ``size`` rows numbered from 1, each of the given generation. */
function pagesOf(entries: [number, number][], size = 10): Map<number, RowPage> {
  return new Map(entries.map(([p, generation]) => [p, { rows: Array.from({ length: size }, (_, i) => monitor(p * size + i + 1)), generation }]));
}

describe("the list's window, as pure rules", () => {
  it.each([
    [0, 9, 10, [0]],
    [0, 10, 10, [0, 1]],
    [95, 130, 100, [0, 1]],
    [9990, 9999, 100, [99]],
    [5, 4, 100, []],
    [0, -1, 100, []],
  ])("rows %i…%i with pages of %i need pages %j", (first, last, size, pages) => {
    expect(pagesCovering(first, last, size)).toEqual(pages);
  });

  it("loads missing and outdated pages in runs, not ones already asked for", () => {
    const pages = pagesOf([
      [0, 2],
      [1, 1],
      [3, 2],
    ]);
    expect(pagesToLoad(pages, 0, 59, 2, new Set(), 10)).toEqual([[1, 2], [4, 5]]);
    expect(pagesToLoad(pages, 0, 59, 2, new Set([4]), 10)).toEqual([[1, 2], [5]]);
    expect(pagesToLoad(pages, 0, 39, 1, new Set(), 10)).toEqual([[2]]);
  });

  it("reads rows and their ids across pages, skipping what is not loaded", () => {
    const pages = pagesOf([
      [0, 0],
      [2, 0],
    ]);
    expect(rowAt(pages, 9, 10)?.id).toBe(10);
    expect(rowAt(pages, 10, 10)).toBeUndefined();
    expect(idsInRange(pages, 8, 21, 10)).toEqual([9, 10, 21, 22]);
  });

  it("fetches bars once per monitor; a refresh folds in the last hour, or all 72 hours when too old", () => {
    const at = new Map([
      [1, 1_000_000],
      [2, 1_000_000 - 50 * 60_000],
    ]);
    expect(barsMissing([1, 2, 3, 4], at, new Set([4]))).toEqual([3]);
    expect(barsRefreshPlan([1, 2, 3, 4], at, new Set([4]), 1_000_000 + 15_000)).toEqual({ whole: [2, 3], recent: [1] });
  });

  it("keys a filter by its status and search, whatever the case and spaces", () => {
    expect(filterKey({ status: "all", q: " API " })).toBe(filterKey({ status: "all", q: "api" }));
    expect(filterKey({ status: "down", q: "api" })).not.toBe(filterKey({ status: "all", q: "api" }));
  });

  it.each([
    [{ q: "", status: "all" }, "limit=100&offset=0"],
    [{ q: "  Edge  ", status: "all" }, "q=Edge&limit=100&offset=0"],
    [{ q: "100% & co", status: "down" }, "q=100%25+%26+co&status=down&limit=100&offset=0"],
  ] as const)("asks the server for %j as %s", (filter, query) => {
    expect(overviewQuery(filter, 0, 100)).toBe(query);
  });

  it.each([
    [{ q: "", status: "down" }, [2]],
    [{ q: "", status: "paused" }, [3]],
    [{ q: "FRANK", status: "all" }, [2]],
    [{ q: "server", status: "all" }, [1, 3, 4]],
    [{ q: "push", status: "all" }, [4]],
    [{ q: "10.0.0.1", status: "all" }, [1]],
  ] as const)("filters an old server's answer like the server: %j", (filter, ids) => {
    const rows = [
      monitor(1),
      monitor(2, { status: "down", agent_id: 5, agent_name: "frankfurt" }),
      monitor(3, { enabled: false, status: "unknown" }),
      monitor(4, { type: "heartbeat", target: "" }),
    ];
    expect(rows.filter((m) => matchesFilter(m, filter)).map((m) => m.id)).toEqual(ids);
  });

  it("reads an old server's whole answer as the page asked for", () => {
    const all = Array.from({ length: 250 }, (_, i) => monitor(i + 1, { status: i % 2 ? "down" : "ok" }));
    const answer = { total: 250, ok: 125, degraded: 0, down: 125, unknown: 0, stale: 0, monitors: all } as never;
    const page = pageOf(answer, { q: "", status: "down" }, 100, 100);
    expect(page.summary.matched).toBe(125);
    expect(page.rows.map((m) => m.id)).toEqual(all.filter((m) => m.status === "down").slice(100, 200).map((m) => m.id));
  });
});

const MONITORS = 5000;
const ROW_PX = 96;
const LIST_TOP = 300;

describe("Dashboard with 5,000 monitors", () => {
  const all = Array.from({ length: MONITORS }, (_, i) => monitor(i + 1, { status: i % 100 === 7 ? "down" : "ok" }));
  let scrollY = 0;

  beforeEach(() => {
    scrollY = 0;
    vi.spyOn(window, "scrollTo").mockImplementation(() => undefined);
    vi.spyOn(window, "scrollY", "get").mockImplementation(() => scrollY);
    // jsdom lays nothing out: rows are ROW_PX tall and the list starts LIST_TOP down the page.
    const rect = Element.prototype.getBoundingClientRect;
    vi.spyOn(Element.prototype, "getBoundingClientRect").mockImplementation(function (this: Element) {
      const box = (top: number, height: number) => ({ top, height, bottom: top + height, left: 0, right: 0, width: 0, x: 0, y: top, toJSON: () => ({}) }) as DOMRect;
      if (this.classList.contains("monitor-list")) return box(LIST_TOP - scrollY, 0);
      if (this.classList.contains("monitor-row")) return box(0, ROW_PX);
      return rect.call(this);
    });
  });
  afterEach(() => vi.useRealTimers());

  const serve = () => mockApi({ "GET /api/status/overview": overviewServer(() => all), "GET /api/agents": [], "GET /api/monitors/history": historyServer });

  const rows = () => within(screen.getByRole("list", { name: "Monitors" })).getAllByRole("listitem");
  const historyIds = (api: ReturnType<typeof mockApi>) =>
    api.called("GET", "/api/monitors/history").flatMap((c) => new URL(c.url, "http://test").searchParams.get("ids")!.split(",").map(Number));
  async function scrollTo(y: number) {
    scrollY = y;
    await act(async () => {
      window.dispatchEvent(new Event("scroll"));
    });
  }

  it("renders only the rows on screen, fetches only their page and their bars, and none twice", async () => {
    const api = serve();
    renderDashboard();
    const list = await screen.findByRole("list", { name: "Monitors" });
    await waitFor(() => expect(historyIds(api).length).toBeGreaterThan(0));
    const shown = rows();
    expect(shown.length).toBeGreaterThan(5);
    expect(shown.length).toBeLessThan(30); // 768 px of screen, 96 px rows, and the overscan
    expect(shown[0]).toHaveAttribute("aria-posinset", "1");
    expect(shown[0]).toHaveAttribute("aria-setsize", String(MONITORS));
    expect(list.style.height).toBe(`${MONITORS * ROW_PX}px`);
    expect(screen.getByTestId("count-all")).toHaveTextContent(String(MONITORS));
    expect(api.called("GET", "/api/status/overview").map((c) => c.url)).toEqual(["/api/status/overview?limit=100&offset=0"]);
    // The rows shown, and at first a screenful counted from the page's top (the list starts lower).
    expect(historyIds(api).slice(0, shown.length)).toEqual(shown.map((r) => Number(r.getAttribute("data-monitor-id"))));
    expect(historyIds(api).length).toBeLessThanOrEqual(Math.ceil(768 / 105) + 6);

    // Row 3,001 at the top of the screen: page 30 and that screen's bars.
    await scrollTo(LIST_TOP + 3000 * ROW_PX);
    await waitFor(() => expect(rows().some((r) => r.getAttribute("aria-posinset") === "3001" && r.getAttribute("data-monitor-id") === "3001")).toBe(true));
    await waitFor(() => expect(historyIds(api)).toContain(3001));
    const asked = api.called("GET", "/api/status/overview").map((c) => new URL(c.url, "http://test").searchParams);
    expect(asked.map((q) => [Number(q.get("offset")), Number(q.get("limit"))])).toEqual([
      [0, 100],
      [2900, 200], // the pages of rows 2,995…3,014: the screen and its overscan
    ]);
    expect(rows().length).toBeLessThan(30);
    const fetched = historyIds(api);
    expect(fetched.filter((id) => id > 100 && id < 2990)).toEqual([]); // nothing between was fetched

    // Back to the top: rows and bars come from what was already loaded.
    const requests = api.calls.length;
    await scrollTo(0);
    await waitFor(() => expect(rows()[0]).toHaveAttribute("data-monitor-id", "1"));
    await act(() => new Promise((resolve) => setTimeout(resolve, 120)));
    expect(api.calls.length).toBe(requests);
    expect(within(rows()[0]).getByRole("slider")).toHaveAttribute("data-loaded", "true");
  });

  it("refreshes only what is on screen: its page with the counts, and the last hour of its bars", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const api = serve();
    renderDashboard();
    await screen.findByRole("list", { name: "Monitors" });
    await scrollTo(LIST_TOP + 2000 * ROW_PX);
    await waitFor(() => expect(historyIds(api)).toContain(2001));
    const before = api.calls.length;
    await act(() => vi.advanceTimersByTimeAsync(15_000));
    await waitFor(() => expect(api.calls.length).toBeGreaterThan(before + 1));
    const refresh = api.calls.slice(before).filter((c) => c.path !== "/api/agents");
    const onScreen = rows().map((r) => Number(r.getAttribute("data-monitor-id")));
    const [first, last] = [onScreen[0] - 1, onScreen[onScreen.length - 1] - 1];
    const offset = Math.floor(first / 100) * 100;
    const limit = (Math.floor(last / 100) + 1) * 100 - offset;
    expect(refresh.map((c) => c.url)).toEqual([`/api/status/overview?limit=${limit}&offset=${offset}`, `/api/monitors/history?hours=1&ids=${onScreen.join(",")}`]);
  });

  it("filters on the server: the list is as long as the matches, the counts stay every monitor's", async () => {
    const api = serve();
    renderDashboard();
    await screen.findByRole("list", { name: "Monitors" });
    await act(async () => screen.getByTestId("count-down").click());
    await waitFor(() => expect(rows()[0]).toHaveAttribute("aria-setsize", "50"));
    expect(rows().every((r) => r.classList.contains("s-down"))).toBe(true);
    expect(screen.getByTestId("count-all")).toHaveTextContent(String(MONITORS));
    expect(screen.getByText("50 of 5000 monitors shown")).toBeInTheDocument();
    expect(api.calls.map((c) => c.url)).toContain("/api/status/overview?status=down&limit=100&offset=0");
  });
});
