import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { hidePassword } from "../src/pages/settings/NotificationsTab";
import { renderSettings } from "./render";
import { mockApi, type Call } from "./mockApi";

const ALL = ["down", "degraded", "up", "ssl_expiring"];

function channel(id: number, patch: Record<string, unknown>) {
  return {
    id, name: `Channel ${id}`, kind: "apprise", config: { url: "slack://****/****/****" }, events: ALL, default: false, monitor_count: 0, service: "Slack", from_settings: null,
    health: { state: "ok", last_sent_at: "2026-11-25T10:00:00Z", last_error: null, failed_at: null },
    created_at: "2026-11-01T10:00:00Z", updated_at: "2026-11-01T10:00:00Z", ...patch,
  };
}

const opsSlack = channel(3, { name: "Ops Slack", default: true, monitor_count: 12 });
const pager = channel(4, {
  name: "PagerDuty on-call", service: "PagerDuty", config: { url: "pagerduty://****@****" }, events: ["down", "up"], monitor_count: 2,
  health: { state: "failed", last_sent_at: "2026-11-20T10:00:00Z", last_error: "HTTP 400: invalid routing key", failed_at: "2026-11-24T09:00:00Z" },
});
const hook = channel(5, { name: "Webhook", kind: "webhook", service: "Webhook", config: { url: "https://hooks.example.com/****" }, from_settings: "webhook", health: { state: "unused", last_sent_at: null, last_error: null, failed_at: null } });
const email = channel(6, { name: "Email", kind: "email", service: "Email", config: { to: "ops@example.com" }, from_settings: "email", health: { state: "failing", last_sent_at: null, last_error: "connection refused", failed_at: null } });


/** The list's row of the channel named ``name`` (undefined when there is none). */
const row = (name: string) => [...document.querySelectorAll<HTMLElement>("tr[data-channel-id]")].find((tr) => tr.querySelector("td strong")?.textContent === name) as HTMLElement;

describe("Settings > Notifications", () => {
  it("lists each channel's service, events, default, monitors and health; failing and failed ones are flagged", async () => {
    mockApi({ "GET /api/channels": { items: [hook, opsSlack, pager, email] } });
    renderSettings("notifications");
    const table = await screen.findByRole("table", { name: "Notification channels" });
    expect(screen.getByRole("link", { name: "Notifications" })).toHaveAttribute("aria-current", "page");
    const slack = row("Ops Slack");
    expect(slack).toHaveTextContent("Slack");
    expect(slack).toHaveTextContent("All events");
    expect(slack).toHaveTextContent("default");
    expect(within(slack).getAllByRole("cell")[4]).toHaveTextContent("12");
    expect(slack).toHaveTextContent("OK");
    expect(slack).not.toHaveClass("channel-troubled");

    const failed = row("PagerDuty on-call");
    expect(failed).toHaveClass("channel-troubled");
    expect(failed).toHaveAttribute("data-health", "failed");
    expect(failed).toHaveTextContent("Down, Back up");
    expect(failed).toHaveTextContent("Failed");
    expect(failed).toHaveTextContent("HTTP 400: invalid routing key");
    expect(failed).toHaveTextContent(/since/);
    expect(row("Email")).toHaveClass("channel-troubled");
    expect(row("Email")).toHaveTextContent("Failing, retrying");
    expect(row("Email")).toHaveTextContent("connection refused");
    expect(row("Webhook")).toHaveTextContent("from Settings › Alerts");
    expect(row("Webhook")).toHaveTextContent("Nothing sent yet");
    expect(screen.getByRole("alert")).toHaveTextContent("PagerDuty on-call, Email are not delivering alerts");
    expect(table.querySelectorAll("tbody tr")).toHaveLength(4);
  });

  it("adds a Slack channel from its webhook URL: tests the unsaved body, then saves it with the options", async () => {
    const made = channel(9, { name: "Team Slack", events: ["down", "up", "ssl_expiring"], default: true, monitor_count: 7 });
    const api = mockApi({
      "GET /api/channels": { items: [] },
      "POST /api/channels/test": { ok: true, error: null },
      "POST /api/channels": [201, made],
    });
    const user = userEvent.setup();
    renderSettings("notifications");
    expect(await screen.findByText(/No channels yet/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Add channel" }));
    const form = screen.getByRole("form", { name: "Add a channel" });
    expect(document.activeElement).toBe(within(form).getByRole("heading", { name: "Add a channel" }));
    await user.type(within(form).getByLabelText("Name"), "Team Slack");
    expect(within(form).getByLabelText(/Apprise/)).toBeChecked();
    expect(within(form).getByLabelText("Service")).toHaveValue("slack");
    await user.type(within(form).getByLabelText("Webhook URL"), "https://hooks.slack.com/services/T000/B000/XXXX");
    expect(screen.getByTestId("apprise-url")).toHaveTextContent("slack://T000/B000/XXXX");
    await user.click(within(form).getByLabelText("Degraded"));
    await user.click(within(form).getByLabelText("Default for new monitors"));
    await user.click(within(form).getByLabelText("Also add to all existing monitors"));

    await user.click(within(form).getByRole("button", { name: "Send test" }));
    expect(await screen.findByTestId("channel-test-result")).toHaveTextContent("the service accepted it");
    const body = {
      name: "Team Slack", kind: "apprise", config: { url: "slack://T000/B000/XXXX" }, events: ["down", "up", "ssl_expiring"], default: true, apply_to_existing: true,
    };
    expect(api.called("POST", "/api/channels/test")[0].body).toEqual(body);

    await user.click(within(form).getByRole("button", { name: "Add channel" }));
    expect(await screen.findByText("Channel “Team Slack” added.")).toBeInTheDocument();
    expect(api.called("POST", "/api/channels")[0].body).toEqual(body);
    expect(screen.queryByRole("form", { name: "Add a channel" })).toBeNull();
    expect(row("Team Slack")).toHaveTextContent("Down, Back up, SSL certificate expiring");
  });

  it("shows the service form's own messages without calling the API, then the API's, and a refused test", async () => {
    const api = mockApi({
      "GET /api/channels": { items: [] },
      "POST /api/channels/test": ({ body }: Call) =>
        (body as { config: { url: string } }).config.url.startsWith("file:")
          ? [400, { error: "Some fields are invalid.", fields: { "config.url": "local schemes are refused" } }]
          : { ok: false, error: "HTTP 401: bad token" },
    });
    const user = userEvent.setup();
    renderSettings("notifications");
    await user.click(await screen.findByRole("button", { name: "Add channel" }));
    const form = screen.getByRole("form", { name: "Add a channel" });
    await user.selectOptions(within(form).getByLabelText("Service"), "telegram");
    await user.type(within(form).getByLabelText("Chat IDs"), "mychannel");
    await user.click(within(form).getByRole("button", { name: "Send test" }));
    const token = within(form).getByLabelText("Bot token");
    expect(within(form).getByText("Required.")).toBeInTheDocument();
    expect(within(form).getByText(/neither a chat id nor an @channel/)).toBeInTheDocument();
    expect(document.activeElement).toBe(token);
    expect(api.called("POST", "/api/channels/test")).toHaveLength(0);

    await user.type(token, "123456789:AAHabc");
    await user.clear(within(form).getByLabelText("Chat IDs"));
    await user.type(within(form).getByLabelText("Chat IDs"), "-1001234567890");
    await user.click(within(form).getByRole("button", { name: "Send test" }));
    expect(await screen.findByTestId("channel-test-result")).toHaveTextContent("The service refused the test: HTTP 401: bad token");
    expect((api.called("POST", "/api/channels/test")[0].body as { config: unknown }).config).toEqual({ url: "tgram://123456789:AAHabc/-1001234567890" });

    await user.selectOptions(within(form).getByLabelText("Service"), "other");
    await user.type(within(form).getByLabelText("Apprise URL"), "file:///etc/passwd");
    await user.click(within(form).getByRole("button", { name: "Send test" }));
    expect(await within(form).findByText("local schemes are refused")).toBeInTheDocument();
    expect(screen.queryByTestId("channel-test-result")).toBeNull();
  });

  it("edits an Apprise channel: the masked URL is sent back unchanged until replaced; the test goes to the saved channel", async () => {
    const api = mockApi({
      "GET /api/channels": { items: [opsSlack] },
      "POST /api/channels/3/test": { ok: true, error: null },
      "PUT /api/channels/3": ({ body }: Call) => ({ ...opsSlack, ...(body as object) }),
    });
    const user = userEvent.setup();
    renderSettings("notifications");
    await user.click(await screen.findByRole("button", { name: "Edit Ops Slack" }));
    const form = screen.getByRole("form", { name: "Edit “Ops Slack”" });
    expect(within(form).getByTestId("kept-url")).toHaveTextContent("slack://****/****/****");
    expect(within(form).queryByLabelText("Service")).toBeNull();
    expect(within(form).queryByLabelText("Also add to all existing monitors")).toBeNull();
    await user.click(within(form).getByLabelText("SSL certificate expiring"));
    await user.click(within(form).getByRole("button", { name: "Send test" }));
    expect(await screen.findByTestId("channel-test-result")).toHaveTextContent("accepted");
    const sent = { name: "Ops Slack", kind: "apprise", config: { url: "slack://****/****/****" }, events: ["down", "degraded", "up"], default: true };
    expect(api.called("POST", "/api/channels/3/test")[0].body).toEqual(sent);

    // Replacing starts the service's form (Slack, from the scheme); keeping goes back to the masked URL.
    await user.click(within(form).getByRole("button", { name: "Replace URL" }));
    expect(within(form).getByLabelText("Service")).toHaveValue("slack");
    await user.click(within(form).getByRole("button", { name: "Keep the saved URL" }));
    await user.click(within(form).getByRole("button", { name: "Save channel" }));
    expect(await screen.findByText("Channel “Ops Slack” saved.")).toBeInTheDocument();
    expect(api.called("PUT", "/api/channels/3")[0].body).toEqual(sent);
  });

  it("edits the webhook and email channels mirrored from Settings > Alerts", async () => {
    const api = mockApi({
      "GET /api/channels": { items: [hook, email] },
      "PUT /api/channels/5": hook,
      "PUT /api/channels/6": [422, { error: "Some fields are invalid.", fields: { "config.to": "“ops@” is not an email address" } }],
    });
    const user = userEvent.setup();
    renderSettings("notifications");
    await user.click(await screen.findByRole("button", { name: "Edit Webhook" }));
    let form = screen.getByRole("form", { name: "Edit “Webhook”" });
    expect(within(form).getByText(/Settings › Alerts' webhook URL/)).toBeInTheDocument();
    expect(within(form).getByLabelText("Webhook URL")).toHaveValue("https://hooks.example.com/****");
    expect(within(form).getByLabelText("Email")).toBeDisabled();
    expect(within(form).getByLabelText("Webhook")).toBeEnabled();
    await user.click(within(form).getByRole("button", { name: "Save channel" }));
    await screen.findByText("Channel “Webhook” saved.");
    expect(api.called("PUT", "/api/channels/5")[0].body).toMatchObject({ kind: "webhook", config: { url: "https://hooks.example.com/****" } });

    await user.click(screen.getByRole("button", { name: "Edit Email" }));
    form = screen.getByRole("form", { name: "Edit “Email”" });
    const to = within(form).getByLabelText("Send to");
    expect(to).toHaveValue("ops@example.com");
    await user.clear(to);
    await user.type(to, "ops@");
    await user.click(within(form).getByRole("button", { name: "Save channel" }));
    expect(await within(form).findByText("“ops@” is not an email address")).toBeInTheDocument();
    expect(to).toHaveAttribute("aria-invalid", "true");
    expect(api.called("PUT", "/api/channels/6")[0].body).toMatchObject({ kind: "email", config: { to: "ops@" } });
  });

  it("tests a saved channel from its row, and deletes one after confirming", async () => {
    const api = mockApi({
      "GET /api/channels": { items: [opsSlack, pager] },
      "POST /api/channels/4/test": { ok: false, error: "HTTP 400: invalid routing key" },
      "DELETE /api/channels/4": {},
    });
    const user = userEvent.setup();
    renderSettings("notifications");
    await user.click(await screen.findByRole("button", { name: "Test PagerDuty on-call" }));
    expect(await screen.findByText("Test through “PagerDuty on-call” failed: HTTP 400: invalid routing key")).toBeInTheDocument();
    expect(api.called("POST", "/api/channels/4/test")[0].body).toEqual({});

    await user.click(screen.getByRole("button", { name: "Delete PagerDuty on-call" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete the channel “PagerDuty on-call”?" });
    expect(dialog).toHaveTextContent("2 monitors stop alerting through it.");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(api.called("DELETE", "/api/channels/4")).toHaveLength(0);
    await user.click(screen.getByRole("button", { name: "Delete PagerDuty on-call" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete channel" }));
    expect(await screen.findByText("Channel “PagerDuty on-call” deleted.")).toBeInTheDocument();
    expect(api.called("DELETE", "/api/channels/4")).toHaveLength(1);
    expect(row("PagerDuty on-call")).toBeUndefined();
  });

  it("hides a password typed into a form in the URL it shows", () => {
    expect(hidePassword("ntfys://bob:pa%40ss@ntfy.example.com/ops")).toBe("ntfys://bob:••••@ntfy.example.com/ops");
    expect(hidePassword("ntfys://tk_abc@ntfy.example.com/ops")).toBe("ntfys://tk_abc@ntfy.example.com/ops");
    expect(hidePassword("slack://T/B/C")).toBe("slack://T/B/C");
  });
});
