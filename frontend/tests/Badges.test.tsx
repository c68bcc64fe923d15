import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { MonitorDetail } from "../src/pages/MonitorDetail";
import { VIEWER, buckets, mockApi, type Call } from "./mockApi";
import { Authed } from "./render";

const KEY = "k3yK3yk3yK3yk3yK3yk3yK3yk3yK3yk3";
const monitor = {
  id: 7, name: 'Shop "main"', type: "https", target: "https://shop.example.com", interval_seconds: 60, timeout_seconds: 10, enabled: true, agent_id: null,
  thresholds: { ok_ms: null, degraded_ms: null, ping_count: null, ssl_ok_days: null, ssl_warning_days: null },
  status: "ok", last_checked_at: null, last_latency_ms: null, last_details: null,
  badges: false, badge_key: null, badge_url: null,
};
const on = (key: string) => ({ ...monitor, badges: true, badge_key: key, badge_url: `http://ot.example.com/badge/${key}/status.svg` });

function show(given: Record<string, unknown>) {
  const api = mockApi({
    "GET /api/monitors/7/history": { bucket_seconds: 900, buckets: buckets([{ ok: 15 }]) },
    "GET /api/monitors/7/uptime": ({ url }: Call) => ({ period: new URL(url, "http://x").searchParams.get("period"), uptime: 1, buckets: [] }),
    "GET /api/monitors/7/results": { items: [], page: 1, per_page: 25, total: 0 },
    "GET /api/monitors/defaults": { ok_ms: 80, degraded_ms: 200, ping_count: 5, ssl_ok_days: 30, ssl_warning_days: 14, interval_seconds: 60, timeout_seconds: 10 },
    "GET /api/agents": [],
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

describe("Badges panel", () => {
  it("turns badges on and shows the image and escaped snippets for status and 30-day uptime", async () => {
    const api = show({ "GET /api/monitors/7": monitor, "PUT /api/monitors/7": ({ body }: Call) => ((body as { badges: boolean }).badges ? on(KEY) : monitor) });
    const user = userEvent.setup();
    const panel = await screen.findByTestId("badges-panel");
    expect(within(panel).getByText(/Badges are off/)).toBeInTheDocument();
    expect(panel.querySelector("img")).toBeNull();
    await user.click(within(panel).getByLabelText("Public badges"));
    const img = await within(panel).findByAltText('Shop "main" status badge');
    expect(img).toHaveAttribute("src", `http://ot.example.com/badge/${KEY}/status.svg`);
    expect(api.called("PUT", "/api/monitors/7")[0].body).toEqual({ badges: true });
    expect(within(panel).getByLabelText("Status, Markdown")).toHaveValue(`![Shop "main" status](http://ot.example.com/badge/${KEY}/status.svg)`);
    expect(within(panel).getByLabelText("Status, HTML")).toHaveValue(`<img src="http://ot.example.com/badge/${KEY}/status.svg" alt="Shop &quot;main&quot; status">`);
    expect(within(panel).getByLabelText("Uptime 30 days, Markdown")).toHaveValue(`![Shop "main" uptime](http://ot.example.com/badge/${KEY}/uptime-30d.svg)`);
    expect(within(panel).getByLabelText("Uptime 30 days, HTML")).toHaveValue(`<img src="http://ot.example.com/badge/${KEY}/uptime-30d.svg" alt="Shop &quot;main&quot; uptime">`);
    expect(within(panel).getByRole("button", { name: "Copy Status, Markdown" })).toBeInTheDocument();

    await user.click(within(panel).getByLabelText("Public badges"));
    expect(await within(panel).findByText(/Badges are off/)).toBeInTheDocument();
    expect(api.called("PUT", "/api/monitors/7")[1].body).toEqual({ badges: false });
  });

  it("asks before making a new badge URL and shows the new one", async () => {
    const NEW = "n3wn3wn3wn3wn3wn3wn3wn3wn3wn3wn3";
    const api = show({ "GET /api/monitors/7": on(KEY), "POST /api/monitors/7/badge-key": on(NEW) });
    const user = userEvent.setup();
    const panel = await screen.findByTestId("badges-panel");
    await user.click(await within(panel).findByRole("button", { name: "New badge URL" }));
    const dialog = screen.getByRole("alertdialog");
    expect(dialog).toHaveTextContent("The old embeds stop working at once");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(api.called("POST", "/api/monitors/7/badge-key")).toHaveLength(0);
    await user.click(within(panel).getByRole("button", { name: "New badge URL" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "New badge URL" }));
    expect(await within(panel).findByText(/the old badge URLs no longer work/)).toBeInTheDocument();
    expect(within(panel).getByAltText('Shop "main" status badge')).toHaveAttribute("src", `http://ot.example.com/badge/${NEW}/status.svg`);
  });

  it("is not shown to viewers", async () => {
    show({ "GET /api/auth/me": VIEWER, "GET /api/monitors/7": on(KEY) });
    expect(await screen.findByText("Checks are running.")).toBeInTheDocument();
    expect(screen.queryByTestId("badges-panel")).toBeNull();
  });
});
