import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderApp, renderSettings } from "./render";
import { VIEWER, mockApi, type Call } from "./mockApi";

const overview = {
  total: 2, ok: 2, degraded: 0, down: 0, unknown: 0, stale: 0,
  monitors: [
    { id: 1, name: "API", type: "https", target: "https://api.example.com", status: "ok", last_checked_at: null, last_latency_ms: null, agent_id: null },
    { id: 2, name: "Web", type: "https", target: "https://example.com", status: "ok", last_checked_at: null, last_latency_ms: null, agent_id: null },
  ],
};
const page = {
  id: 7, slug: "acme", title: "Acme status", description: "", logo_url: null, url: "/status/acme",
  groups: [{ name: "Core", monitors: [{ monitor_id: 1, display_name: null, show_target: false }, { monitor_id: 2, display_name: "Website", show_target: true }] }],
  created_at: "2026-11-01T10:00:00Z", updated_at: "2026-11-01T10:00:00Z",
};


describe("Settings > Status pages", () => {
  it("lists pages with a link to the public page in a new tab", async () => {
    mockApi({ "GET /api/status-pages": [page], "GET /api/status/overview": overview });
    renderSettings("status-pages");
    const link = await screen.findByRole("link", { name: /\/status\/acme/ });
    expect(link).toHaveAttribute("href", "/status/acme");
    expect(link).toHaveAttribute("target", "_blank");
    expect(screen.getByRole("table", { name: "Status pages" })).toHaveTextContent("Acme status");
  });

  it("creates a page with a group of picked monitors, reordered, and shows nested field errors by their row", async () => {
    let attempt = 0;
    const api = mockApi({
      "GET /api/status-pages": [],
      "GET /api/status/overview": overview,
      "POST /api/status-pages": ({ body }: Call) => {
        attempt += 1;
        if (attempt === 1)
          return [422, { error: "Some fields are invalid.", fields: { slug: "must be 1 to 64 lowercase letters", "groups.0.monitors.1.monitor_id": "is already on this page" } }];
        return [201, { ...page, ...(body as object), id: 8, url: "/status/new-page" }];
      },
      "GET /api/status-pages/8/announcements": [],
    });
    const user = userEvent.setup();
    renderSettings("status-pages");
    await user.click(await screen.findByRole("button", { name: "New status page" }));
    await user.type(screen.getByLabelText("Slug"), "New Page");
    await user.type(screen.getByLabelText("Title"), "New page");
    await user.selectOptions(screen.getByLabelText("Add a monitor to group 1"), "API");
    await user.click(screen.getByRole("button", { name: "Add to group" }));
    await user.selectOptions(screen.getByLabelText("Add a monitor to group 1"), "Web");
    await user.click(screen.getByRole("button", { name: "Add to group" }));
    // Already on the page: not offered again.
    expect(within(screen.getByLabelText("Add a monitor to group 1")).queryByRole("option", { name: "API" })).toBeNull();
    await user.click(screen.getByRole("button", { name: "Move Web up" }));
    await user.type(screen.getByLabelText("Display name for Web"), "Website");
    await user.click(screen.getByLabelText("Show target of API"));
    await user.click(screen.getByRole("button", { name: "Create page" }));
    expect(await screen.findByText("must be 1 to 64 lowercase letters")).toBeInTheDocument();
    expect(within(screen.getByTestId("sp-monitor-1")).getByText(/is already on this page/)).toBeInTheDocument();

    await user.clear(screen.getByLabelText("Slug"));
    await user.type(screen.getByLabelText("Slug"), "new-page");
    await user.click(screen.getByRole("button", { name: "Create page" }));
    expect(await screen.findByText("Status page new-page created.")).toBeInTheDocument();
    const sent = api.called("POST", "/api/status-pages")[1].body as { slug: string; groups: unknown[] };
    expect(sent.slug).toBe("new-page");
    expect(sent.groups).toEqual([
      { name: "Services", monitors: [{ monitor_id: 2, display_name: "Website", show_target: false }, { monitor_id: 1, display_name: null, show_target: true }] },
    ]);
    expect(await screen.findByRole("heading", { name: "Announcements" })).toBeInTheDocument();
  });

  it("edits and deletes a page after confirming", async () => {
    const api = mockApi({
      "GET /api/status-pages": [page],
      "GET /api/status/overview": overview,
      "GET /api/status-pages/7/announcements": [],
      "PUT /api/status-pages/7": ({ body }: Call) => ({ ...page, ...(body as object) }),
      "DELETE /api/status-pages/7": { deleted: 7 },
    });
    const user = userEvent.setup();
    renderSettings("status-pages");
    await user.click(await screen.findByRole("button", { name: "Edit Acme status" }));
    await user.click(screen.getByRole("button", { name: "Remove group 1" }));
    await user.click(screen.getByRole("button", { name: "Save page" }));
    expect(await screen.findByText("Status page acme saved.")).toBeInTheDocument();
    expect((api.called("PUT", "/api/status-pages/7")[0].body as { groups: unknown[] }).groups).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Delete Acme status" }));
    const dialog = screen.getByRole("alertdialog");
    await user.click(within(dialog).getByRole("button", { name: "Delete page" }));
    expect(await screen.findByText("No status pages yet.")).toBeInTheDocument();
    expect(api.called("DELETE", "/api/status-pages/7")).toHaveLength(1);
  });

  it("adds, edits and deletes announcements", async () => {
    const ann = { id: 3, page_id: 7, title: "DB upgrade", body: "**soon**", severity: "maintenance", starts_at: "2026-11-20T10:00:00Z", ends_at: null, created_at: "2026-11-01T10:00:00Z" };
    const api = mockApi({
      "GET /api/status-pages": [page],
      "GET /api/status/overview": overview,
      "GET /api/status-pages/7/announcements": [ann],
      "POST /api/status-pages/7/announcements": ({ body }: Call) =>
        (body as { title: string }).title ? [201, { ...ann, ...(body as object), id: 4, starts_at: "2026-11-25T10:00:00Z" }] : [422, { error: "Some fields are invalid.", fields: { title: "is required" } }],
      "PUT /api/status-pages/7/announcements/3": ({ body }: Call) => ({ ...ann, ...(body as object) }),
      "DELETE /api/status-pages/7/announcements/3": { deleted: 3 },
    });
    const user = userEvent.setup();
    renderSettings("status-pages");
    await user.click(await screen.findByRole("button", { name: "Edit Acme status" }));
    expect(await screen.findByText("DB upgrade")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Add announcement" }));
    await user.click(screen.getByRole("button", { name: "Save announcement" }));
    expect(await screen.findByText("is required")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Announcement title"), "Slow API");
    await user.type(screen.getByLabelText("Text (markdown)"), "We are *on it*.");
    await user.selectOptions(screen.getByLabelText("Severity"), "warning");
    await user.type(screen.getByLabelText("Ends"), "2026-12-01T12:00");
    await user.click(screen.getByRole("button", { name: "Save announcement" }));
    expect(await screen.findByText("Slow API")).toBeInTheDocument();
    const sent = api.called("POST", "/api/status-pages/7/announcements")[1].body as Record<string, unknown>;
    expect(sent).toMatchObject({ title: "Slow API", body: "We are *on it*.", severity: "warning" });
    expect(sent.ends_at).toBe(new Date("2026-12-01T12:00").toISOString());
    expect("starts_at" in sent).toBe(false);

    await user.click(screen.getByRole("button", { name: "Edit announcement DB upgrade" }));
    await user.clear(screen.getByLabelText("Announcement title"));
    await user.type(screen.getByLabelText("Announcement title"), "DB upgrade tonight");
    await user.click(screen.getByRole("button", { name: "Save announcement" }));
    expect(await screen.findByText("DB upgrade tonight")).toBeInTheDocument();
    expect((api.called("PUT", "/api/status-pages/7/announcements/3")[0].body as { starts_at: string }).starts_at).toBe("2026-11-20T10:00:00.000Z");

    await user.click(screen.getByRole("button", { name: "Delete announcement DB upgrade tonight" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete announcement" }));
    expect(screen.queryByText("DB upgrade tonight")).toBeNull();
    expect(api.called("DELETE", "/api/status-pages/7/announcements/3")).toHaveLength(1);
  });

  it("is not there for viewers", async () => {
    mockApi({ "GET /api/auth/me": VIEWER });
    renderApp("/settings/status-pages");
    expect(await screen.findByRole("heading", { name: "View only" })).toBeInTheDocument();
  });
});
