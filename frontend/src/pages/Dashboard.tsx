import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link } from "react-router";
import { useFlash } from "../lib/useFlash";
import { api, messageOf } from "../lib/api";
import type { CheckStatus, ListFilter, OverviewMonitor, Status } from "../lib/types";
import { STALE_EXPLANATION, STATUS_LABEL, formatTime } from "../lib/format";
import { usePolling } from "../lib/usePolling";
import { metrics } from "../lib/metrics";
import { OVERSCAN, ROW_ESTIMATE_PX, idsInRange, rowAt } from "../lib/monitorWindow";
import { useMonitorPages } from "../lib/useMonitorPages";
import { useBars } from "../lib/useBars";
import { MonitorList } from "../components/MonitorList";
import { StatusIcon } from "../components/StatusBadge";
import { Notice } from "../components/Notice";
import { useCanEdit } from "../lib/auth";

export { targetText } from "../components/MonitorList";

export const REFRESH_MS = 15_000;
/** The search goes to the server once typing pauses this long. */
const SEARCH_DELAY_MS = 250;
/** While the list scrolls, its rows and bars are asked for once it has rested this long. */
const SETTLE_MS = 60;

const FILTERS: (Status | "all")[] = ["all", "ok", "degraded", "down", "stale", "maintenance", "unknown"];

/**
 * Counts by status, the filters, and the monitors matching them as a windowed list: the server
 * filters and pages the list (``useMonitorPages``); only the rows on screen are rendered
 * (``MonitorList``) and only their bars fetched, kept by monitor so scrolling back asks for nothing
 * (``useBars``). Every REFRESH_MS the rows and bars on screen are refreshed, nothing else.
 */
export function Dashboard() {
  // Agent names come from the agents list, which only admins may read; viewers get the overview's.
  const canEdit = useCanEdit();
  const [agentNames, setAgentNames] = useState<Map<number, string>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [status, setStatus] = useState<Status | "all">("all");
  const [query, setQuery] = useState("");
  const [search, setSearch] = useState("");
  const flash = useFlash();
  useEffect(() => {
    const timer = window.setTimeout(() => setSearch(query), SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [query]);
  const filter = useMemo<ListFilter>(() => ({ q: search, status }), [search, status]);
  const onError = useCallback((err: unknown) => setError(messageOf(err)), []);
  const bars = useBars();
  // The first screenful's bars are asked for with the rows' answer, not after the rows are drawn.
  const { load } = bars;
  const onFirstPage = useCallback(
    (rows: OverviewMonitor[]) => {
      const screenful = Math.ceil(window.innerHeight / ROW_ESTIMATE_PX) + OVERSCAN;
      load(rows.slice(0, screenful).map((m) => m.id)).catch(onError);
    },
    [load, onError],
  );
  const list = useMonitorPages(filter, onError, onFirstPage);
  const summary = list.summary;

  // The rows rendered, reported by the list; read by the refresh too.
  const [range, setRange] = useState<[number, number]>([0, -1]);
  const rangeRef = useRef(range);
  rangeRef.current = range;
  const pagesRef = useRef(list.pages);
  pagesRef.current = list.pages;
  const movedAt = useRef<number | null>(null);
  const onRange = useCallback((first: number, last: number) => {
    setRange((prev) => {
      if (prev[0] === first && prev[1] === last) return prev;
      // The first window is fetched at once; later ones once scrolling rests.
      if (prev[1] >= prev[0]) movedAt.current = performance.now();
      return [first, last];
    });
  }, []);

  // The window's missing rows, then its rows' missing bars.
  const { ensure, pages } = list;
  useEffect(() => {
    const [first, last] = range;
    if (last < first) return;
    const run = () => {
      ensure(first, last);
      const ids = idsInRange(pages, first, last);
      if (ids.length) load(ids).catch(onError);
    };
    const wait = movedAt.current === null ? 0 : SETTLE_MS - (performance.now() - movedAt.current);
    if (wait <= 0) return run();
    const timer = window.setTimeout(run, wait);
    return () => window.clearTimeout(timer);
  }, [range, pages, ensure, load, onError]);

  const loadAgents = useCallback(async () => {
    if (!canEdit) return;
    const agents = await api.agents();
    setAgentNames(new Map(agents.map((a) => [a.id, a.name || a.uuid.slice(0, 8)])));
  }, [canEdit]);
  useEffect(() => {
    void loadAgents().catch(() => undefined);
  }, [loadAgents]);

  // First rows: when they were drawn.
  const loaded = summary !== null;
  useEffect(() => {
    if (!loaded) return;
    setUpdatedAt((at) => at ?? Date.now());
    const m = metrics();
    requestAnimationFrame(() => {
      m.overviewMs ??= Math.round(performance.now());
    });
  }, [loaded]);
  useEffect(() => {
    if (summary) metrics().monitors = summary.total;
  }, [summary]);

  // The rows on screen with all their bars: when that was first drawn.
  useEffect(() => {
    const ids = idsInRange(list.pages, range[0], range[1]);
    if (!ids.length || !ids.every((id) => bars.series.has(id)) || metrics().firstBarsMs !== undefined) return;
    requestAnimationFrame(() => {
      metrics().firstBarsMs ??= Math.round(performance.now());
    });
  }, [bars.series, list.pages, range]);

  // Refresh: the rows on screen (with every monitor's counts) and their bars, nothing off screen.
  const refreshRows = list.refresh;
  const refreshBars = bars.refresh;
  const refresh = useCallback(async () => {
    const started = performance.now();
    try {
      const [first, last] = rangeRef.current;
      await Promise.all([refreshRows(first, last), refreshBars(idsInRange(pagesRef.current, first, last))]);
      void loadAgents().catch(() => undefined);
      setError(null);
      setUpdatedAt(Date.now());
      const m = metrics();
      m.lastRefreshMs = Math.round(performance.now() - started);
      m.refreshes = (m.refreshes ?? 0) + 1;
    } catch (err) {
      setError(messageOf(err));
    }
  }, [refreshRows, refreshBars, loadAgents]);
  usePolling(refresh, REFRESH_MS, loaded);

  const rowOf = useCallback((index: number) => rowAt(list.pages, index), [list.pages]);
  const agentOf = useCallback(
    (m: OverviewMonitor) => (m.agent_id ? (agentNames.get(m.agent_id) ?? m.agent_name ?? `agent ${m.agent_id}`) : "Server"),
    [agentNames],
  );
  const overview = summary;

  if (!overview) {
    return (
      <section aria-labelledby="dash-title">
        <h1 id="dash-title">Dashboard</h1>
        {error ? <Notice kind="error">{error}</Notice> : <p className="muted" role="status">Loading monitors…</p>}
      </section>
    );
  }

  return (
    <section aria-labelledby="dash-title" className="dashboard">
      <div className="page-head">
        <h1 id="dash-title">Dashboard</h1>
        <p className="muted refresh-note" aria-live="polite">
          {updatedAt ? `Updated ${formatTime(updatedAt)} · refreshes every ${REFRESH_MS / 1000} s` : ""}
        </p>
      </div>
      {flash && <Notice kind="success">{flash}</Notice>}
      {error && <Notice kind="error">Could not refresh: {error} Showing the last data received.</Notice>}
      {overview.stale > 0 && (
        <div className="notice notice-stale" role="status" data-testid="stale-notice">
          <StatusIcon status="stale" />
          <span>
            <strong>
              {overview.stale} {overview.stale === 1 ? "monitor is" : "monitors are"} stale.
            </strong>{" "}
            {STALE_EXPLANATION}
          </span>
          {status !== "stale" && (
            <button type="button" className="button subtle small" onClick={() => setStatus("stale")}>
              Show {overview.stale === 1 ? "it" : "them"}
            </button>
          )}
        </div>
      )}

      <div className="counts" role="group" aria-label="Filter monitors by status">
        {FILTERS.filter((key) => key !== "maintenance" || overview.maintenance !== undefined).map((key) => {
          const count = key === "all" ? overview.total : (overview[key] ?? 0);
          return (
            <button
              key={key}
              type="button"
              className={`count-card c-${key}`}
              title={key === "stale" ? STALE_EXPLANATION : undefined}
              aria-pressed={status === key}
              onClick={() => setStatus(status === key && key !== "all" ? "all" : key)}
              data-testid={`count-${key}`}
            >
              <span className="count-label">
                {key !== "all" && <StatusIcon status={key} />}
                {key === "all" ? "All monitors" : STATUS_LABEL[key]}
              </span>
              <span className="count-value">{count}</span>
            </button>
          );
        })}
      </div>

      {overview.total === 0 ? (
        <div className="empty">
          <h2>No monitors yet</h2>
          {canEdit ? (
            <>
              <p>Add a monitor to start checking a service by ping, HTTP/HTTPS, its SSL certificate, a TCP port or a DNS record, or to hear from a cron job (heartbeat).</p>
              <Link className="button primary" to="/monitors/new">
                Add Monitor
              </Link>
            </>
          ) : (
            <p>Monitors appear here once an admin adds them.</p>
          )}
        </div>
      ) : (
        <>
          <div className="list-tools">
            <label className="search">
              <span className="visually-hidden">Search monitors</span>
              <input type="search" placeholder="Search by name, target, type or agent" value={query} onChange={(e) => setQuery(e.target.value)} />
            </label>
            <Legend />
          </div>
          <p className="visually-hidden" role="status">
            {overview.matched} of {overview.total} monitors shown
          </p>
          <MonitorList count={overview.matched} rowAt={rowOf} series={bars.series} agentOf={agentOf} onRange={onRange} />
          {overview.matched === 0 && !list.stale && <p className="muted">No monitor matches.</p>}
        </>
      )}
    </section>
  );
}

function Legend() {
  return (
    <ul className="legend" aria-label="Bar colours">
      {(["ok", "degraded", "down", "maintenance", "unknown"] as (CheckStatus | "maintenance")[]).map((s) => (
        <li key={s}>
          <span className={`swatch fill-${s}`} aria-hidden="true" />
          {STATUS_LABEL[s]}
        </li>
      ))}
      <li className="muted">each bar: 15 minutes</li>
    </ul>
  );
}
