// The dashboard's server as its tests need it: the overview filtered and paged as the API does it,
// bars for exactly the ids asked for, and the page rendered as the app shows it after sign-in.
import { render } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Dashboard } from "../src/pages/Dashboard";
import { matchesFilter } from "../src/lib/monitorWindow";
import type { ListStatus, OverviewMonitor } from "../src/lib/types";
import { batch, buckets, type Call } from "./mockApi";
import { Authed } from "./render";

/** GET /api/status/overview as the server answers it: every monitor's counts, the filtered page. */
export function overviewServer(monitors: () => OverviewMonitor[]) {
  return (call: Call) => {
    const all = monitors();
    const params = new URL(call.url, "http://test").searchParams;
    const filter = { q: params.get("q") ?? "", status: (params.get("status") ?? "all") as ListStatus | "all" };
    const matching = all.filter((m) => matchesFilter(m, filter));
    const offset = Number(params.get("offset") ?? 0);
    const limit = Number(params.get("limit") ?? matching.length);
    const count = (s: string) => all.filter((m) => m.status === s).length;
    return {
      total: all.length,
      ok: count("ok"),
      degraded: count("degraded"),
      down: count("down"),
      unknown: count("unknown"),
      stale: count("stale"),
      paused: all.filter((m) => m.enabled === false).length,
      matched: matching.length,
      offset,
      limit,
      monitors: matching.slice(offset, offset + limit),
    };
  };
}

/** GET /api/monitors/history?hours=…&ids=…: bars for exactly the ids asked for (an OK last bucket each). */
export function historyServer(call: Call) {
  const params = new URL(call.url, "http://test").searchParams;
  const ids = (params.get("ids") ?? "").split(",").filter(Boolean);
  return batch(Object.fromEntries(ids.map((id) => [id, buckets([{ ok: 15 }], Number(params.get("hours") ?? 72) * 4)])));
}

export function renderDashboard() {
  return render(
    <MemoryRouter>
      <Authed>
        <Dashboard />
      </Authed>
    </MemoryRouter>,
  );
}
