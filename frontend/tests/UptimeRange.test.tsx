import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { MonitorDetail } from "../src/pages/MonitorDetail";
import { spanOf } from "../src/components/UptimeRange";
import { buckets, mockApi, type Call } from "./mockApi";
import { Authed } from "./render";

const monitor = {
  id: 7, name: "Shop", type: "https", target: "https://shop.example.com", interval_seconds: 60, timeout_seconds: 10, enabled: true, agent_id: null,
  thresholds: { ok_ms: null, degraded_ms: null, ping_count: null, ssl_ok_days: null, ssl_warning_days: null },
  status: "ok", last_checked_at: null, last_latency_ms: null, last_details: null,
};

function show() {
  const api = mockApi({
    "GET /api/monitors/7": monitor,
    "GET /api/monitors/7/history": { bucket_seconds: 900, buckets: buckets([{ ok: 15 }]) },
    "GET /api/monitors/7/uptime": ({ url }: Call) => {
      const q = new URL(url, "http://x").searchParams;
      if (q.get("from")) {
        if (q.get("from")!.startsWith("2020")) return [422, { error: "An uptime span is at most 800 days (daily rollups are kept that long).", fields: { from: "at most 800 days before to" } }];
        return {
          from: q.get("from"), to: q.get("to"), first_day: "2026-10-01T00:00:00Z", last_day: "2026-10-03T00:00:00Z", uptime: 0.995, checks: 4320, maintenance: 12, bucket_seconds: 86400,
          buckets: [0, 1, 2].map((d) => ({ start: `2026-10-0${d + 1}T00:00:00Z`, uptime: 0.995, checks: 1440 })),
        };
      }
      const period = q.get("period");
      return { period, uptime: period === "90d" ? 0.9876 : 1, bucket_seconds: 86400, buckets: [] };
    },
    "GET /api/monitors/7/results": { items: [], page: 1, per_page: 25, total: 0 },
    "GET /api/monitors/defaults": { ok_ms: 80, degraded_ms: 200, ping_count: 5, ssl_ok_days: 30, ssl_warning_days: 14, interval_seconds: 60, timeout_seconds: 10 },
    "GET /api/agents": [],
  });
  render(
    <MemoryRouter initialEntries={["/monitors/7"]}>
      <Authed>
        <Routes>
          <Route path="/monitors/:id" element={<MonitorDetail />} />
        </Routes>
      </Authed>
    </MemoryRouter>,
  );
  return api;
}

describe("Uptime 90 days and a custom range", () => {
  it("spanOf: whole UTC days, the To day included", () => {
    expect(spanOf("2026-10-01", "2026-10-03")).toEqual({ from: "2026-10-01T00:00:00Z", to: "2026-10-04T00:00:00Z" });
  });

  it("asks for period=90d and shows it with the others", async () => {
    const api = show();
    expect(await screen.findByText("98.760%")).toBeInTheDocument();
    expect(api.calls.some((c) => c.url.endsWith("/uptime?period=90d"))).toBe(true);
    expect(within(screen.getByRole("group", { name: "Period" })).getByRole("button", { name: "90 days" })).toBeInTheDocument();
  });

  it("shows a custom From/To range with from= and to=, and the API's field messages by the inputs", async () => {
    const api = show();
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Custom" }));
    const from = screen.getByLabelText("From (UTC day)");
    const to = screen.getByLabelText("To (UTC day, included)");
    await user.clear(from);
    await user.type(from, "2026-10-01");
    await user.clear(to);
    await user.type(to, "2026-10-03");
    await user.click(screen.getByRole("button", { name: "Show" }));
    expect(await screen.findByTestId("range-summary")).toHaveTextContent("99.500% up from 2026-10-01 to 2026-10-03 (UTC days) · 4320 checks · 12 in maintenance, not counted");
    const call = api.calls.find((c) => c.url.includes("from="))!;
    expect(call.url).toBe("/api/monitors/7/uptime?from=2026-10-01T00%3A00%3A00Z&to=2026-10-04T00%3A00%3A00Z");

    await user.clear(to);
    await user.type(to, "2026-09-01");
    await user.click(screen.getByRole("button", { name: "Show" }));
    expect(await screen.findByText("must be on or after From")).toBeInTheDocument();

    await user.clear(from);
    await user.type(from, "2020-01-01");
    await user.clear(to);
    await user.type(to, "2026-10-03");
    await user.click(screen.getByRole("button", { name: "Show" }));
    expect(await screen.findByText("at most 800 days before to")).toBeInTheDocument();
  });
});
