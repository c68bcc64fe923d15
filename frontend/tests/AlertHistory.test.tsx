import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { AlertHistory } from "../src/pages/settings/AlertHistory";
import { alertEventLabel, alertEventStatus } from "../src/lib/format";
import { mockApi } from "./mockApi";
import { Authed } from "./render";

function event(id: number, patch: Record<string, unknown>) {
  return {
    id, monitor_id: 3, monitor: "Billing API", type: "https", target: "https://billing.example.com", event: "down", details: "HTTP 503",
    agent_id: null, agent: "server", created_at: `2026-01-26T10:${String(60 - id).padStart(2, "0")}:00Z`,
    webhook_state: "sent", email_state: "skipped", attempts: 0, last_error: null, next_attempt_at: null, ...patch,
  };
}

const items = [
  event(1, { event: "agent_online", monitor_id: null, monitor: "edge-frankfurt", type: "agent", target: "203.0.113.9", agent_id: 4, agent: "edge-frankfurt", details: "agent edge-frankfurt is reporting again" }),
  event(2, { event: "agent_offline", monitor_id: null, monitor: "edge-frankfurt", type: "agent", target: "203.0.113.9", agent_id: 4, agent: "edge-frankfurt", details: "agent edge-frankfurt sent nothing for 95 s" }),
  event(3, { event: "stale", monitor_id: 7, monitor: "Warehouse scanner", type: "ping", agent_id: 4, agent: "edge-frankfurt", details: "no result from agent 4 for 3 intervals (60 s each); … — are the workers, beat or the agent running?" }),
  event(4, { event: "up", details: "HTTP 200", webhook_state: "failed", last_error: "webhook: HTTP 500" }),
  event(5, { event: "down", webhook_state: "pending", attempts: 2, next_attempt_at: "2026-01-26T10:59:00Z" }),
  event(6, { event: "degraded", monitor_id: null, monitor: "Old CRM", type: "http", details: "slow" }),
  event(7, { event: "ssl_expiring", type: "ssl", details: "expires in 12 days" }),
  event(8, { event: "something_new" }),
];

function renderHistory() {
  return render(
    <MemoryRouter>
      <Authed>
        <AlertHistory />
      </Authed>
    </MemoryRouter>,
  );
}

describe("Alert history", () => {
  it("names every event in words, with an icon, the monitor or agent and each channel's delivery", async () => {
    mockApi({ "GET /api/alerts": { items } });
    renderHistory();
    const table = await screen.findByRole("table", { name: "Recent alerts" });
    const rows = within(table).getAllByRole("row").slice(1);
    const events = rows.map((r) => (r.querySelectorAll("td")[1] as HTMLElement).textContent);
    expect(events).toEqual(["Agent back online", "Agent offline", "Stale", "Back up", "Down", "Degraded", "SSL certificate expiring", "Something new"]);
    rows.forEach((r) => expect(r.querySelector("td:nth-child(2) svg[aria-hidden='true']")).not.toBeNull());
    expect(rows[2].querySelector("svg.s-stale")).not.toBeNull();
    expect(rows[1].querySelector("svg.s-stale")).not.toBeNull();

    // Agent events point to the agents tab and say "Agent"; monitor events to the monitor's page.
    expect(within(rows[1]).getByRole("link", { name: "edge-frankfurt" })).toHaveAttribute("href", "/settings/agents");
    expect(rows[1]).toHaveTextContent("Agent");
    expect(rows[1]).toHaveTextContent("sent nothing for 95 s");
    expect(within(rows[2]).getByRole("link", { name: "Warehouse scanner" })).toHaveAttribute("href", "/monitors/7");
    expect(rows[2]).toHaveTextContent("from edge-frankfurt");
    expect(rows[3]).toHaveTextContent("from Server");
    expect(rows[5]).toHaveTextContent("Old CRM (deleted)");

    // Delivery per channel, with the error and the retries.
    expect(rows[0]).toHaveTextContent("Webhook: sent");
    expect(rows[0]).toHaveTextContent("Email: not configured");
    expect(rows[3]).toHaveTextContent("Webhook: failed");
    expect(rows[3]).toHaveTextContent("webhook: HTTP 500");
    expect(rows[4]).toHaveTextContent("Webhook: pending");
    expect(rows[4]).toHaveTextContent(/2 attempts, next at \d/);
  });

  it("shows each channel's delivery when the server lists them: state, attempts, error, deleted channels", async () => {
    const delivery = (patch: Record<string, unknown>) => ({ channel_id: 3, channel: "Ops Slack", kind: "apprise", state: "sent", attempts: 1, last_error: null, sent_at: "2026-01-26T10:59:00Z", ...patch });
    mockApi({
      "GET /api/alerts": {
        items: [
          event(1, {
            webhook_state: "skipped", email_state: "skipped", last_error: "old field",
            deliveries: [
              delivery({}),
              delivery({ channel_id: 4, channel: "PagerDuty", kind: "apprise", state: "failed", attempts: 5, last_error: "HTTP 400: invalid routing key", sent_at: null }),
              delivery({ channel_id: 5, channel: "DBA email", kind: "email", state: "pending", attempts: 2, last_error: "connection refused", sent_at: null }),
              delivery({ channel_id: null, channel: "Old hook", kind: "webhook", state: "skipped", attempts: 0, sent_at: null }),
            ],
          }),
          event(2, { deliveries: [] }),
        ],
      },
    });
    renderHistory();
    const table = await screen.findByRole("table", { name: "Recent alerts" });
    const [first, second] = within(table).getAllByRole("row").slice(1);
    const items = within(first).getAllByRole("listitem");
    expect(items.map((li) => li.getAttribute("data-channel"))).toEqual(["Ops Slack", "PagerDuty", "DBA email", "Old hook"]);
    expect(items[0]).toHaveTextContent("Ops Slack: sent");
    expect(items[0]).toHaveClass("delivery-sent");
    expect(items[1]).toHaveTextContent("PagerDuty: failed");
    expect(items[1]).toHaveTextContent("HTTP 400: invalid routing key");
    expect(items[1]).toHaveClass("delivery-failed");
    expect(items[2]).toHaveTextContent("DBA email: pending (2 attempts)");
    expect(items[2]).toHaveTextContent("connection refused");
    expect(items[3]).toHaveTextContent("Old hook: skipped (deleted)");
    expect(first).not.toHaveTextContent("Webhook:");
    expect(first).not.toHaveTextContent("old field");
    expect(second).toHaveTextContent("no channels");
  });

  it("says when there is nothing yet, and shows the API's error", async () => {
    mockApi({ "GET /api/alerts": { items: [] } });
    const { unmount } = renderHistory();
    expect(await screen.findByText("No alerts yet.")).toBeInTheDocument();
    unmount();
    mockApi({ "GET /api/alerts": [403, { error: "Only admins can do this.", code: "forbidden" }] });
    renderHistory();
    expect(await screen.findByRole("alert")).toHaveTextContent("Only admins can do this.");
  });

  it("labels: readable words for each event, an icon status for each", () => {
    expect(alertEventLabel("stale")).toBe("Stale");
    expect(alertEventLabel("agent_offline")).toBe("Agent offline");
    expect(alertEventLabel("agent_online")).toBe("Agent back online");
    expect(alertEventLabel("")).toBe("—");
    expect(alertEventStatus("agent_offline")).toBe("stale");
    expect(alertEventStatus("agent_online")).toBe("ok");
    expect(alertEventStatus("ssl_expiring")).toBe("degraded");
    expect(alertEventStatus("whatever")).toBe("unknown");
  });
});
