import { beforeEach, describe, expect, it, vi } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { OverviewMonitor } from "../src/lib/types";
import { batch, buckets, mockApi } from "./mockApi";
import { overviewServer, renderDashboard } from "./mockDashboard";

const overview = {
  total: 3,
  ok: 1,
  degraded: 0,
  down: 1,
  unknown: 1,
  stale: 0,
  monitors: [
    { id: 1, name: "API Server", type: "https", target: "https://api.example.com/health", status: "ok", enabled: true, last_checked_at: "2026-01-26T10:30:00Z", last_latency_ms: 41.7, agent_id: null },
    { id: 2, name: "Edge ping", type: "ping", target: "10.0.0.1", status: "down", enabled: true, last_checked_at: "2026-01-26T10:30:00Z", last_latency_ms: null, agent_id: 5 },
    { id: 3, name: "New one", type: "ssl", target: "example.com", status: "unknown", enabled: false, last_checked_at: null, last_latency_ms: null, agent_id: null },
  ],
};

function setup() {
  return mockApi({
    "GET /api/status/overview": overviewServer(() => overview.monitors as OverviewMonitor[]),
    "GET /api/agents": [{ id: 5, uuid: "5b1f…", name: "frankfurt", approved: true, online: true, last_seen_at: null, monitor_count: 1 }],
    "GET /api/monitors/history": batch({ "1": buckets([{ ok: 15, avg_latency_ms: 40 }]), "2": buckets([{ down: 3 }]), "3": buckets([]) }),
  });
}

describe("Dashboard", () => {
  // jsdom has no layout: the list's scroll adjustments have nowhere to go.
  beforeEach(() => {
    vi.spyOn(window, "scrollTo").mockImplementation(() => undefined);
  });

  it("shows counts by status and every monitor with type, target, agent, status and latency", async () => {
    const api = setup();
    renderDashboard();
    const list = await screen.findByRole("list", { name: "Monitors" });
    const rows = within(list).getAllByRole("listitem");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent("OK");
    expect(rows[0]).toHaveTextContent("HTTPS");
    expect(rows[0]).toHaveTextContent("https://api.example.com/health");
    expect(rows[0]).toHaveTextContent("Server");
    expect(rows[0]).toHaveTextContent("42 ms");
    expect(within(rows[0]).getByRole("link", { name: "API Server" })).toHaveAttribute("href", "/monitors/1");
    expect(rows[1]).toHaveTextContent("Down");
    expect(await within(rows[1]).findByText("frankfurt")).toBeInTheDocument();
    expect(rows[2]).toHaveTextContent("No data");
    expect(rows[2]).toHaveTextContent("Paused");
    expect(screen.getByTestId("count-all")).toHaveTextContent("3");
    expect(screen.getByTestId("count-down")).toHaveTextContent("1");

    // One page of rows; all bars in one request, not one per monitor.
    await within(rows[0]).findByText("100% uptime");
    expect(api.called("GET", "/api/status/overview").map((c) => c.url)).toEqual(["/api/status/overview?limit=100&offset=0"]);
    expect(api.called("GET", "/api/monitors/history").map((c) => c.url)).toEqual(["/api/monitors/history?hours=72&ids=1,2,3"]);
    expect(api.calls.some((c) => /\/api\/monitors\/\d+\/history/.test(c.path))).toBe(false);
  });

  it("filters by status and by text on the server", async () => {
    const api = setup();
    const user = userEvent.setup();
    renderDashboard();
    await screen.findByRole("list", { name: "Monitors" });
    await user.click(screen.getByTestId("count-down"));
    expect(screen.getByTestId("count-down")).toHaveAttribute("aria-pressed", "true");
    await waitFor(() => expect(within(screen.getByRole("list", { name: "Monitors" })).getAllByRole("listitem")).toHaveLength(1));
    expect(api.calls.map((c) => c.url)).toContain("/api/status/overview?status=down&limit=100&offset=0");
    expect(screen.getByTestId("count-all")).toHaveTextContent("3"); // the counts stay every monitor's
    await user.click(screen.getByTestId("count-all"));
    await user.type(screen.getByRole("searchbox", { name: "Search monitors" }), "example.com");
    const names = () =>
      within(screen.getByRole("list", { name: "Monitors" }))
        .getAllByRole("link")
        .map((a) => a.textContent);
    await waitFor(() => expect(names()).toEqual(["API Server", "New one"]));
    // Sent once typing paused, not per key.
    expect(api.calls.filter((c) => c.url.includes("q=")).map((c) => c.url)).toEqual(["/api/status/overview?q=example.com&limit=100&offset=0"]);
    await user.clear(screen.getByRole("searchbox", { name: "Search monitors" }));
    await user.type(screen.getByRole("searchbox", { name: "Search monitors" }), "nothing like it");
    expect(await screen.findByText("No monitor matches.")).toBeInTheDocument();
  });

  it("refreshes by itself: the last hour of bars folded in, new monitors fetched by id", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      let refreshed = false;
      const added = { ...overview.monitors[0], id: 4, name: "Added later", status: "unknown" };
      const api = mockApi({
        "GET /api/status/overview": overviewServer(() =>
          (refreshed ? [{ ...overview.monitors[0], status: "down" }, overview.monitors[1], overview.monitors[2], added] : overview.monitors) as OverviewMonitor[],
        ),
        "GET /api/agents": [],
        "GET /api/monitors/history?hours=72&ids=1,2,3": batch({ "1": buckets([{ ok: 15, avg_latency_ms: 40 }]), "2": buckets([]), "3": buckets([]) }),
        "GET /api/monitors/history?hours=1&ids=1,2,3": () => batch({ "1": buckets([{ ok: 15, avg_latency_ms: 40 }, { ok: 1, down: 2 }], 4) }),
        "GET /api/monitors/history?hours=72&ids=4": batch({ "4": buckets([{ ok: 3 }]) }),
      });
      renderDashboard();
      const first = await screen.findByRole("slider", { name: "72-hour history of API Server" });
      await waitFor(() => expect(first.getAttribute("aria-valuetext")).toMatch(/OK, 15 checks/));
      refreshed = true;
      await act(() => vi.advanceTimersByTimeAsync(15_000));
      const addedBar = await screen.findByRole("slider", { name: "72-hour history of Added later" });
      await waitFor(() => expect(addedBar).toHaveAttribute("data-loaded", "true"));
      const bar = screen.getByRole("slider", { name: "72-hour history of API Server" });
      expect(bar.getAttribute("aria-valuetext")).toMatch(/Down, 3 checks \(1 ok, 0 degraded, 2 down\)/);
      expect(screen.getByTestId("count-down")).toHaveTextContent("2");
      expect(api.calls.map((c) => c.url).filter((u) => u.includes("history"))).toEqual([
        "/api/monitors/history?hours=72&ids=1,2,3",
        "/api/monitors/history?hours=1&ids=1,2,3",
        "/api/monitors/history?hours=72&ids=4",
      ]);
      expect(api.called("GET", "/api/status/overview")).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("shows stale monitors: their badge, their count (a filter too) and what to check", async () => {
    const stale = { id: 4, name: "Warehouse scanner", type: "ping", target: "10.0.9.9", status: "stale", enabled: true, last_checked_at: "2026-01-26T08:00:00Z", last_latency_ms: 3.2, agent_id: 5 };
    mockApi({
      "GET /api/status/overview": overviewServer(() => [...overview.monitors, stale] as OverviewMonitor[]),
      "GET /api/agents": [],
      "GET /api/monitors/history": batch({ "1": buckets([{ ok: 15 }]), "2": buckets([]), "3": buckets([]), "4": buckets([{ ok: 15 }, {}, {}, {}]) }),
    });
    const user = userEvent.setup();
    renderDashboard();
    const list = await screen.findByRole("list", { name: "Monitors" });
    const row = within(list).getAllByRole("listitem")[3];
    const badge = row.querySelector(".badge")!;
    expect(badge).toHaveTextContent(/^Stale$/);
    expect(badge).toHaveAttribute("title", "No result for 3 intervals — are the workers, beat or the agent running?");
    expect(badge.querySelector("svg.s-stale")).not.toBeNull();

    // Its own count, between Down and No data, which filters like the others.
    const cards = within(screen.getByRole("group", { name: "Filter monitors by status" })).getAllByRole("button");
    expect(cards.map((c) => c.textContent)).toEqual(["All monitors4", "OK1", "Degraded0", "Down1", "Stale1", "No data1"]);
    expect(screen.getByTestId("count-stale")).toHaveAttribute("title", expect.stringMatching(/workers, beat or the agent/));

    // The notice says what stale means and what to check; "Show it" filters to the stale monitor.
    const notice = screen.getByTestId("stale-notice");
    expect(notice).toHaveTextContent("1 monitor is stale. No result for 3 intervals — are the workers, beat or the agent running?");
    await user.click(within(notice).getByRole("button", { name: "Show it" }));
    expect(screen.getByTestId("count-stale")).toHaveAttribute("aria-pressed", "true");
    await waitFor(() => expect(within(list).getAllByRole("link").map((a) => a.textContent)).toEqual(["Warehouse scanner"]));
    expect(within(notice).queryByRole("button")).toBeNull();
    await user.click(screen.getByTestId("count-stale"));
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(4));
  });

  it("shows no stale notice while nothing is stale", async () => {
    setup();
    renderDashboard();
    await screen.findByRole("list", { name: "Monitors" });
    expect(screen.getByTestId("count-stale")).toHaveTextContent("Stale0");
    expect(screen.queryByTestId("stale-notice")).toBeNull();
  });

  it("offers to add the first monitor when there is none", async () => {
    mockApi({
      "GET /api/status/overview": { total: 0, ok: 0, degraded: 0, down: 0, unknown: 0, stale: 0, monitors: [] },
      "GET /api/agents": [],
    });
    renderDashboard();
    expect(await screen.findByRole("link", { name: "Add Monitor" })).toHaveAttribute("href", "/monitors/new");
  });

  it("labels TCP, DNS and heartbeat monitors; a heartbeat's target reads push (with its period when the answer has it)", async () => {
    const rows = [
      { id: 11, name: "Postgres", type: "tcp", target: "db.internal:5432", status: "ok", enabled: true, last_checked_at: null, last_latency_ms: 1.2, agent_id: null },
      { id: 12, name: "Apex record", type: "dns", target: "example.com", status: "ok", enabled: true, last_checked_at: null, last_latency_ms: 8, agent_id: null },
      { id: 13, name: "Nightly backup", type: "heartbeat", target: "", status: "unknown", enabled: true, last_checked_at: null, last_latency_ms: null, agent_id: null },
      { id: 14, name: "Hourly export", type: "heartbeat", target: "", status: "ok", enabled: true, last_checked_at: null, last_latency_ms: null, agent_id: null, interval_seconds: 3600 },
    ];
    mockApi({
      "GET /api/status/overview": overviewServer(() => rows as OverviewMonitor[]),
      "GET /api/agents": [],
      "GET /api/monitors/history": batch({ "11": buckets([]), "12": buckets([]), "13": buckets([]), "14": buckets([]) }),
    });
    const user = userEvent.setup();
    renderDashboard();
    const list = await screen.findByRole("list", { name: "Monitors" });
    const items = within(list).getAllByRole("listitem");
    const meta = (i: number) => [...items[i].querySelectorAll(".type-tag, .target")].map((e) => e.textContent);
    expect(meta(0)).toEqual(["TCP", "db.internal:5432"]);
    expect(meta(1)).toEqual(["DNS", "example.com"]);
    expect(meta(2)).toEqual(["Heartbeat", "push"]);
    expect(meta(3)).toEqual(["Heartbeat", "push · every 1 h"]);
    await user.type(screen.getByRole("searchbox", { name: "Search monitors" }), "heartbeat");
    await waitFor(() => expect(within(list).getAllByRole("link").map((a) => a.textContent)).toEqual(["Nightly backup", "Hourly export"]));
  });
});
