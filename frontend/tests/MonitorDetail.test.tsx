import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { MonitorDetail } from "../src/pages/MonitorDetail";
import { buckets, mockApi, type Call } from "./mockApi";
import { Authed } from "./render";

const monitor = {
  id: 7, name: "Warehouse scanner", type: "ping", target: "10.0.9.9", interval_seconds: 60, timeout_seconds: 10, enabled: true, agent_id: 5,
  thresholds: { ok_ms: null, degraded_ms: null, ping_count: null, ssl_ok_days: null, ssl_warning_days: null },
  status: "stale", last_checked_at: new Date(Date.now() - 2 * 3600_000).toISOString(), last_latency_ms: 3.2, last_details: "5/5 replies",
};

function show(given: Record<string, unknown>) {
  mockApi({
    "GET /api/monitors/7/history": { bucket_seconds: 900, buckets: buckets([{ ok: 15 }]) },
    "GET /api/monitors/7/uptime": ({ url }: Call) => ({ period: new URL(url, "http://x").searchParams.get("period"), uptime: 1, buckets: [] }),
    "GET /api/monitors/7/results": { items: [], page: 1, per_page: 25, total: 0 },
    "GET /api/monitors/defaults": { ok_ms: 80, degraded_ms: 200, ping_count: 5, ssl_ok_days: 30, ssl_warning_days: 14, interval_seconds: 60, timeout_seconds: 10 },
    "GET /api/agents": [{ id: 5, uuid: "5b1f", name: "warehouse-pi", approved: true, online: false, last_seen_at: null, monitor_count: 1 }],
    ...given,
  });
  return render(
    <MemoryRouter initialEntries={["/monitors/7"]}>
      <Authed>
        <Routes>
          <Route path="/monitors/:id" element={<MonitorDetail />} />
        </Routes>
      </Authed>
    </MemoryRouter>,
  );
}

describe("MonitorDetail", () => {
  it("shows a stale monitor as Stale and says why, where it is checked from and when it was last heard", async () => {
    show({ "GET /api/monitors/7": monitor });
    const note = await screen.findByTestId("stale-explanation");
    const card = note.closest(".status-card") as HTMLElement;
    expect(within(card).getByText("Stale")).toBeInTheDocument();
    expect(card.querySelector(".badge.s-stale svg")).not.toBeNull();
    expect(note).toHaveTextContent("No result for 3 intervals — are the workers, beat or the agent running?");
    expect(await within(card).findByText(/Checked from agent warehouse-pi every 1 min; the last result came 2 h ago\./)).toBeInTheDocument();
  });

  it("says so when a stale monitor never had a result, checked from the server", async () => {
    show({ "GET /api/monitors/7": { ...monitor, agent_id: null, last_checked_at: null, last_latency_ms: null, last_details: null } });
    expect(await screen.findByTestId("stale-explanation")).toHaveTextContent("Checked from the server every 1 min; no result has come yet.");
  });

  it("keeps the plain lines for running and paused monitors", async () => {
    show({ "GET /api/monitors/7": { ...monitor, status: "ok" } });
    expect(await screen.findByText("Checks are running.")).toBeInTheDocument();
    expect(screen.queryByTestId("stale-explanation")).toBeNull();
  });
});
