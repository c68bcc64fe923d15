import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { MonitorForm } from "../src/pages/MonitorForm";
import { Authed } from "./render";
import { mockApi } from "./mockApi";

const defaults = { ok_ms: 80, degraded_ms: 200, ping_count: 5, ssl_ok_days: 30, ssl_warning_days: 14, interval_seconds: 60, timeout_seconds: 10, grace_seconds: 60 };
const httpDefaults = {
  method: "GET", headers: {}, body: null, expected_status: "200-399", follow_redirects: true, verify_tls: true,
  keyword: null, keyword_mode: "present", json_path: null, json_expected: null, basic_auth: null,
};
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
    await user.type(screen.getByLabelText("URL"), "http://api.example.com/health");
    await user.click(screen.getByText("Threshold Settings"));
    await user.type(screen.getByLabelText("OK when latency ≤ (ms)"), "50");
    await user.selectOptions(screen.getByLabelText("Checked from"), "4");
    await user.click(screen.getByRole("button", { name: "Test" }));
    const result = await screen.findByTestId("test-result");
    expect(result).toHaveTextContent("OK");
    expect(result).toHaveTextContent("42 ms");
    expect(result).toHaveTextContent("HTTP 200");
    // The timeout is left out (it follows the interval); the HTTP options go with their defaults.
    expect(api.called("POST", "/api/monitors/test")[0].body).toEqual({
      name: "API Server",
      type: "http",
      target: "http://api.example.com/health",
      enabled: true,
      agent_id: 4,
      interval_seconds: 60,
      thresholds: { ok_ms: 50, degraded_ms: null, ping_count: null, ssl_ok_days: null, ssl_warning_days: null },
      http: httpDefaults,
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
    await user.type(screen.getByLabelText("URL"), "file:///etc/passwd");
    await user.click(screen.getByRole("button", { name: "Save" }));
    const target = screen.getByLabelText("URL");
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

  it("shows each type's own fields and hides the others'", async () => {
    mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": agents });
    const user = userEvent.setup();
    renderAt("/monitors/new");
    await screen.findByRole("heading", { name: "Add monitor" });
    const types = within(screen.getByRole("group", { name: "Type" }));
    expect(types.getAllByRole("radio").map((r) => r.parentElement?.textContent)).toEqual(["Ping", "HTTP", "HTTPS", "SSL", "TCP", "DNS", "Heartbeat"]);

    const absent = (...labels: string[]) => labels.forEach((l) => expect(screen.queryByLabelText(l)).toBeNull());
    const checkFields = ["Interval (seconds)", "Timeout (seconds)", "Checked from"];
    const dnsFields = ["Record type", "DNS server", "Expected values"];
    const heartbeatFields = ["Expected every", "Grace (seconds)"];

    // HTTP (the default): a URL and the advanced request, nothing of DNS or heartbeats.
    expect(screen.getByLabelText("URL")).toHaveAttribute("placeholder", "http://example.com/health");
    expect(screen.getByText("Advanced request & assertions")).toBeInTheDocument();
    checkFields.forEach((l) => expect(screen.getByLabelText(l)).toBeInTheDocument());
    absent(...dnsFields, ...heartbeatFields);
    expect(screen.getByRole("button", { name: "Test" })).toBeInTheDocument();

    await user.click(screen.getByLabelText("TCP"));
    expect(screen.getByLabelText("Host and port")).toHaveAttribute("placeholder", "host:port");
    expect(screen.queryByText("Advanced request & assertions")).toBeNull();
    absent("URL", ...dnsFields, ...heartbeatFields);
    checkFields.forEach((l) => expect(screen.getByLabelText(l)).toBeInTheDocument());

    await user.click(screen.getByLabelText("DNS"));
    expect(screen.getByLabelText("Domain")).toHaveAttribute("placeholder", "example.com");
    const record = screen.getByLabelText("Record type");
    expect([...record.querySelectorAll("option")].map((o) => o.textContent)).toEqual(["A", "AAAA", "CNAME", "MX", "TXT", "NS"]);
    expect(screen.getByLabelText("DNS server")).toHaveValue("");
    expect(screen.getByLabelText("Expected values")).toBeInTheDocument();
    expect(screen.queryByText("Advanced request & assertions")).toBeNull();
    absent("Host and port", ...heartbeatFields);

    await user.click(screen.getByLabelText("Heartbeat"));
    absent("Domain", "Host and port", "URL", "Target", ...checkFields, ...dnsFields);
    expect(screen.getByLabelText("Expected every")).toHaveValue(1);
    expect(screen.getByLabelText("Unit of the period")).toHaveValue("days");
    expect(screen.getByLabelText("Grace (seconds)")).toHaveAttribute("placeholder", "60 (default)");
    expect(screen.getByTestId("heartbeat-note")).toHaveTextContent("push URL");
    expect(screen.queryByRole("button", { name: "Test" })).toBeNull();
    await user.click(screen.getByText("Threshold Settings"));
    expect(screen.getByTestId("run-time-note")).toHaveTextContent("run time");
    expect(screen.getByLabelText("OK when the run took ≤ (ms)")).toHaveAttribute("placeholder", "not judged");
    absent("OK when latency ≤ (ms)", "Pings per check (1–10)");

    await user.click(screen.getByLabelText("Ping"));
    expect(screen.getByLabelText("Target")).toHaveAttribute("placeholder", "192.168.1.1 or host.example.com");
    expect(screen.getByLabelText("OK when latency ≤ (ms)")).toHaveAttribute("placeholder", "80 (default)");
    absent(...dnsFields, ...heartbeatFields);
    expect(screen.getByRole("button", { name: "Test" })).toBeInTheDocument();
  });

  it("leaves the timeout empty, its placeholder the default the interval gives", async () => {
    mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": [] });
    const user = userEvent.setup();
    renderAt("/monitors/new");
    const timeout = await screen.findByLabelText("Timeout (seconds)");
    expect(timeout).toHaveValue(null);
    expect(timeout).toHaveAttribute("placeholder", "10 (default)");
    await user.clear(screen.getByLabelText("Interval (seconds)"));
    await user.type(screen.getByLabelText("Interval (seconds)"), "10");
    expect(timeout).toHaveAttribute("placeholder", "9 (default)");
  });

  it("saves a heartbeat: no target, no agent, no timeout, the period in seconds and the grace", async () => {
    const api = mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": agents, "POST /api/monitors": [201, { id: 12 }] });
    const user = userEvent.setup();
    renderAt("/monitors/new");
    await user.click(await screen.findByLabelText("Heartbeat"));
    await user.type(screen.getByLabelText("Name"), "Nightly backup");
    const period = screen.getByLabelText("Expected every");
    await user.clear(period);
    await user.type(period, "6");
    await user.selectOptions(screen.getByLabelText("Unit of the period"), "hours");
    expect(screen.getByText(/= 21,600 s \(6 h\)/)).toBeInTheDocument();
    await user.type(screen.getByLabelText("Grace (seconds)"), "900");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("detail page")).toBeInTheDocument();
    const body = api.called("POST", "/api/monitors")[0].body as Record<string, unknown>;
    expect(body).toMatchObject({ name: "Nightly backup", type: "heartbeat", target: "", agent_id: null, interval_seconds: 21600, grace_seconds: 900 });
    expect(body).not.toHaveProperty("timeout_seconds");
    expect(body).not.toHaveProperty("http");
    expect(body).not.toHaveProperty("dns");
  });

  it("sends a DNS monitor's query: expected values one a line or comma separated, TXT values by line only", async () => {
    const api = mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": [], "POST /api/monitors/test": { status: "ok", latency_ms: 3, details: "A 93.184.215.14", checked_at: "2026-01-26T10:30:00Z" } });
    const user = userEvent.setup();
    renderAt("/monitors/new");
    await user.click(await screen.findByLabelText("DNS"));
    await user.type(screen.getByLabelText("Name"), "Apex");
    await user.type(screen.getByLabelText("Domain"), "example.com");
    await user.type(screen.getByLabelText("Expected values"), "93.184.215.14, 93.184.215.15{Enter}10.0.0.1");
    expect(screen.getByText(/3 values\./)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Test" }));
    await screen.findByTestId("test-result");
    expect(api.called("POST", "/api/monitors/test")[0].body).toMatchObject({
      type: "dns",
      target: "example.com",
      dns: { record_type: "A", server: null, expected: ["93.184.215.14", "93.184.215.15", "10.0.0.1"] },
    });

    await user.selectOptions(screen.getByLabelText("Record type"), "TXT");
    await user.type(screen.getByLabelText("DNS server"), "1.1.1.1:53");
    const expected = screen.getByLabelText("Expected values");
    await user.clear(expected);
    await user.type(expected, "v=spf1 a, mx -all{Enter}google-site-verification=abc");
    await user.click(screen.getByRole("button", { name: "Test" }));
    await screen.findByTestId("test-result");
    expect(api.called("POST", "/api/monitors/test")[1].body).toMatchObject({
      dns: { record_type: "TXT", server: "1.1.1.1:53", expected: ["v=spf1 a, mx -all", "google-site-verification=abc"] },
    });
  });

  it("edits request headers as rows, allows a body only with POST/PUT/PATCH/DELETE, warns when TLS isn't verified", async () => {
    const api = mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": [], "POST /api/monitors": [201, { id: 3 }] });
    const user = userEvent.setup();
    renderAt("/monitors/new");
    await user.click(await screen.findByLabelText("HTTPS"));
    await user.type(screen.getByLabelText("Name"), "Orders API");
    await user.type(screen.getByLabelText("URL"), "https://api.example.com/orders");
    await user.click(screen.getByText("Advanced request & assertions"));

    const headers = () => screen.queryAllByLabelText(/^Header \d key$/);
    expect(headers()).toHaveLength(0);
    await user.click(screen.getByRole("button", { name: "Add header" }));
    expect(screen.getByLabelText("Header 1 key")).toHaveFocus();
    await user.keyboard("X-Drop-Me");
    await user.type(screen.getByLabelText("Header 1 value"), "1");
    await user.click(screen.getByRole("button", { name: "Add header" }));
    await user.keyboard("Authorization");
    await user.type(screen.getByLabelText("Header 2 value"), "Bearer s3cret");
    await user.click(screen.getByRole("button", { name: "Add header" }));
    await user.keyboard("Accept");
    await user.type(screen.getByLabelText("Header 3 value"), "application/json");
    expect(headers()).toHaveLength(3);
    await user.click(screen.getByRole("button", { name: "Remove header 1 (X-Drop-Me)" }));
    expect(headers().map((h) => (h as HTMLInputElement).value)).toEqual(["Authorization", "Accept"]);

    const body = screen.getByLabelText("Request body");
    expect(body).toBeDisabled();
    await user.selectOptions(screen.getByLabelText("Method"), "POST");
    expect(body).toBeEnabled();
    await user.click(body);
    await user.paste('{"dry_run": true}');
    await user.type(screen.getByLabelText("Expected status"), "200-299,301");
    await user.click(screen.getByLabelText("Follow redirects"));
    expect(screen.queryByTestId("tls-warning")).toBeNull();
    await user.click(screen.getByLabelText("Verify TLS certificate"));
    expect(screen.getByTestId("tls-warning")).toHaveTextContent("Certificates are not checked");
    await user.type(screen.getByLabelText("Keyword"), "maintenance");
    await user.selectOptions(screen.getByLabelText("The keyword must be"), "absent");
    await user.type(screen.getByLabelText("JSONPath"), "$.status");
    await user.type(screen.getByLabelText("Expected value"), "up");
    expect(screen.getByLabelText("Basic auth password")).toBeDisabled();
    await user.type(screen.getByLabelText("Basic auth user"), "monitor");
    await user.type(screen.getByLabelText("Basic auth password"), "hunter22");
    await user.click(screen.getByRole("button", { name: "Save" }));

    await screen.findByText("detail page");
    expect((api.called("POST", "/api/monitors")[0].body as { http: unknown }).http).toEqual({
      method: "POST",
      headers: { Authorization: "Bearer s3cret", Accept: "application/json" },
      body: '{"dry_run": true}',
      expected_status: "200-299,301",
      follow_redirects: false,
      verify_tls: false,
      keyword: "maintenance",
      keyword_mode: "absent",
      json_path: "$.status",
      json_expected: "up",
      basic_auth: { username: "monitor", password: "hunter22" },
    });
  });

  it("puts the API's messages about nested fields beside their inputs and opens the section they are in", async () => {
    mockApi({
      "GET /api/monitors/defaults": defaults,
      "GET /api/agents": [],
      "POST /api/monitors": [
        422,
        {
          error: "Some fields are invalid.",
          fields: {
            "http.expected_status": "must be status codes or ranges like 200-299,301",
            "http.headers": "header name 'X Bad' is not a valid HTTP token",
            "http.headers.X-Long": "string should have at most 4096 characters",
            "http.basic_auth.username": "must be 1–200 characters without ':' or control characters",
            "http.frobnicate": "is not known",
          },
        },
      ],
    });
    const user = userEvent.setup();
    renderAt("/monitors/new");
    await user.type(await screen.findByLabelText("Name"), "x");
    await user.type(screen.getByLabelText("URL"), "http://example.com");
    await user.click(screen.getByText("Advanced request & assertions"));
    for (const name of ["X-Long", "X Bad"]) {
      await user.click(screen.getByRole("button", { name: "Add header" }));
      await user.keyboard(name);
    }
    await user.type(screen.getByLabelText("Header 1 value"), "y");
    await user.type(screen.getByLabelText("Header 2 value"), "z");
    await user.type(screen.getByLabelText("Basic auth user"), "a:b");
    // Closed again: the error opens it.
    await user.click(screen.getByText("Advanced request & assertions"));
    expect(screen.getByTestId("http-advanced")).not.toHaveAttribute("open");
    await user.click(screen.getByRole("button", { name: "Save" }));

    const status = await screen.findByLabelText("Expected status");
    await screen.findByText("must be status codes or ranges like 200-299,301");
    expect(screen.getByTestId("http-advanced")).toHaveAttribute("open");
    const described = (el: HTMLElement) =>
      (el.getAttribute("aria-describedby") ?? "")
        .split(" ")
        .map((id) => document.getElementById(id)?.textContent ?? "")
        .join(" ");
    expect(status).toHaveAttribute("aria-invalid", "true");
    expect(described(status)).toContain("must be status codes");
    // The header the message names, not the other one; a value's own message on its row.
    expect(screen.getByLabelText("Header 2 key")).toHaveAttribute("aria-invalid", "true");
    expect(described(screen.getByLabelText("Header 2 key"))).toContain("header name 'X Bad' is not a valid HTTP token");
    expect(screen.getByLabelText("Header 1 key")).not.toHaveAttribute("aria-invalid");
    expect(screen.getByLabelText("Header 1 value")).toHaveAttribute("aria-invalid", "true");
    expect(described(screen.getByLabelText("Header 1 value"))).toContain("at most 4096 characters");
    expect(described(screen.getByLabelText("Basic auth user"))).toContain("without ':'");
    // What the form has no place for is listed in the notice.
    expect(screen.getByText("http.frobnicate")).toBeInTheDocument();
    // Focus goes to the first field with a problem.
    expect(document.activeElement).toBe(status);
  });

  it("puts DNS and heartbeat messages beside their inputs", async () => {
    const replies = [
      { error: "Some fields are invalid.", fields: { "dns.server": "not a valid host name or IP address", "dns.expected.1": "string should have at most 255 characters", target: "a dns target is a domain name such as example.com" } },
      { error: "Some fields are invalid.", fields: { interval_seconds: "input should be less than or equal to 2678400", grace_seconds: "input should be greater than or equal to 5" } },
    ];
    mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": [], "POST /api/monitors": () => [422, replies.shift()] });
    const user = userEvent.setup();
    renderAt("/monitors/new");
    await user.click(await screen.findByLabelText("DNS"));
    await user.type(screen.getByLabelText("Name"), "x");
    await user.type(screen.getByLabelText("Domain"), "1.2.3.4");
    await user.type(screen.getByLabelText("DNS server"), "bad host");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("not a valid host name or IP address")).toBeInTheDocument();
    expect(screen.getByLabelText("Domain")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("DNS server")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Expected values")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("string should have at most 255 characters")).toBeInTheDocument();

    await user.click(screen.getByLabelText("Heartbeat"));
    const period = screen.getByLabelText("Expected every");
    await user.clear(period);
    await user.type(period, "40");
    await user.type(screen.getByLabelText("Grace (seconds)"), "1");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("input should be less than or equal to 2678400")).toBeInTheDocument();
    expect(period).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Grace (seconds)")).toHaveAttribute("aria-invalid", "true");
    expect(document.activeElement).toBe(period);
  });

  it("keeps a saved basic-auth password unless a new one is typed, and removes basic auth with the username", async () => {
    const monitor = {
      id: 9, name: "Admin page", type: "https", target: "https://admin.example.com", interval_seconds: 60, timeout_seconds: 10, enabled: true, agent_id: null,
      thresholds: { ok_ms: null, degraded_ms: null, ping_count: null, ssl_ok_days: null, ssl_warning_days: null },
      http: { ...httpDefaults, keyword: "Welcome", headers: { "X-Env": "prod" }, basic_auth: { username: "ops", password_set: true } },
      dns: null, grace_seconds: 60, push_url: null,
      status: "ok", last_checked_at: null, last_latency_ms: null, last_details: null,
    };
    const api = mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": [], "GET /api/monitors/9": monitor, "PUT /api/monitors/9": monitor });
    const user = userEvent.setup();
    renderAt("/monitors/9/edit");
    // Options that differ from the defaults: the section comes open, with a count.
    expect(await screen.findByTestId("http-advanced")).toHaveAttribute("open");
    expect(screen.getByText(/3 changed/)).toBeInTheDocument();
    expect(screen.getByLabelText("Timeout (seconds)")).toHaveValue(null); // 10 s is what 60 s gives anyway
    expect(screen.getByLabelText("Header 1 key")).toHaveValue("X-Env");
    expect(screen.getByLabelText("Keyword")).toHaveValue("Welcome");
    expect(screen.getByLabelText("Basic auth user")).toHaveValue("ops");
    const password = screen.getByLabelText("Basic auth password");
    expect(password).toHaveValue("");
    expect(password).toHaveAttribute("placeholder", "unchanged");

    await user.clear(screen.getByLabelText("Keyword"));
    await user.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("detail page");
    const first = api.called("PUT", "/api/monitors/9")[0].body as { http: Record<string, unknown>; timeout_seconds?: number };
    expect(first.http.basic_auth).toEqual({ username: "ops" }); // no password: the saved one stays
    expect(first.http.keyword).toBeNull(); // sent as null, or the PUT's merge would keep it
    expect(first.http.headers).toEqual({ "X-Env": "prod" });
    expect(first).not.toHaveProperty("timeout_seconds");
  });

  it("removes basic auth when the username is emptied", async () => {
    const monitor = {
      id: 9, name: "Admin page", type: "https", target: "https://admin.example.com", interval_seconds: 60, timeout_seconds: 5, enabled: true, agent_id: null,
      thresholds: { ok_ms: null, degraded_ms: null, ping_count: null, ssl_ok_days: null, ssl_warning_days: null },
      http: { ...httpDefaults, basic_auth: { username: "ops", password_set: true } },
      status: "ok", last_checked_at: null, last_latency_ms: null, last_details: null,
    };
    const api = mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": [], "GET /api/monitors/9": monitor, "PUT /api/monitors/9": monitor });
    const user = userEvent.setup();
    renderAt("/monitors/9/edit");
    expect(await screen.findByLabelText("Timeout (seconds)")).toHaveValue(5);
    await user.clear(screen.getByLabelText("Basic auth user"));
    expect(screen.getByText(/basic auth is removed, with its saved password/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("detail page");
    const body = api.called("PUT", "/api/monitors/9")[0].body as { http: Record<string, unknown>; timeout_seconds?: number };
    expect(body.http.basic_auth).toBeNull();
    expect(body.timeout_seconds).toBe(5);
  });

  it("edits a heartbeat: the period in its largest whole unit, no Test", async () => {
    const monitor = {
      id: 4, name: "Backup", type: "heartbeat", target: "", interval_seconds: 172800, timeout_seconds: 10, enabled: true, agent_id: null,
      thresholds: { ok_ms: 60000, degraded_ms: 120000, ping_count: null, ssl_ok_days: null, ssl_warning_days: null },
      http: null, dns: null, grace_seconds: 3600, push_url: "http://ot.example/push/abc",
      status: "ok", last_checked_at: null, last_latency_ms: null, last_details: null,
    };
    const api = mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": [], "GET /api/monitors/4": monitor, "PUT /api/monitors/4": monitor });
    const user = userEvent.setup();
    renderAt("/monitors/4/edit");
    expect(await screen.findByLabelText("Expected every")).toHaveValue(2);
    expect(screen.getByLabelText("Unit of the period")).toHaveValue("days");
    expect(screen.getByLabelText("Grace (seconds)")).toHaveValue(3600);
    expect(screen.getByLabelText("OK when the run took ≤ (ms)")).toHaveValue(60000);
    expect(screen.queryByRole("button", { name: "Test" })).toBeNull();
    await user.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("detail page");
    expect(api.called("PUT", "/api/monitors/4")[0].body).toMatchObject({ type: "heartbeat", target: "", interval_seconds: 172800, grace_seconds: 3600, thresholds: { ok_ms: 60000, degraded_ms: 120000 } });
  });

  describe("Notifications", () => {
    const health = { state: "ok", last_sent_at: null, last_error: null, failed_at: null };
    const channels = [
      { id: 3, name: "Ops Slack", kind: "apprise", service: "Slack", default: true, events: ["down"], monitor_count: 1, from_settings: null, config: {}, health },
      { id: 4, name: "DBA email", kind: "email", service: "Email", default: false, events: ["down"], monitor_count: 0, from_settings: null, config: {}, health: { ...health, state: "failed" } },
      { id: 5, name: "Webhook", kind: "webhook", service: "Webhook", default: true, events: ["down"], monitor_count: 9, from_settings: "webhook", config: {}, health },
    ];
    const picks = () => within(screen.getByRole("group", { name: "Channels" }));

    it("a new monitor starts with the default channels and sends its channels and alert policy", async () => {
      const api = mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": [], "GET /api/channels": { items: channels }, "POST /api/monitors": [201, { id: 12 }], "POST /api/monitors/test": { status: "ok", latency_ms: 3, details: "HTTP 200", checked_at: "2026-01-26T10:30:00Z" } });
      const user = userEvent.setup();
      renderAt("/monitors/new");
      await user.type(await screen.findByLabelText("Name"), "Shop");
      await user.type(screen.getByLabelText("URL"), "http://shop.example.com");
      expect(picks().getByLabelText(/Ops Slack/)).toBeChecked();
      expect(picks().getByLabelText(/Webhook/)).toBeChecked();
      expect(picks().getByLabelText(/DBA email/)).not.toBeChecked();
      expect(picks().getByText(/failed/)).toBeInTheDocument();
      expect(screen.getByLabelText("Repeat every (minutes)")).toBeDisabled();
      expect(screen.getByLabelText("Consecutive failed checks before alerting")).toHaveValue(1);

      await user.click(picks().getByLabelText(/Webhook/));
      await user.click(picks().getByLabelText(/DBA email/));
      await user.selectOptions(screen.getByLabelText("Alert type"), "repeated");
      await user.type(screen.getByLabelText("Repeat every (minutes)"), "15");
      await user.selectOptions(screen.getByLabelText("Alert when restored"), "no");
      const confirm = screen.getByLabelText("Consecutive failed checks before alerting");
      await user.clear(confirm);
      await user.type(confirm, "3");
      expect(screen.getByText(/Alert after 3 consecutive failed checks/)).toBeInTheDocument();

      // The check's test is about the check: no alert fields in it.
      await user.click(screen.getByRole("button", { name: "Test" }));
      await screen.findByTestId("test-result");
      expect(api.called("POST", "/api/monitors/test")[0].body).not.toHaveProperty("channel_ids");

      await user.click(screen.getByRole("button", { name: "Save" }));
      await screen.findByText("detail page");
      expect(api.called("POST", "/api/monitors")[0].body).toMatchObject({
        name: "Shop", channel_ids: [3, 4], alert_type: "repeated", repeat_minutes: 15, alert_on_restored: false, confirm_checks: 3,
      });
    });

    it("edits a monitor's channels and policy, and shows the API's messages by them", async () => {
      const monitor = {
        id: 7, name: "API", type: "http", target: "http://api.example.com", interval_seconds: 60, timeout_seconds: 10, enabled: true, agent_id: null,
        thresholds: { ok_ms: null, degraded_ms: null, ping_count: null, ssl_ok_days: null, ssl_warning_days: null },
        status: "ok", last_checked_at: null, last_latency_ms: null, last_details: null,
        channel_ids: [4], alert_type: null, repeat_minutes: null, alert_on_restored: true, confirm_checks: 2,
      };
      const api = mockApi({
        "GET /api/monitors/defaults": defaults, "GET /api/agents": [], "GET /api/channels": { items: channels }, "GET /api/monitors/7": monitor,
        "PUT /api/monitors/7": [422, { error: "Some fields are invalid.", fields: { "channel_ids.0": "there is no channel 4", confirm_checks: "must be between 1 and 20" } }],
      });
      const user = userEvent.setup();
      renderAt("/monitors/7/edit");
      await screen.findByLabelText("Name");
      expect(picks().getByLabelText(/DBA email/)).toBeChecked();
      expect(picks().getByLabelText(/Ops Slack/)).not.toBeChecked(); // a default, but this monitor has its own list
      expect(screen.getByLabelText("Alert type")).toHaveValue("");
      expect(screen.getByLabelText("Alert when restored")).toHaveValue("yes");
      const confirm = screen.getByLabelText("Consecutive failed checks before alerting");
      expect(confirm).toHaveValue(2);
      await user.clear(confirm);
      await user.type(confirm, "25");
      await user.click(screen.getByRole("button", { name: "Save" }));
      expect(await screen.findByText("must be between 1 and 20")).toBeInTheDocument();
      expect(confirm).toHaveAttribute("aria-invalid", "true");
      expect(screen.getByText("there is no channel 4")).toBeInTheDocument();
      expect(screen.queryByText("channel_ids.0")).toBeNull(); // placed by its fieldset, not in the list of others
      expect(api.called("PUT", "/api/monitors/7")[0].body).toMatchObject({ channel_ids: [4], alert_type: null, repeat_minutes: null, alert_on_restored: true, confirm_checks: 25 });
    });

    it("without channels, points to Settings › Notifications; when the list can't be read, leaves channel_ids to the server", async () => {
      mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": [], "GET /api/channels": { items: [] } });
      const { unmount } = renderAt("/monitors/new");
      expect(await screen.findByRole("link", { name: "Settings › Notifications" })).toHaveAttribute("href", "/settings/notifications");
      unmount();

      const api = mockApi({ "GET /api/monitors/defaults": defaults, "GET /api/agents": [], "GET /api/channels": [500, { error: "boom" }], "POST /api/monitors": [201, { id: 12 }] });
      const user = userEvent.setup();
      renderAt("/monitors/new");
      await user.type(await screen.findByLabelText("Name"), "Shop");
      await user.type(screen.getByLabelText("URL"), "http://shop.example.com");
      expect(screen.getByText(/The channel list could not be read/)).toBeInTheDocument();
      await user.click(screen.getByRole("button", { name: "Save" }));
      await screen.findByText("detail page");
      const body = api.called("POST", "/api/monitors")[0].body as Record<string, unknown>;
      expect(body).not.toHaveProperty("channel_ids");
      expect(body).toMatchObject({ alert_type: null, alert_on_restored: null, confirm_checks: 1 });
    });
  });
});
