import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderSettings } from "./render";
import { mockApi, type Call } from "./mockApi";

const settings = {
  monitoring: { ok_ms: 80, degraded_ms: 200, ping_count: 5, ssl_ok_days: 30, ssl_warning_days: 14 },
  alerts: {
    alert_type: "once", repeat_minutes: 30, alert_on_restored: true, include_history: "event", webhook_url: "",
    smtp_host: "smtp.example.com", smtp_port: 587, smtp_username: "u", smtp_use_tls: true, smtp_from: "", alert_email: "ops@example.com", smtp_password_set: true,
  },
  agents: { allowed_agent_uuids: [], shared_secret_set: false },
};
const UUID = "3f2b8c1e-8a4b-4c57-9d1e-0a6f1b2c3d4e";


describe("Settings", () => {
  it("Monitoring: saves only its own section and shows field messages", async () => {
    const api = mockApi({
      "GET /api/settings": settings,
      "PUT /api/settings": ({ body }: Call) =>
        (body as { monitoring: { ok_ms: number } }).monitoring.ok_ms > 200
          ? [422, { error: "Some fields are invalid.", fields: { "monitoring.ok_ms": "must be less than degraded_ms (200)" } }]
          : { ...settings, monitoring: { ...settings.monitoring, ...(body as { monitoring: object }).monitoring } },
    });
    const user = userEvent.setup();
    renderSettings("monitoring");
    const ok = await screen.findByLabelText("OK threshold (ms)");
    expect(ok).toHaveValue(80);
    await user.clear(ok);
    await user.type(ok, "300");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("must be less than degraded_ms (200)")).toBeInTheDocument();
    await user.clear(ok);
    await user.type(ok, "100");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText(/Monitoring defaults saved/)).toBeInTheDocument();
    const sent = api.called("PUT", "/api/settings").map((c) => c.body as Record<string, unknown>);
    expect(Object.keys(sent[1])).toEqual(["monitoring"]);
    expect(sent[1].monitoring).toMatchObject({ ok_ms: 100, degraded_ms: 200, ping_count: 5 });
  });

  it("Alerts: the password is write-only, sent only when typed; Send test shows each channel", async () => {
    const api = mockApi({
      "GET /api/settings": settings,
      "PUT /api/settings": settings,
      "GET /api/alerts": { items: [{ id: 9, monitor_id: null, monitor: "edge-1", type: "agent", target: "203.0.113.9", event: "agent_offline", details: "agent edge-1 sent nothing for 95 s", agent_id: 2, agent: "edge-1", created_at: "2026-01-26T10:30:00Z", webhook_state: "skipped", email_state: "sent", attempts: 1, last_error: null, next_attempt_at: null }] },
      "POST /api/settings/alerts/test": { webhook: { ok: false, error: null, skipped: true }, email: { ok: false, error: "connection refused", skipped: false } },
    });
    const user = userEvent.setup();
    renderSettings("alerts");
    expect(await screen.findByTestId("smtp-password-state")).toHaveTextContent("set");
    const history = await screen.findByRole("table", { name: "Recent alerts" });
    expect(history).toHaveTextContent("Agent offline");
    expect(history).toHaveTextContent("edge-1");
    expect(screen.getByLabelText(/SMTP password/)).toHaveValue("");
    expect(within(screen.getByTestId("more-channels")).getByRole("link", { name: "Settings › Notifications" })).toHaveAttribute("href", "/settings/notifications");
    await user.click(screen.getByLabelText(/Repeated/));
    await user.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("Alert settings saved.");
    const first = api.called("PUT", "/api/settings")[0].body as { alerts: Record<string, unknown> };
    expect(first.alerts.alert_type).toBe("repeated");
    expect("smtp_password" in first.alerts).toBe(false);
    expect("smtp_password_set" in first.alerts).toBe(false);

    await user.type(screen.getByLabelText(/SMTP password/), "hunter22");
    await user.click(screen.getByRole("button", { name: "Save and send test" }));
    const results = await screen.findByRole("list", { name: "Test alert results" });
    expect(within(results).getByText(/not configured/)).toBeInTheDocument();
    expect(within(results).getByText(/failed: connection refused/)).toBeInTheDocument();
    const second = api.called("PUT", "/api/settings")[1].body as { alerts: Record<string, unknown> };
    expect(second.alerts.smtp_password).toBe("hunter22");
  });

  it("Agents: secret shown as not set, pending request approved into the allowed list", async () => {
    let pending = [{ uuid: UUID, name: "edge-1", address: "203.0.113.9", first_seen_at: "2026-01-26T10:30:00Z", last_seen_at: "2026-01-26T10:31:00Z" }];
    const api = mockApi({
      "GET /api/settings": settings,
      "GET /api/agents/pending": () => pending,
      "GET /api/agents": [
        { id: 1, uuid: "11111111-1111-1111-1111-111111111111", name: "frankfurt", approved: true, online: true, last_seen_at: "2026-01-26T10:31:00Z", monitor_count: 2, address: "198.51.100.1" },
        { id: 2, uuid: "22222222-2222-2222-2222-222222222222", name: "warehouse-pi", approved: true, online: false, last_seen_at: "2026-01-26T09:00:00Z", monitor_count: 3, address: "198.51.100.2" },
      ],
      [`POST /api/agents/pending/${UUID}/approve`]: () => {
        pending = [];
        return { uuid: UUID, allowed: true };
      },
      "PUT /api/settings": ({ body }: Call) => ({ ...settings, agents: { allowed_agent_uuids: (body as { agents: { allowed_agent_uuids: string[] } }).agents.allowed_agent_uuids, shared_secret_set: true } }),
    });
    const user = userEvent.setup();
    renderSettings("agents");
    expect(await screen.findByTestId("secret-state")).toHaveTextContent("not set");
    const agentsTable = await screen.findByRole("table", { name: "Agents" });
    expect(agentsTable).toHaveTextContent("frankfurt");
    expect(agentsTable).toHaveTextContent("Online");
    // An agent silent for 90 s says Offline in words, and that its monitors are not checked.
    const offline = agentsTable.querySelector("tr[data-agent-id='2']") as HTMLElement;
    const state = within(offline).getByText("Offline");
    expect(state).toHaveClass("s-offline");
    expect(state).toHaveAttribute("title", "Nothing heard from it for 90 seconds or more");
    expect(offline).toHaveTextContent("Its 3 monitors are not checked: is the agent running?");
    expect(agentsTable.querySelector("tr[data-agent-id='1']")).not.toHaveTextContent("not checked");

    await user.click(screen.getByText("Pending Connection Requests"));
    expect(await screen.findByTestId("pending-count")).toHaveTextContent("1");
    await user.click(screen.getByRole("button", { name: "Approve edge-1" }));
    expect(await screen.findByText(/Approved edge-1/)).toBeInTheDocument();
    expect(api.called("POST", `/api/agents/pending/${UUID}/approve`)).toHaveLength(1);
    expect(screen.getByText(UUID)).toBeInTheDocument(); // now in the allowed list
    expect(screen.getByTestId("pending-count")).toHaveTextContent("0");

    await user.type(screen.getByLabelText(/Shared secret/), "correct horse");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText(/Shared secret and allowed agents saved/);
    const body = api.called("PUT", "/api/settings")[0].body as { agents: Record<string, unknown> };
    expect(body.agents).toEqual({ allowed_agent_uuids: [UUID], shared_secret: "correct horse" });
    expect(screen.getByTestId("secret-state")).toHaveTextContent("set");
  });
});
