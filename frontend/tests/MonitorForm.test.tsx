import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { MonitorForm } from "../src/pages/MonitorForm";
import { Authed } from "./render";
import { mockApi } from "./mockApi";

const defaults = { ok_ms: 80, degraded_ms: 200, ping_count: 5, ssl_ok_days: 30, ssl_warning_days: 14, interval_seconds: 60, timeout_seconds: 10 };
const agents = [
  { id: 4, uuid: "aaaa", name: "frankfurt", approved: true, online: true, last_seen_at: null, monitor_count: 0 },
  { id: 5, uuid: "bbbb", name: "rejected-one", approved: false, online: false, last_seen_at: null, monitor_count: 0 },
];

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Authed>
        <Routes>
          <Route path="/monitors/new" element={<MonitorForm />} />
          <Route path="/monitors/:id/edit" element={<MonitorForm />} />
          <Route path="/monitors/:id" element={<p>detail page</p>} />
        </Routes>
      </Authed>
    </MemoryRouter>,
  );
}

describe("MonitorForm", () => {
  it("shows the system defaults as placeholders and offers only approved agents", async () => {
    mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": agents });
    const user = userEvent.setup();
    renderAt("/monitors/new");
    await screen.findByRole("heading", { name: "Add monitor" });
    const agent = screen.getByLabelText("Checked from");
    expect([...agent.querySelectorAll("option")].map((o) => o.textContent)).toEqual(["Server", "frankfurt (online)"]);
    await user.click(screen.getByText("Threshold Settings"));
    expect(screen.getByLabelText("OK when latency ≤ (ms)")).toHaveAttribute("placeholder", "80 (default)");
    expect(screen.getByLabelText("Degraded when latency ≤ (ms)")).toHaveAttribute("placeholder", "200 (default)");
    await user.click(screen.getByLabelText("Ping"));
    expect(screen.getByLabelText("Pings per check (1–10)")).toHaveAttribute("placeholder", "5 (default)");
    await user.click(screen.getByLabelText("SSL"));
    expect(screen.getByLabelText("OK when the certificate is valid for ≥ (days)")).toHaveAttribute("placeholder", "30 (default)");
    expect(screen.queryByLabelText("OK when latency ≤ (ms)")).toBeNull();
  });

  it("tests the unsaved form: empty thresholds go as null, the result is shown", async () => {
    const api = mockApi({
      "GET /api/monitors/defaults": defaults,
      "GET /api/agents": agents,
      "POST /api/monitors/test": { status: "ok", latency_ms: 41.7, details: "HTTP 200", days_left: null, checked_at: "2026-01-26T10:30:00Z", duration_ms: 42 },
    });
    const user = userEvent.setup();
    renderAt("/monitors/new");
    await user.type(await screen.findByLabelText("Name"), "API Server");
    await user.type(screen.getByLabelText(/^Target/), "http://api.example.com/health");
    await user.click(screen.getByText("Threshold Settings"));
    await user.type(screen.getByLabelText("OK when latency ≤ (ms)"), "50");
    await user.selectOptions(screen.getByLabelText("Checked from"), "4");
    await user.click(screen.getByRole("button", { name: "Test" }));
    const result = await screen.findByTestId("test-result");
    expect(result).toHaveTextContent("OK");
    expect(result).toHaveTextContent("42 ms");
    expect(result).toHaveTextContent("HTTP 200");
    expect(api.called("POST", "/api/monitors/test")[0].body).toEqual({
      name: "API Server",
      type: "http",
      target: "http://api.example.com/health",
      enabled: true,
      agent_id: 4,
      interval_seconds: 60,
      timeout_seconds: 10,
      thresholds: { ok_ms: 50, degraded_ms: null, ping_count: null, ssl_ok_days: null, ssl_warning_days: null },
    });
    expect(api.called("POST", "/api/monitors")).toHaveLength(0);
  });

  it("shows the API's messages beside their fields and opens the thresholds when one is wrong", async () => {
    mockApi({
      "GET /api/monitors/defaults": defaults,
      "GET /api/agents": [],
      "POST /api/monitors": [422, { error: "Some fields are invalid.", fields: { target: "must start with http://", "thresholds.ok_ms": "must be less than degraded_ms (100)" } }],
    });
    const user = userEvent.setup();
    renderAt("/monitors/new");
    await user.type(await screen.findByLabelText("Name"), "x");
    await user.type(screen.getByLabelText(/^Target/), "file:///etc/passwd");
    await user.click(screen.getByRole("button", { name: "Save" }));
    const target = screen.getByLabelText(/^Target/);
    expect(await screen.findByText("must start with http://")).toBeInTheDocument();
    expect(target).toHaveAttribute("aria-invalid", "true");
    expect(target.getAttribute("aria-describedby")).toContain(screen.getByText("must start with http://").id);
    expect(screen.getByText("must be less than degraded_ms (100)")).toBeVisible();
    expect(document.activeElement).toBe(target);
  });

  it("edits a saved monitor: fields filled, PUT on save, then the detail page", async () => {
    const monitor = {
      id: 7, name: "API Server", type: "https", target: "https://api.example.com", interval_seconds: 30, timeout_seconds: 5, enabled: true, agent_id: null,
      thresholds: { ok_ms: 120, degraded_ms: null, ping_count: null, ssl_ok_days: null, ssl_warning_days: null },
      status: "ok", last_checked_at: null, last_latency_ms: null, last_details: null,
    };
    const api = mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": [], "GET /api/monitors/7": monitor, "PUT /api/monitors/7": monitor });
    const user = userEvent.setup();
    renderAt("/monitors/7/edit");
    expect(await screen.findByLabelText("Name")).toHaveValue("API Server");
    expect(screen.getByLabelText("Interval (seconds)")).toHaveValue(30);
    expect(screen.getByLabelText("OK when latency ≤ (ms)")).toHaveValue(120); // thresholds open: one is set
    await user.clear(screen.getByLabelText("Name"));
    await user.type(screen.getByLabelText("Name"), "API");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("detail page")).toBeInTheDocument();
    expect(api.called("PUT", "/api/monitors/7")[0].body).toMatchObject({ name: "API", interval_seconds: 30, thresholds: { ok_ms: 120 } });
  });
});
