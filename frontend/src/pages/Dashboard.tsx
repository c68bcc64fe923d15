import { memo, startTransition, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link } from "react-router";
import { useFlash } from "../lib/useFlash";
import { api, messageOf } from "../lib/api";
import type { BatchHistory, CheckStatus, Overview, OverviewMonitor, Status } from "../lib/types";
import { BUCKETS_72H, chunk, fromColumns, merge, uptimeOf, type Series } from "../lib/series";
import { STALE_EXPLANATION, STATUS_LABEL, TYPE_LABEL, formatInterval, formatLatency, formatPercent, formatTime, timeAgo } from "../lib/format";
import { usePolling } from "../lib/usePolling";
import { metrics } from "../lib/metrics";
import { HistoryBar, incidents } from "../components/HistoryBar";
import { StatusBadge, StatusIcon } from "../components/StatusBadge";
import { Notice } from "../components/Notice";
import { useCanEdit } from "../lib/auth";

export const REFRESH_MS = 15_000;
/**
 * With few monitors the bars come in one request. With many, the rows on screen come first in a
 * small request of their own (drawn at once), then every monitor's bars in one more.
 */
const FIRST_ROWS = 40;
const FEW = 100;
/** Monitors added after the first load are asked for by id, a bounded number per URL. */
const IDS_PER_REQUEST = 300;

const FILTERS: (Status | "all")[] = ["all", "ok", "degraded", "down", "stale", "maintenance", "unknown"];

export function Dashboard() {
  // Agent names come from the agents list, which only admins may read; viewers see "agent 5".
  const canEdit = useCanEdit();
  const [overview, setOverview] = useState<Overview | null>(null);
  const [agentNames, setAgentNames] = useState<Map<number, string>>(new Map());
  const [series, setSeries] = useState<Map<number, Series>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [filter, setFilter] = useState<Status | "all">("all");
  const [query, setQuery] = useState("");
  const flash = useFlash();
  const seriesRef = useRef(series);
  seriesRef.current = series;
  const inFlight = useRef(new Set<number>());
  // The first rows render at once, the rest in an interruptible transition: the screen's bars
  // don't wait for 1,000 rows of DOM.
  const [rowLimit, setRowLimit] = useState(FIRST_ROWS);

  const apply = useCallback((data: BatchHistory) => {
    const m = metrics();
    m.historyRequests = (m.historyRequests ?? 0) + 1;
    if (!data.starts.length) return;
    const first = Date.parse(data.starts[0]);
    setSeries((prev) => {
      const copy = new Map(prev);
      for (const [id, columns] of Object.entries(data.monitors)) copy.set(Number(id), fromColumns(first, columns, BUCKETS_72H));
      return copy;
    });
  }, []);

  /** 72 hours of bars: for every monitor (``ids`` in screen order), or only for the given ones. */
  const loadHistory = useCallback(
    async (ids: number[], everyMonitor: boolean) => {
      const wanted = ids.filter((id) => !inFlight.current.has(id));
      wanted.forEach((id) => inFlight.current.add(id));
      try {
        if (everyMonitor) {
          // One after the other: sent together they share the server's cores and the screenful
          // would land later. The remaining rows render while the server builds the big answer.
          if (wanted.length > FEW) {
            apply(await api.history(72, wanted.slice(0, FIRST_ROWS)));
            const all = api.history(72);
            startTransition(() => setRowLimit(Infinity));
            apply(await all);
          } else {
            apply(await api.history(72));
          }
        } else {
          for (const group of chunk(wanted, IDS_PER_REQUEST)) apply(await api.history(72, group));
        }
      } finally {
        wanted.forEach((id) => inFlight.current.delete(id));
      }
    },
    [apply],
  );

  const loadAgents = useCallback(async () => {
    if (!canEdit) return;
    const agents = await api.agents();
    setAgentNames(new Map(agents.map((a) => [a.id, a.name || a.uuid.slice(0, 8)])));
  }, [canEdit]);

  // First load: the overview draws every row at once, the bars follow.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const ov = await api.overview();
        if (cancelled) return;
        metrics().overviewMs = Math.round(performance.now());
        metrics().monitors = ov.total;
        setOverview(ov);
        setUpdatedAt(Date.now());
        if (ov.total <= FEW) setRowLimit(Infinity);
        void loadAgents().catch(() => undefined);
        await loadHistory(
          ov.monitors.map((m) => m.id),
          true,
        );
      } catch (err) {
        if (!cancelled) setError(messageOf(err));
      } finally {
        startTransition(() => setRowLimit(Infinity));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [loadHistory, loadAgents]);

  // Refresh: the overview and only the last hour of bars, folded into what is on screen.
  const refresh = useCallback(async () => {
    const started = performance.now();
    try {
      const [ov, recent] = await Promise.all([api.overview(), api.history(1)]);
      setOverview(ov);
      const first = recent.starts.length ? Date.parse(recent.starts[0]) : 0;
      setSeries((prev) => {
        const next = new Map<number, Series>();
        for (const m of ov.monitors) {
          const old = prev.get(m.id);
          const columns = recent.monitors[String(m.id)];
          if (old) next.set(m.id, columns && first ? merge(old, first, columns) : old);
        }
        return next;
      });
      const missing = ov.monitors.filter((m) => !seriesRef.current.has(m.id)).map((m) => m.id);
      if (missing.length) void loadHistory(missing, false);
      void loadAgents().catch(() => undefined);
      setError(null);
      setUpdatedAt(Date.now());
      const m = metrics();
      m.lastRefreshMs = Math.round(performance.now() - started);
      m.refreshes = (m.refreshes ?? 0) + 1;
    } catch (err) {
      setError(messageOf(err));
    }
  }, [loadHistory, loadAgents]);
  usePolling(refresh, REFRESH_MS, overview !== null);

  // Record when bars were first drawn and when all of them were (after the browser painted).
  useEffect(() => {
    if (!overview || !series.size) return;
    const m = metrics();
    const all = overview.monitors.every((mon) => series.has(mon.id));
    if (m.firstBarsMs === undefined || (all && m.allBarsMs === undefined)) {
      requestAnimationFrame(() => {
        const now = Math.round(performance.now());
        m.firstBarsMs ??= now;
        if (all) m.allBarsMs ??= now;
      });
    }
  }, [overview, series]);

  const visible = useMemo(() => {
    if (!overview) return [];
    const q = query.trim().toLowerCase();
    return overview.monitors.filter((m) => {
      if (filter !== "all" && m.status !== filter) return false;
      if (!q) return true;
      const agent = m.agent_id ? (agentNames.get(m.agent_id) ?? "") : "server";
      return `${m.name} ${targetText(m)} ${m.type} ${TYPE_LABEL[m.type] ?? ""} ${agent}`.toLowerCase().includes(q);
    });
  }, [overview, filter, query, agentNames]);

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
          {filter !== "stale" && (
            <button type="button" className="button subtle small" onClick={() => setFilter("stale")}>
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
              aria-pressed={filter === key}
              onClick={() => setFilter(filter === key && key !== "all" ? "all" : key)}
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
            {visible.length} of {overview.total} monitors shown
          </p>
          <ul className="monitor-list" aria-label="Monitors">
            {visible.slice(0, rowLimit).map((m) => (
              <MonitorRow key={m.id} monitor={m} series={series.get(m.id)} agent={m.agent_id ? (agentNames.get(m.agent_id) ?? `agent ${m.agent_id}`) : "Server"} />
            ))}
          </ul>
          {visible.length === 0 && <p className="muted">No monitor matches.</p>}
        </>
      )}
    </section>
  );
}

/** What the target column says: the target, or for a heartbeat (no target: the job pushes) "push" and its period when known. */
export function targetText(m: OverviewMonitor): string {
  if (m.type !== "heartbeat") return m.target;
  return m.interval_seconds ? `push · every ${formatInterval(m.interval_seconds)}` : "push";
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

interface RowProps {
  monitor: OverviewMonitor;
  series: Series | undefined;
  agent: string;
}

const MonitorRow = memo(function MonitorRow({ monitor: m, series, agent }: RowProps) {
  const uptime = series ? uptimeOf(series) : null;
  return (
    <li className={`monitor-row s-${m.status}`} data-monitor-id={m.id}>
      <div className="row-head">
        <StatusBadge status={m.status} />
        <div className="row-title">
          <Link to={`/monitors/${m.id}`} className="monitor-name">
            {m.name}
          </Link>
          <span className="row-meta">
            <span className="type-tag">{TYPE_LABEL[m.type] ?? m.type}</span>
            {m.enabled === false && <span className="tag-paused">Paused</span>}
            <span className={`target${m.type === "heartbeat" ? " push" : ""}`} title={m.type === "heartbeat" ? "The job calls this monitor's push URL" : m.target}>
              {targetText(m)}
            </span>
            <span className="agent">
              <span className="visually-hidden">checked from </span>
              {agent}
            </span>
          </span>
        </div>
        <div className="row-figures">
          <span className="latency" title={m.last_checked_at ? `last check ${timeAgo(m.last_checked_at)}` : "never checked"}>
            {formatLatency(m.last_latency_ms)}
          </span>
          <span className="uptime">{series ? `${formatPercent(uptime)} uptime` : " "}</span>
        </div>
      </div>
      <HistoryBar series={series} label={m.name} />
      <div className="bar-axis" aria-hidden="true">
        <span>72 h ago</span>
        <span>{series ? incidents(series) : ""}</span>
        <span>now</span>
      </div>
    </li>
  );
});
