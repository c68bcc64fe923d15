import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ADMIN, mockApi, type Call } from "./mockApi";
import { renderApp } from "./render";
import { svgDocument } from "../src/pages/Account";

const users = [
  { id: 1, username: "admin", role: "admin", active: true, totp_enabled: false, created_at: "2026-01-20T09:00:00Z", last_login_at: "2026-01-26T10:00:00Z" },
  { id: 2, username: "vera", role: "viewer", active: true, totp_enabled: true, created_at: "2026-01-21T09:00:00Z", last_login_at: null },
];
const LAST_ADMIN = [409, { error: "The last active admin can't be removed, demoted or deactivated.", code: "last_admin" }];

describe("Settings › Users", () => {
  it("lists users, adds one, and changes, signs out and deletes another", async () => {
    let vera = { ...users[1] };
    const api = mockApi({
      "GET /api/users": users,
      "POST /api/users": ({ body }: Call) => {
        const b = body as { username: string; role: string };
        if (b.username === "admin") return [409, { error: "That username is taken.", code: "username_taken" }];
        return [201, { id: 3, username: b.username, role: b.role, active: true, totp_enabled: false, created_at: "2026-01-26T11:00:00Z", last_login_at: null }];
      },
      "PUT /api/users/2": ({ body }: Call) => {
        const { password: _password, ...change } = body as Record<string, unknown>;
        vera = { ...vera, ...change };
        return vera;
      },
      "PUT /api/users/1": LAST_ADMIN,
      "DELETE /api/users/2/sessions": { ended: 2 },
      "DELETE /api/users/2": { deleted: 2 },
    });
    const user = userEvent.setup();
    renderApp("/settings/users");
    const table = await screen.findByRole("table", { name: "Users" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("admin (you)");
    expect(rows[0]).toHaveTextContent("Active");
    expect(rows[1]).toHaveTextContent("vera");
    expect(rows[1]).toHaveTextContent("Viewer");
    expect(rows[1]).toHaveTextContent("never");

    // Add: too short a password is caught here; the API's refusal is shown; then it works.
    await user.type(screen.getByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "short");
    await user.click(screen.getByRole("button", { name: "Add user" }));
    expect(await screen.findByText("Too short: at least 10 characters.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Password"), " but long now");
    await user.click(screen.getByRole("button", { name: "Add user" }));
    expect(await screen.findByText("That username is taken.")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Username"));
    await user.type(screen.getByLabelText("Username"), "sam");
    await user.selectOptions(screen.getByLabelText("Role"), "admin");
    await user.click(screen.getByRole("button", { name: "Add user" }));
    expect(await screen.findByText(/Added sam \(Admin\)/)).toBeInTheDocument();
    expect(within(table).getAllByRole("row")).toHaveLength(4);
    expect(api.called("POST", "/api/users").at(-1)!.body).toEqual({ username: "sam", password: "short but long now", role: "admin" });
    expect(screen.getByLabelText("Username")).toHaveValue("");

    // Manage vera: role, two-factor off, sign out everywhere.
    await user.click(screen.getByRole("button", { name: "Manage vera" }));
    const dialog = screen.getByRole("dialog", { name: "Manage vera" });
    expect(within(dialog).getByLabelText("Role")).toHaveFocus();
    await user.selectOptions(within(dialog).getByLabelText("Role"), "admin");
    await user.click(within(dialog).getByRole("button", { name: "Change role" }));
    expect(await within(dialog).findByText("vera is now Admin.")).toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "Turn off two-factor" }));
    expect(await within(dialog).findByText(/Two-factor authentication is off for vera/)).toBeInTheDocument();
    expect(within(dialog).queryByRole("button", { name: "Turn off two-factor" })).toBeNull();
    await user.click(within(dialog).getByRole("button", { name: "Sign out everywhere" }));
    expect(await within(dialog).findByText("Signed vera out everywhere (2 sessions ended).")).toBeInTheDocument();
    await user.type(within(dialog).getByLabelText("New password"), "a new password for vera");
    await user.click(within(dialog).getByRole("button", { name: "Reset password" }));
    expect(await within(dialog).findByText("New password set for vera.")).toBeInTheDocument();
    expect(api.called("PUT", "/api/users/2").map((c) => c.body)).toEqual([{ role: "admin" }, { totp_enabled: false }, { password: "a new password for vera" }]);
    expect(rows[1]).toHaveTextContent("Admin");
    expect(rows[1]).toHaveTextContent("Off");
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getByRole("button", { name: "Manage vera" })).toHaveFocus();

    // The last admin can't deactivate themselves: the rule is said plainly.
    await user.click(screen.getByRole("button", { name: "Manage admin" }));
    const own = screen.getByRole("dialog", { name: "Manage admin" });
    expect(own).toHaveTextContent("This is your own account.");
    await user.click(within(own).getByRole("button", { name: "Deactivate" }));
    expect(await within(own).findByRole("alert")).toHaveTextContent("The last active admin can't be removed, demoted or deactivated");
    await user.click(within(own).getByRole("button", { name: "Close" }));

    // Delete asks first.
    await user.click(screen.getByRole("button", { name: "Manage vera" }));
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete user…" }));
    const confirm = screen.getByRole("alertdialog", { name: "Delete vera?" });
    await user.click(within(confirm).getByRole("button", { name: "Delete user" }));
    expect(await screen.findByText("Deleted vera.")).toBeInTheDocument();
    expect(within(table).queryByText("vera")).toBeNull();
    expect(api.called("DELETE", "/api/users/2")).toHaveLength(1);
    for (const write of api.calls.filter((c) => c.method !== "GET")) expect(write.headers.get("X-CSRF-Token")).toBe(ADMIN.csrf_token);
  });
});

describe("Settings › API tokens", () => {
  it("shows a new token once, with a way to copy it and a curl example", async () => {
    const secret = "ot_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA";
    const api = mockApi({
      "GET /api/tokens": [{ id: 1, name: "Backup script", scope: "read", owner: "admin", owner_id: 1, created_at: "2026-01-20T09:00:00Z", last_used_at: null, expires_at: null }],
      "POST /api/tokens": ({ body }: Call) => [201, { id: 2, ...(body as object), owner: "admin", owner_id: 1, created_at: "2026-01-26T11:00:00Z", last_used_at: null, expires_at: (body as { expires_at?: string }).expires_at ?? null, token: secret }],
      "DELETE /api/tokens/1": { deleted: 1 },
    });
    const user = userEvent.setup();
    renderApp("/settings/tokens");
    const table = await screen.findByRole("table", { name: "API tokens" });
    expect(table).toHaveTextContent("Backup script");
    expect(table).toHaveTextContent("Read only");
    expect(table).toHaveTextContent("never");

    await user.click(screen.getByRole("button", { name: "Create token" }));
    expect(await screen.findByText(/Name it after what uses it/)).toBeInTheDocument();
    expect(api.called("POST", "/api/tokens")).toHaveLength(0);
    await user.type(screen.getByLabelText("Name"), "Grafana");
    await user.click(screen.getByLabelText(/Read and write/));
    await user.type(screen.getByLabelText("Expires (optional)"), "2099-12-31");
    await user.click(screen.getByRole("button", { name: "Create token" }));

    const shown = await screen.findByTestId("new-token");
    expect(within(shown).getByRole("heading", { name: "New token “Grafana”" })).toHaveFocus();
    expect(shown).toHaveTextContent("you won't see it again");
    expect(within(shown).getByLabelText("The new API token")).toHaveValue(secret);
    expect(shown).toHaveTextContent(`curl -H "Authorization: Bearer ${secret}" ${window.location.origin}/api/monitors`);
    const body = api.called("POST", "/api/tokens")[0].body as { name: string; scope: string; expires_at: string };
    expect(body.name).toBe("Grafana");
    expect(body.scope).toBe("write");
    expect(body.expires_at).toMatch(/^20(99-12-31|100-01-01)T\d\d:59:59Z$/);
    expect(new Date(body.expires_at).getDate()).toBe(31); // the end of that day, here
    expect(table).toHaveTextContent("Grafana");
    expect(table).toHaveTextContent("Read and write");
    expect(table).not.toHaveTextContent(secret);

    await user.click(within(shown).getByRole("button", { name: "Copy token" }));
    expect(await within(shown).findByText("Copied.")).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toBe(secret);

    await user.click(screen.getByRole("button", { name: "Done, I copied it" }));
    expect(screen.queryByTestId("new-token")).toBeNull();
    expect(document.body.innerHTML).not.toContain(secret);

    await user.click(screen.getByRole("button", { name: "Revoke Backup script" }));
    await user.click(within(screen.getByRole("alertdialog", { name: "Revoke “Backup script”?" })).getByRole("button", { name: "Revoke token" }));
    expect(await screen.findByText(/Revoked “Backup script”/)).toBeInTheDocument();
    expect(table).not.toHaveTextContent("Backup script");
  });
});

describe("Settings › Audit", () => {
  it("shows who did what with compact details, and loads older entries", async () => {
    const api = mockApi({
      "GET /api/audit": ({ url }: Call) =>
        url.includes("before=")
          ? { items: [{ id: 1, at: "2026-01-25T08:00:00Z", user: null, address: "203.0.113.9", action: "auth.login_failed", target: null, details: { username: "root", reason: "password" } }], next_before: null }
          : {
              items: [
                { id: 3, at: "2026-01-26T10:00:00Z", user: "admin", address: "127.0.0.1", action: "user.update", target: "user:2", details: { name: "vera", changes: { role: ["viewer", "admin"] }, sessions_ended: 0 } },
                { id: 2, at: "2026-01-26T09:00:00Z", user: "admin", address: "127.0.0.1", action: "monitor.create", target: "monitor:7", details: {} },
              ],
              next_before: 2,
            },
    });
    const user = userEvent.setup();
    renderApp("/settings/audit");
    const table = await screen.findByRole("table", { name: "Audit log" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows[0]).toHaveTextContent("user.update");
    expect(rows[0]).toHaveTextContent("user:2");
    expect(rows[0]).toHaveTextContent("name: vera");
    expect(rows[0]).toHaveTextContent("changes: role: viewer → admin");
    expect(rows[0]).toHaveTextContent("sessions_ended: 0");
    expect(rows[1]).toHaveTextContent("monitor.create");

    await user.click(screen.getByRole("button", { name: "Load older" }));
    expect(await within(table).findByText("auth.login_failed")).toBeInTheDocument();
    expect(within(table).getAllByRole("row")).toHaveLength(4);
    expect(screen.queryByRole("button", { name: "Load older" })).toBeNull();
    expect(api.called("GET", "/api/audit").map((c) => c.url)).toEqual(["/api/audit?limit=50", "/api/audit?limit=50&before=2"]);
  });
});

describe("Your account", () => {
  it("two-factor: QR code as an image, a code to confirm, recovery codes once; turning off needs the password", async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" data-qr="1"><path d="M0 0h7v7H0z"/></svg>';
    const codes = Array.from({ length: 10 }, (_, i) => `abcd-ef${String(i).padStart(2, "0")}`);
    const api = mockApi({
      "POST /api/auth/totp": { secret: "JBSWY3DPEHPK3PXP", otpauth_uri: "otpauth://totp/OnlineTracker:admin?secret=JBSWY3DPEHPK3PXP&issuer=OnlineTracker", qr_svg: svg },
      "POST /api/auth/totp/confirm": ({ body }: Call) =>
        (body as { code: string }).code === "654321" ? { recovery_codes: codes } : [422, { error: "That code is not valid; check the time on your phone.", fields: { code: "is not valid" } }],
      "DELETE /api/auth/totp": ({ body }: Call) =>
        (body as { password: string }).password === "my password is long" ? { ...ADMIN, totp_enabled: false } : [403, { error: "The password is wrong.", code: "wrong_password", fields: { password: "is wrong" } }],
    });
    const user = userEvent.setup();
    const { container } = renderApp("/");
    await user.click(await screen.findByRole("button", { name: /admin/ }));
    await user.click(screen.getByRole("link", { name: /Two-factor authentication/ }));
    expect(await screen.findByRole("heading", { name: "Two-factor authentication", level: 1 })).toBeInTheDocument();
    expect(screen.getByTestId("totp-state")).toHaveTextContent("Two-factor authentication is off.");

    await user.click(screen.getByRole("button", { name: "Set up" }));
    const qr = await screen.findByRole("img", { name: "QR code to scan with an authenticator app" });
    expect(qr.getAttribute("src")).toBe(`data:image/svg+xml;utf8,${encodeURIComponent(svg)}`);
    expect(container.querySelector("svg[data-qr]")).toBeNull(); // never put into the page as markup
    expect(screen.getByTestId("totp-secret")).toHaveTextContent("JBSW Y3DP EHPK 3PXP");
    await user.type(screen.getByLabelText("Authentication code"), "111111");
    await user.click(screen.getByRole("button", { name: "Turn on" }));
    expect(await screen.findByText("is not valid")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Authentication code"));
    await user.type(screen.getByLabelText("Authentication code"), "654321");
    await user.click(screen.getByRole("button", { name: "Turn on" }));

    const list = await screen.findByRole("list", { name: "Recovery codes" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(10);
    expect(screen.getByRole("heading", { name: "Your recovery codes" })).toHaveFocus();
    expect(screen.getByText(/They are shown only now/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Copy codes" }));
    expect(await navigator.clipboard.readText()).toBe(codes.join("\n"));
    expect(screen.getByTestId("totp-state")).toHaveTextContent("is on.");
    await user.click(screen.getByRole("button", { name: "I have stored them" }));
    expect(screen.queryByRole("list", { name: "Recovery codes" })).toBeNull();
    expect(document.body.innerHTML).not.toContain(codes[0]);

    await user.type(screen.getByLabelText("Password"), "not my password");
    await user.click(screen.getByRole("button", { name: "Turn off two-factor" }));
    expect(await screen.findByText("This is not your password.")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Password"));
    await user.type(screen.getByLabelText("Password"), "my password is long");
    await user.click(screen.getByRole("button", { name: "Turn off two-factor" }));
    expect(await screen.findByText(/Two-factor authentication is off\. Signing in needs only your password/)).toBeInTheDocument();
    expect(api.called("DELETE", "/api/auth/totp").map((c) => c.body)).toEqual([{ password: "not my password" }, { password: "my password is long" }]);
    expect(api.called("POST", "/api/auth/totp")[0].body).toEqual({});
  });

  it("an SVG made for inline HTML gets its namespace, so it draws as an image", () => {
    expect(svgDocument('<svg width="165" height="165" class="segno"><path d="M0 0h1"/></svg>')).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" width="165" height="165" class="segno"><path d="M0 0h1"/></svg>',
    );
    const whole = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><g/></svg>';
    expect(svgDocument(whole)).toBe(whole);
  });

  it("change password: the wrong current password is said beside it", async () => {
    const api = mockApi({
      "PUT /api/auth/password": ({ body }: Call) =>
        (body as { current_password: string }).current_password === "the old password"
          ? { ...ADMIN, csrf_token: "csrf-same" }
          : [403, { error: "The current password is wrong.", code: "wrong_password", fields: { current_password: "is wrong" } }],
    });
    const user = userEvent.setup();
    renderApp("/account/password");
    await user.type(await screen.findByLabelText("Current password"), "a guess");
    await user.type(screen.getByLabelText("New password"), "the new password");
    await user.type(screen.getByLabelText("Confirm new password"), "the new password");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("This is not your current password.")).toBeInTheDocument();
    expect(screen.getByLabelText("Current password")).toHaveFocus();
    await user.clear(screen.getByLabelText("Current password"));
    await user.type(screen.getByLabelText("Current password"), "the old password");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText(/Password changed/)).toBeInTheDocument();
    expect(screen.getByLabelText("New password")).toHaveValue("");
    await waitFor(() => expect(api.called("PUT", "/api/auth/password")).toHaveLength(2));
    expect(api.called("PUT", "/api/auth/password")[1].body).toEqual({ current_password: "the old password", new_password: "the new password" });
  });
});
