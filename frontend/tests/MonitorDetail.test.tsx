import { describe, expect, it, vi } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { MonitorDetail } from "../src/pages/MonitorDetail";
import { VIEWER, buckets, mockApi, type Call } from "./mockApi";
import { Authed } from "./render";

const monitor = {
  id: 7, name: "Warehouse scanner", type: "ping", target: "10.0.9.9", interval_seconds: 60, timeout_seconds: 10, enabled: true, agent_id: 5,
  thresholds: { ok_ms: null, degraded_ms: null, ping_count: null, ssl_ok_days: null, ssl_warning_days: null },
  status: "stale", last_checked_at: new Date(Date.now() - 2 * 3600_000).toISOString(), last_latency_ms: 3.2, last_details: "5/5 replies",
};

function show(given: Record<string, unknown>) {
  const api = mockApi({
    "GET /api/monitors/7/history": { bucket_seconds: 900, buckets: buckets([{ ok: 15 }]) },
    "GET /api/monitors/7/uptime": ({ url }: Call) => ({ period: new URL(url, "http://x").searchParams.get("period"), uptime: 1, buckets: [] }),
    "GET /api/monitors/7/results": { items: [], page: 1, per_page: 25, total: 0 },
    "GET /api/monitors/defaults": { ok_ms: 80, degraded_ms: 200, ping_count: 5, ssl_ok_days: 30, ssl_warning_days: 14, interval_seconds: 60, timeout_seconds: 10 },
    "GET /api/agents": [{ id: 5, uuid: "5b1f", name: "warehouse-pi", approved: true, online: false, last_seen_at: null, monitor_count: 1 }],
    ...given,
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

describe("MonitorDetail", () => {
  it("shows a stale monitor as Stale and says why, where it is checked from and when it was last heard", async () => {
    show({ "GET /api/monitors/7": monitor });
    const note = await screen.findByTestId("stale-explanation");
    const card = note.closest(".status-card") as HTMLElement;
    expect(within(card).getByText("Stale")).toBeInTheDocument();
    expect(card.querySelector(".badge.s-stale svg")).not.toBeNull();
    expect(note).toHaveTextContent("No result for 3 intervals — are the workers, beat or the agent running?");
    expect(await within(card).findByText(/Checked from agent warehouse-pi every 1 min; the last result came 2 h ago\./)).toBeInTheDocument();
  });

  it("says so when a stale monitor never had a result, checked from the server", async () => {
    show({ "GET /api/monitors/7": { ...monitor, agent_id: null, last_checked_at: null, last_latency_ms: null, last_details: null } });
    expect(await screen.findByTestId("stale-explanation")).toHaveTextContent("Checked from the server every 1 min; no result has come yet.");
  });

  it("keeps the plain lines for running and paused monitors", async () => {
    show({ "GET /api/monitors/7": { ...monitor, status: "ok" } });
    expect(await screen.findByText("Checks are running.")).toBeInTheDocument();
    expect(screen.queryByTestId("stale-explanation")).toBeNull();
  });

  describe("a heartbeat", () => {
    const PUSH = "http://ot.example.com/push/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5";
    const heartbeat = {
      ...monitor, type: "heartbeat", target: "", agent_id: null, name: "Nightly backup", interval_seconds: 86400, timeout_seconds: 10, grace_seconds: 3600,
      push_url: PUSH, http: null, dns: null, status: "ok", last_latency_ms: 41_000, last_details: "ping received after a run of 41.0 s",
    };

    it("shows admins the push URL to copy, a crontab example, /start and /fail, and no Test now", async () => {
      show({ "GET /api/monitors/7": heartbeat });
      const user = userEvent.setup();
      const url = await screen.findByTestId("push-url");
      expect(url).toHaveValue(PUSH);
      expect(screen.getByRole("heading", { name: "Nightly backup", level: 1 }).parentElement).toHaveTextContent("expects a ping every 1 day");
      expect(screen.queryByRole("button", { name: "Test now" })).toBeNull();
      expect(screen.getByRole("link", { name: "Edit" })).toBeInTheDocument();

      await user.click(screen.getByRole("button", { name: "Copy push URL" }));
      expect(await navigator.clipboard.readText()).toBe(PUSH);
      expect(screen.getByTestId("push-panel")).toHaveTextContent("Copied.");

      const cron = `0 3 * * * /usr/local/bin/backup.sh && curl -fsS -m 10 --retry 3 ${PUSH}`;
      expect(screen.getByTestId("crontab-example")).toHaveTextContent(cron);
      await user.click(screen.getByRole("button", { name: "Copy example" }));
      expect(await navigator.clipboard.readText()).toBe(cron);
      expect(screen.getByText(`${PUSH}/start`).closest("li")).toHaveTextContent("run time");
      expect(screen.getByText(`${PUSH}/fail`).closest("li")).toHaveTextContent("Down at once");

      const settings = screen.getByTestId("check-settings");
      expect(settings).toHaveTextContent("Expected every1 day");
      expect(settings).toHaveTextContent("Grace1 h");
      expect(settings).toHaveTextContent("Run timenot judged");
      expect(screen.getByRole("heading", { name: "Run time" })).toBeInTheDocument();
    });

    it("selects the URL for copying by hand when the browser refuses the clipboard", async () => {
      show({ "GET /api/monitors/7": heartbeat });
      const user = userEvent.setup();
      const url = (await screen.findByTestId("push-url")) as HTMLInputElement;
      vi.spyOn(navigator.clipboard, "writeText").mockRejectedValue(new DOMException("denied", "NotAllowedError"));
      await user.click(screen.getByRole("button", { name: "Copy push URL" }));
      expect(await screen.findByText(/the text is selected, press Ctrl\+C/)).toBeInTheDocument();
      expect(document.activeElement).toBe(url);
      expect([url.selectionStart, url.selectionEnd]).toEqual([0, PUSH.length]);
    });

    it("regenerates the URL after a confirmation that the old one stops working", async () => {
      const fresh = "http://ot.example.com/push/bmV3dG9rZW5uZXd0b2tlbm5ld3Rva2Vu";
      const api = show({ "GET /api/monitors/7": heartbeat, "POST /api/monitors/7/push-token": { ...heartbeat, push_url: fresh } });
      const user = userEvent.setup();
      await screen.findByTestId("push-url");
      await user.click(screen.getByRole("button", { name: "Regenerate URL" }));
      const dialog = screen.getByRole("alertdialog", { name: "Regenerate the push URL?" });
      expect(dialog).toHaveTextContent("The current URL stops working at once");
      await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
      expect(screen.queryByRole("alertdialog")).toBeNull();
      expect(screen.getByTestId("push-url")).toHaveValue(PUSH);
      expect(api.called("POST", "/api/monitors/7/push-token")).toHaveLength(0);

      await user.click(screen.getByRole("button", { name: "Regenerate URL" }));
      await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Regenerate URL" }));
      expect(await screen.findByText(/New push URL made: the old one no longer works/)).toBeInTheDocument();
      expect(screen.getByTestId("push-url")).toHaveValue(fresh);
      expect(screen.getByTestId("crontab-example")).toHaveTextContent(fresh);
      expect(api.called("POST", "/api/monitors/7/push-token")).toHaveLength(1);
    });

    it("never shows viewers the push URL's token", async () => {
      show({ "GET /api/auth/me": VIEWER, "GET /api/monitors/7": heartbeat });
      expect(await screen.findByTestId("push-hidden")).toHaveTextContent("Only admins see the URL.");
      const token = PUSH.split("/push/")[1];
      expect(document.body.textContent).not.toContain(token);
      expect(document.body.innerHTML).not.toContain(token);
      expect(screen.queryByRole("button", { name: "Regenerate URL" })).toBeNull();
      expect(screen.queryByTestId("push-url")).toBeNull();
    });
  });

  it("lists an HTTP monitor's request and assertions compactly, header names without their values", async () => {
    show({
      "GET /api/monitors/7": {
        ...monitor, type: "https", target: "https://api.example.com/health", agent_id: null, status: "ok",
        http: {
          method: "POST", headers: { Authorization: "Bearer s3cret" }, body: '{"a":1}', expected_status: "200-299,301", follow_redirects: false, verify_tls: false,
          keyword: "healthy", keyword_mode: "present", json_path: "$.status", json_expected: "up", basic_auth: { username: "ops", password_set: true },
        },
      },
    });
    const settings = await screen.findByTestId("check-settings");
    for (const text of ["RequestPOST, no redirects", "Expected status200-299,301", "HeadersAuthorization", "Body7 bytes", "Keyword“healthy” must be present", "JSONPath$.status = “up”", "Basic authops (password set)", "Timeout10 s"]) {
      expect(settings).toHaveTextContent(text);
    }
    expect(within(settings).getByTestId("tls-off")).toHaveTextContent("not verified");
    expect(document.body.textContent).not.toContain("s3cret");
    expect(screen.getByRole("button", { name: "Test now" })).toBeInTheDocument();
  });

  it("lists a DNS monitor's query", async () => {
    show({ "GET /api/monitors/7": { ...monitor, type: "dns", target: "example.com", status: "ok", dns: { record_type: "MX", server: null, expected: ["10 mx1.example.com", "20 mx2.example.com"] } } });
    const dns = await screen.findByTestId("check-settings");
    expect(dns).toHaveTextContent("RecordMX");
    expect(dns).toHaveTextContent("Serverthe system's resolver");
    expect(dns).toHaveTextContent("Expected10 mx1.example.com, 20 mx2.example.com");
  });

  it("lists a TCP monitor's host and port", async () => {
    show({ "GET /api/monitors/7": { ...monitor, type: "tcp", target: "[2001:db8::5]:5432", status: "ok" } });
    const tcp = await screen.findByTestId("check-settings");
    expect(tcp).toHaveTextContent("Host2001:db8::5");
    expect(tcp).toHaveTextContent("Port5432");
    expect(screen.getByRole("heading", { level: 1 }).parentElement).toHaveTextContent("TCP");
  });
});
