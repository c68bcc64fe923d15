import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { StatusBadge } from "../src/components/StatusBadge";
import { renderApp, renderSettings } from "./render";
import { VIEWER, mockApi, type Call } from "./mockApi";

const overview = {
  total: 2, ok: 1, degraded: 0, down: 0, unknown: 0, stale: 0, maintenance: 1,
  monitors: [
    { id: 1, name: "API", type: "https", target: "https://api.example.com", status: "maintenance", last_checked_at: null, last_latency_ms: null, agent_id: null },
    { id: 2, name: "Web", type: "https", target: "https://example.com", status: "ok", last_checked_at: null, last_latency_ms: null, agent_id: null },
  ],
};
const active = {
  id: 1, title: "DB upgrade", all_monitors: false, monitor_ids: [1], start: "2026-11-25T10:00:00Z", end: "2099-11-25T12:00:00Z", recurrence: null,
  active: true, next: [{ start: "2026-11-25T10:00:00Z", end: "2099-11-25T12:00:00Z" }], created_at: "2026-11-25T09:00:00Z", updated_at: "2026-11-25T09:00:00Z",
};
const weekly = {
  id: 2, title: "Sunday patching", all_monitors: true, monitor_ids: null, start: null, end: null,
  recurrence: { weekdays: ["sun"], time: "02:00", duration_minutes: 120, timezone: "Europe/Berlin" },
  active: false, next: [{ start: "2026-11-29T01:00:00Z", end: "2026-11-29T03:00:00Z" }], created_at: "2026-11-25T09:00:00Z", updated_at: "2026-11-25T09:00:00Z",
};


describe("Settings > Maintenance", () => {
  it("lists active and upcoming windows with their monitors and times", async () => {
    mockApi({ "GET /api/maintenance": [weekly, active], "GET /api/status/overview": overview });
    renderSettings("maintenance");
    const row = await screen.findByTestId("window-1");
    expect(row).toHaveTextContent("DB upgrade");
    expect(row).toHaveTextContent("API");
    expect(within(row).getByText("Maintenance")).toBeInTheDocument();
    const rows = screen.getAllByRole("row");
    expect(rows[1]).toBe(row); // active first
    expect(screen.getByTestId("window-2")).toHaveTextContent("All monitors");
    expect(screen.getByTestId("window-2")).toHaveTextContent("Sun at 02:00 for 120 min (Europe/Berlin)");
    expect(screen.getByTestId("window-2")).toHaveTextContent("upcoming");
  });

  it("creates a one-off window for picked monitors, shows field errors, and a recurring one for all", async () => {
    let nextId = 8;
    const api = mockApi({
      "GET /api/maintenance": [],
      "GET /api/status/overview": overview,
      "POST /api/maintenance": ({ body }: Call) => {
        const b = body as { title: string; recurrence: { cron?: string } | null };
        if (!b.title) return [422, { error: "Some fields are invalid.", fields: { title: "is required", end: "must be after start" } }];
        if (b.recurrence?.cron === "61 * * * *") return [422, { error: "Some fields are invalid.", fields: { "recurrence.cron": "is not a cron expression of 5 fields" } }];
        nextId += 1;
        return [201, { ...active, ...b, id: nextId, active: false }];
      },
    });
    const user = userEvent.setup();
    renderSettings("maintenance");
    await user.click(await screen.findByRole("button", { name: "New window" }));
    await user.click(screen.getByRole("checkbox", { name: "Web" }));
    await user.type(screen.getByLabelText(/^Start/), "2026-12-01T22:00");
    await user.type(screen.getByLabelText("End"), "2026-12-01T23:30");
    await user.click(screen.getByRole("button", { name: "Create window" }));
    expect(await screen.findByText("is required")).toBeInTheDocument();
    expect(screen.getByText("must be after start")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Title"), "Router swap");
    await user.click(screen.getByRole("button", { name: "Create window" }));
    expect(await screen.findByText("Maintenance window “Router swap” created.")).toBeInTheDocument();
    const first = api.called("POST", "/api/maintenance")[1].body;
    expect(first).toEqual({
      title: "Router swap", all_monitors: false, monitor_ids: [2],
      start: new Date("2026-12-01T22:00").toISOString(), end: new Date("2026-12-01T23:30").toISOString(), recurrence: null,
    });

    await user.click(screen.getByRole("button", { name: "New window" }));
    await user.type(screen.getByLabelText("Title"), "Nightly");
    await user.click(screen.getByLabelText("All monitors"));
    await user.click(screen.getByLabelText("Recurring"));
    await user.click(screen.getByLabelText("Cron expression"));
    await user.type(screen.getByLabelText("Cron"), "61 * * * *");
    await user.clear(screen.getByLabelText("Time zone"));
    await user.type(screen.getByLabelText("Time zone"), "UTC");
    await user.click(screen.getByRole("button", { name: "Create window" }));
    expect(await screen.findByText("is not a cron expression of 5 fields")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Cron"));
    await user.type(screen.getByLabelText("Cron"), "0 3 * * *");
    await user.clear(screen.getByLabelText("Duration (minutes)"));
    await user.type(screen.getByLabelText("Duration (minutes)"), "45");
    await user.click(screen.getByRole("button", { name: "Create window" }));
    expect(await screen.findByText("Maintenance window “Nightly” created.")).toBeInTheDocument();
    expect(api.called("POST", "/api/maintenance")[3].body).toEqual({
      title: "Nightly", all_monitors: true, monitor_ids: null, start: null, end: null,
      recurrence: { cron: "0 3 * * *", duration_minutes: 45, timezone: "UTC" },
    });
  });

  it("sends weekdays and time for a weekly window", async () => {
    const api = mockApi({ "GET /api/maintenance": [], "GET /api/status/overview": overview, "POST /api/maintenance": ({ body }: Call) => [201, { ...weekly, ...(body as object), id: 5 }] });
    const user = userEvent.setup();
    renderSettings("maintenance");
    await user.click(await screen.findByRole("button", { name: "New window" }));
    await user.type(screen.getByLabelText("Title"), "Patching");
    await user.click(screen.getByLabelText("All monitors"));
    await user.click(screen.getByLabelText("Recurring"));
    await user.click(screen.getByLabelText("Sat"));
    await user.click(screen.getByLabelText("Sun"));
    await user.clear(screen.getByLabelText("Time zone"));
    await user.type(screen.getByLabelText("Time zone"), "Europe/Berlin");
    await user.click(screen.getByRole("button", { name: "Create window" }));
    await screen.findByText("Maintenance window “Patching” created.");
    expect((api.called("POST", "/api/maintenance")[0].body as { recurrence: unknown }).recurrence).toEqual({
      weekdays: ["sat", "sun"], time: "02:00", duration_minutes: 60, timezone: "Europe/Berlin",
    });
  });

  it("deletes a window after confirming", async () => {
    const api = mockApi({ "GET /api/maintenance": [active], "GET /api/status/overview": overview, "DELETE /api/maintenance/1": { deleted: 1 } });
    const user = userEvent.setup();
    renderSettings("maintenance");
    await user.click(await screen.findByRole("button", { name: "Delete DB upgrade" }));
    const dialog = screen.getByRole("alertdialog");
    expect(dialog).toHaveTextContent("It is active now");
    await user.click(within(dialog).getByRole("button", { name: "Delete window" }));
    expect(await screen.findByText("No maintenance windows.")).toBeInTheDocument();
    expect(api.called("DELETE", "/api/maintenance/1")).toHaveLength(1);
  });

  it("shows the maintenance status as a word and an icon; the dashboard counts and filters it", async () => {
    const { container } = render(<StatusBadge status="maintenance" />);
    expect(container.querySelector(".badge.s-maintenance svg")).not.toBeNull();
    expect(container).toHaveTextContent("Maintenance");
    container.remove();

    mockApi({ "GET /api/status/overview": overview, "GET /api/monitors/history": { bucket_seconds: 900, starts: [], monitors: {} } });
    const user = userEvent.setup();
    renderApp("/");
    const count = await screen.findByTestId("count-maintenance");
    expect(count).toHaveTextContent("1");
    await user.click(count);
    expect(screen.getByText("API")).toBeInTheDocument();
    expect(screen.queryByText("Web")).toBeNull();
  });

  it("is not there for viewers", async () => {
    mockApi({ "GET /api/auth/me": VIEWER });
    renderApp("/settings/maintenance");
    expect(await screen.findByRole("heading", { name: "View only" })).toBeInTheDocument();
  });
});
