import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ADMIN, VIEWER, batch, buckets, mockApi, type Call } from "./mockApi";
import { renderApp } from "./render";

const SETUP_REQUIRED = [401, { error: "setup required", code: "setup_required" }];
const LOGIN_REQUIRED = [401, { error: "Sign in first (or send Authorization: Bearer <token>).", code: "login_required" }];

const monitor = {
  id: 3, name: "Billing API", type: "https", target: "https://billing.example.com/health", interval_seconds: 60, timeout_seconds: 10, enabled: true, agent_id: 4,
  thresholds: { ok_ms: null, degraded_ms: null, ping_count: null, ssl_ok_days: null, ssl_warning_days: null },
  status: "ok", last_checked_at: "2026-01-26T10:30:00Z", last_latency_ms: 41.7, last_details: "HTTP 200",
};

/** Everything the dashboard and monitor 3's page read. */
const reads = {
  "GET /api/status/overview": { total: 1, ok: 1, degraded: 0, down: 0, unknown: 0, monitors: [{ ...monitor }] },
  "GET /api/monitors/history": batch({ "3": buckets([{ ok: 15 }]) }),
  "GET /api/monitors/3": monitor,
  "GET /api/monitors/3/history": { bucket_seconds: 900, buckets: buckets([{ ok: 15, avg_latency_ms: 40 }]) },
  "GET /api/monitors/3/uptime": ({ url }: Call) => ({ period: new URL(url, "http://x").searchParams.get("period"), uptime: 1, buckets: [] }),
  "GET /api/monitors/3/results": { items: [], page: 1, per_page: 25, total: 0 },
  "GET /api/monitors/defaults": { ok_ms: 80, degraded_ms: 200, ping_count: 5, ssl_ok_days: 30, ssl_warning_days: 14, interval_seconds: 60, timeout_seconds: 10 },
  "GET /api/agents": [{ id: 4, uuid: "aaaa", name: "frankfurt", approved: true, online: true, last_seen_at: null, monitor_count: 1 }],
};

const location = () => screen.getByTestId("location").textContent;

describe("First start", () => {
  it("asks for the owner account with the setup code, checks it, then signs in", async () => {
    const api = mockApi({
      ...reads,
      "GET /api/auth/me": SETUP_REQUIRED,
      "GET /api/status/overview": SETUP_REQUIRED,
      "POST /api/auth/setup": ({ body }: Call) =>
        (body as { setup_code: string }).setup_code === "K7F2-9QX4"
          ? [201, { ...ADMIN, username: "owner" }]
          : [403, { error: "The setup code is wrong (see the server's log or DATA_DIR/setup_code).", code: "bad_setup_code" }],
    });
    const user = userEvent.setup();
    renderApp("/monitors/3");
    expect(await screen.findByRole("heading", { name: "Create the owner account" })).toBeInTheDocument();
    expect(location()).toBe("/setup");
    expect(screen.getByText("DATA_DIR/setup_code")).toBeInTheDocument();
    expect(screen.getByText("onlinetracker create-user NAME --role admin")).toBeInTheDocument();
    expect(screen.queryByRole("navigation", { name: "Main" })).toBeNull();
    expect(screen.getByLabelText("Username")).toHaveFocus();

    // Checked here first: too short, then not the same twice; nothing is sent.
    await user.type(screen.getByLabelText("Username"), "owner");
    await user.type(screen.getByLabelText("Password"), "short");
    await user.type(screen.getByLabelText("Setup code"), "wrong");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByText("Too short: at least 10 characters.")).toBeInTheDocument();
    expect(screen.getByLabelText("Password")).toHaveFocus();
    await user.type(screen.getByLabelText("Password"), " and longer");
    await user.type(screen.getByLabelText("Confirm password"), "something else");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByText("The two passwords are not the same.")).toBeInTheDocument();
    expect(api.called("POST", "/api/auth/setup")).toHaveLength(0);

    await user.clear(screen.getByLabelText("Confirm password"));
    await user.type(screen.getByLabelText("Confirm password"), "short and longer");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByText(/The setup code is wrong/)).toBeInTheDocument();
    expect(screen.getByLabelText("Setup code")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Setup code")).toHaveFocus();

    await user.clear(screen.getByLabelText("Setup code"));
    await user.type(screen.getByLabelText("Setup code"), " K7F2-9QX4 ");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("heading", { name: "Dashboard" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: /owner/ })).toHaveTextContent("Admin");
    expect(api.called("POST", "/api/auth/setup").at(-1)!.body).toEqual({ username: "owner", password: "short and longer", setup_code: "K7F2-9QX4" });
    expect(location()).toBe("/");
  });

  it("sends to the sign-in page when the owner exists already", async () => {
    mockApi({
      "GET /api/auth/me": SETUP_REQUIRED,
      "POST /api/auth/setup": [409, { error: "This install already has an owner; sign in instead.", code: "setup_done" }],
    });
    const user = userEvent.setup();
    renderApp("/");
    await user.type(await screen.findByLabelText("Username"), "owner");
    await user.type(screen.getByLabelText("Password"), "long enough password");
    await user.type(screen.getByLabelText("Confirm password"), "long enough password");
    await user.type(screen.getByLabelText("Setup code"), "old");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.getByText(/The owner account already exists/)).toBeInTheDocument();
    expect(location()).toBe("/signin");
  });
});

describe("Sign in", () => {
  it("asks for the authentication code when the account has two-factor, and says when it is wrong", async () => {
    const api = mockApi({
      ...reads,
      "GET /api/auth/me": LOGIN_REQUIRED,
      "POST /api/auth/login": ({ body }: Call) => {
        const b = body as { username: string; password: string; totp?: string };
        if (b.password !== "correct horse battery") return [401, { error: "Wrong username or password.", code: "invalid_credentials" }];
        if (b.totp === undefined) return [401, { error: "Enter the code from your authenticator app.", code: "totp_required" }];
        if (b.totp !== "123456") return [401, { error: "That code is not valid (or was already used).", code: "totp_invalid" }];
        return { ...ADMIN, totp_enabled: true };
      },
    });
    const user = userEvent.setup();
    renderApp("/");
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(location()).toBe("/signin");

    await user.type(screen.getByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "wrong password");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username or password.");
    expect(screen.getByLabelText("Password")).toHaveFocus();

    await user.clear(screen.getByLabelText("Password"));
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { name: "Two-factor authentication" })).toBeInTheDocument();
    const code = screen.getByLabelText("Authentication code");
    expect(code).toHaveFocus();
    await user.type(code, "000000");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect(await screen.findByText(/That code is not right/)).toBeInTheDocument();
    expect(screen.getByLabelText("Authentication code")).toHaveAttribute("aria-invalid", "true");

    await user.clear(screen.getByLabelText("Authentication code"));
    await user.type(screen.getByLabelText("Authentication code"), "123 456");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect(await screen.findByRole("heading", { name: "Dashboard" })).toBeInTheDocument();
    expect(api.called("POST", "/api/auth/login").map((c) => c.body)).toEqual([
      { username: "admin", password: "wrong password" },
      { username: "admin", password: "correct horse battery" },
      { username: "admin", password: "correct horse battery", totp: "000000" },
      { username: "admin", password: "correct horse battery", totp: "123456" },
    ]);
  });

  it("shows the server's words when sign-ins are throttled", async () => {
    mockApi({
      "GET /api/auth/me": LOGIN_REQUIRED,
      "POST /api/auth/login": [429, { error: "Too many failed attempts; try again in 60 s.", code: "throttled", retry_after: 60 }],
    });
    const user = userEvent.setup();
    renderApp("/");
    await user.type(await screen.findByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "whatever it is");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many failed attempts; try again in 60 s.");
  });

  it("an ended session leads to the sign-in page and, after signing in, back to the same page", async () => {
    let signedIn = true;
    const guarded = (reply: unknown) => () => (signedIn ? reply : LOGIN_REQUIRED);
    const api = mockApi({
      ...reads,
      "GET /api/monitors/3": guarded(monitor),
      "GET /api/monitors/3/history": guarded(reads["GET /api/monitors/3/history"]),
      "GET /api/monitors/3/results": guarded(reads["GET /api/monitors/3/results"]),
      "POST /api/auth/login": () => {
        signedIn = true;
        return { ...ADMIN, csrf_token: "csrf-second-session" };
      },
    });
    const user = userEvent.setup();
    renderApp("/");
    await screen.findByRole("heading", { name: "Dashboard" });
    signedIn = false; // e.g. an admin signed this user out everywhere
    await user.click(await screen.findByRole("link", { name: "Billing API" }));

    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(location()).toBe("/signin?next=%2Fmonitors%2F3");
    expect(screen.getByText(/Your session has ended/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /admin/ })).toBeNull(); // no user menu while signed out

    await user.type(screen.getByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { name: "Billing API", level: 1 })).toBeInTheDocument();
    expect(location()).toBe("/monitors/3");

    // The new session's CSRF token goes with the next write.
    await user.click(screen.getByRole("button", { name: "Test now" }));
    await waitFor(() => expect(api.called("POST", "/api/monitors/3/test")).toHaveLength(1));
    expect(api.called("POST", "/api/monitors/3/test")[0].headers.get("X-CSRF-Token")).toBe("csrf-second-session");
  });

  it("never sends the user to another site after sign-in", async () => {
    mockApi({ ...reads, "GET /api/auth/me": LOGIN_REQUIRED, "POST /api/auth/login": ADMIN });
    const user = userEvent.setup();
    renderApp("/signin?next=//evil.example.com/");
    await user.type(await screen.findByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByRole("heading", { name: "Dashboard" });
    expect(location()).toBe("/");
  });
});

describe("Writes", () => {
  it("carry the CSRF token and a JSON body, reads don't; Sign out ends the session", async () => {
    const api = mockApi({ ...reads, "DELETE /api/monitors/3": { deleted: 3 }, "POST /api/auth/logout": { signed_out: true } });
    const user = userEvent.setup();
    renderApp("/monitors/3");
    await screen.findByRole("heading", { name: "Billing API", level: 1 });
    await user.click(screen.getByRole("button", { name: "Delete" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete monitor" }));
    expect(await screen.findByText("Monitor “Billing API” deleted.")).toBeInTheDocument();

    const [remove] = api.called("DELETE", "/api/monitors/3");
    expect(remove.headers.get("X-CSRF-Token")).toBe(ADMIN.csrf_token);
    expect(remove.headers.get("Content-Type")).toBe("application/json");
    expect(remove.body).toEqual({});
    for (const read of api.calls.filter((c) => c.method === "GET")) expect(read.headers.get("X-CSRF-Token")).toBeNull();

    await user.click(screen.getByRole("button", { name: /admin/ }));
    await user.click(screen.getByRole("button", { name: "Sign out" }));
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.getByText("You have signed out.")).toBeInTheDocument();
    expect(location()).toBe("/signin");
    const [logout] = api.called("POST", "/api/auth/logout");
    expect(logout.headers.get("X-CSRF-Token")).toBe(ADMIN.csrf_token);
    expect(logout.headers.get("Content-Type")).toBe("application/json");
  });
});

describe("Session changes under the page", () => {
  it("a write refused for a stale CSRF token (a sign-in in another tab) is sent once more with the new one", async () => {
    let me = ADMIN;
    const api = mockApi({
      ...reads,
      "GET /api/auth/me": () => me,
      "POST /api/monitors/3/test": ({ headers }: Call) =>
        headers.get("X-CSRF-Token") === "csrf-other-tab"
          ? { status: "ok", latency_ms: 12, details: "HTTP 200", checked_at: "2026-01-26T10:30:00Z" }
          : [403, { error: "Missing or wrong X-CSRF-Token header.", code: "csrf" }],
    });
    const user = userEvent.setup();
    renderApp("/monitors/3");
    await screen.findByRole("heading", { name: "Billing API", level: 1 });
    me = { ...ADMIN, csrf_token: "csrf-other-tab" };
    await user.click(screen.getByRole("button", { name: "Test now" }));
    expect(await screen.findByTestId("test-result")).toHaveTextContent("HTTP 200");
    expect(api.called("POST", "/api/monitors/3/test").map((c) => c.headers.get("X-CSRF-Token"))).toEqual([ADMIN.csrf_token, "csrf-other-tab"]);
  });

  it("an admin demoted meanwhile sees the viewer's page after the first refusal", async () => {
    let me = ADMIN;
    mockApi({
      ...reads,
      "GET /api/auth/me": () => me,
      "POST /api/monitors/3/test": [403, { error: "Your account can only view; ask an admin.", code: "forbidden" }],
    });
    const user = userEvent.setup();
    renderApp("/monitors/3");
    await screen.findByRole("heading", { name: "Billing API", level: 1 });
    me = { ...ADMIN, role: "viewer" };
    await user.click(screen.getByRole("button", { name: "Test now" }));
    await waitFor(() => expect(screen.queryByRole("button", { name: "Test now" })).toBeNull());
    expect(screen.queryByRole("link", { name: /Add Monitor/ })).toBeNull();
    expect(screen.getByRole("button", { name: /admin/ })).toHaveTextContent("Viewer");
  });
});

describe("Viewers", () => {
  it("see monitors without any control to change them, and the admin-only lists are not asked for", async () => {
    const api = mockApi({ ...reads, "GET /api/auth/me": VIEWER });
    const user = userEvent.setup();
    renderApp("/");
    await screen.findByRole("heading", { name: "Dashboard" });
    expect(await screen.findByRole("link", { name: "Billing API" })).toBeInTheDocument();
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Dashboard" })).toBeInTheDocument();
    expect(within(nav).queryByRole("link", { name: "Settings" })).toBeNull();
    expect(screen.queryByRole("link", { name: /Add Monitor/ })).toBeNull();
    expect(screen.getByRole("button", { name: /vera/ })).toHaveTextContent("Viewer");

    await user.click(screen.getByRole("link", { name: "Billing API" }));
    await screen.findByRole("heading", { name: "Billing API", level: 1 });
    expect(screen.getByText("from agent 4")).toBeInTheDocument();
    for (const name of ["Edit", "Delete", "Test now"]) {
      expect(screen.queryByRole("button", { name })).toBeNull();
      expect(screen.queryByRole("link", { name })).toBeNull();
    }
    expect(api.called("GET", "/api/agents")).toHaveLength(0);
    expect(api.calls.filter((c) => c.method !== "GET")).toHaveLength(0);
  });

  it.each(["/monitors/new", "/monitors/3/edit", "/settings", "/settings/users"])("at %s read that their account can only view", async (path) => {
    const api = mockApi({ ...reads, "GET /api/auth/me": VIEWER });
    renderApp(path);
    expect(await screen.findByText(/Your account can only view/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save" })).toBeNull();
    expect(api.calls.map((c) => c.path)).toEqual(["/api/auth/me"]);
  });
});
