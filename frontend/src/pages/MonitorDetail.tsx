import { useCallback, useEffect, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { useFlash } from "../lib/useFlash";
import { ApiError, api, messageOf } from "../lib/api";
import type { CheckOutcome, Defaults, Monitor, ResultsPage, Uptime, UptimePeriod } from "../lib/types";
import { BUCKETS_72H, fromBuckets, type Series } from "../lib/series";
import { STALE_EXPLANATION, TYPE_LABEL, formatDateTime, formatInterval, formatLatency, formatPercent, timeAgo } from "../lib/format";
import { usePolling } from "../lib/usePolling";
import { BarAxis, HistoryBar, summarise } from "../components/HistoryBar";
import { LatencyChart } from "../components/LatencyChart";
import { StatusBadge } from "../components/StatusBadge";
import { UptimeHistogram } from "../components/UptimeHistogram";
import { ConfirmDialog } from "../components/Dialog";
import { Notice } from "../components/Notice";
import { CheckOutcomeView } from "../components/CheckOutcomeView";
import { CheckSettings } from "../components/CheckSettings";
import { PushUrlPanel } from "../components/PushUrlPanel";
import { BadgesPanel } from "../components/BadgesPanel";
import { useCanEdit } from "../lib/auth";
import { UptimeRange } from "../components/UptimeRange";

const PERIODS: { key: UptimePeriod; label: string }[] = [
  { key: "24h", label: "24 hours" },
  { key: "week", label: "Week" },
  { key: "month", label: "Month" },
  { key: "90d", label: "90 days" },
  { key: "year", label: "Year" },
];
const PER_PAGE = [25, 50, 100, 250];
const REFRESH_MS = 15_000;

export function MonitorDetail() {
  const { id: rawId } = useParams();
  const id = Number(rawId);
  const navigate = useNavigate();
  // Viewers get no Test / Edit / Delete, and the agents list (admins only) is not asked for.
  const canEdit = useCanEdit();
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const perPage = PER_PAGE.includes(Number(params.get("per_page"))) ? Number(params.get("per_page")) : 25;

  const [monitor, setMonitor] = useState<Monitor | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [series, setSeries] = useState<Series | undefined>();
  const [uptime, setUptime] = useState<Partial<Record<UptimePeriod, Uptime>>>({});
  const [period, setPeriod] = useState<UptimePeriod | "custom">("24h");
  const [results, setResults] = useState<ResultsPage | null>(null);
  const [agentNames, setAgentNames] = useState<Map<number, string>>(new Map());
  const [defaults, setDefaults] = useState<Defaults | null>(null);
  const [testing, setTesting] = useState(false);
  const [outcome, setOutcome] = useState<CheckOutcome | null>(null);
  const [testError, setTestError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const flash = useFlash();

  const loadMonitor = useCallback(async () => {
    try {
      const m = await api.monitor(id);
      setMonitor(m);
      setError(null);
      if (!canEdit) return;
      const agents = await api.agents();
      setAgentNames(new Map(agents.map((a) => [a.id, a.name || a.uuid])));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setNotFound(true);
      else setError(messageOf(err));
    }
  }, [id, canEdit]);

  const loadCharts = useCallback(async () => {
    const [history, ...periods] = await Promise.all([
      api.monitorHistory(id, 72),
      ...PERIODS.map((p) => api.uptime(id, p.key)),
    ]);
    setSeries(fromBuckets(history.buckets, BUCKETS_72H));
    setUptime(Object.fromEntries(periods.map((u, i) => [PERIODS[i].key, u])));
  }, [id]);

  const loadResults = useCallback(async () => {
    setResults(await api.results(id, page, perPage));
  }, [id, page, perPage]);

  useEffect(() => {
    setMonitor(null);
    setNotFound(false);
    setSeries(undefined);
    void loadMonitor();
    void loadCharts().catch((err) => setError(messageOf(err)));
    void api.defaults().then(setDefaults, () => undefined);
  }, [loadMonitor, loadCharts]);

  useEffect(() => {
    void loadResults().catch((err) => setError(messageOf(err)));
  }, [loadResults]);

  usePolling(
    async () => {
      await Promise.all([loadMonitor(), loadCharts(), loadResults()]);
    },
    REFRESH_MS,
    !notFound,
  );

  const goToPage = (next: number, size = perPage) => {
    const q = new URLSearchParams(params);
    q.set("page", String(next));
    q.set("per_page", String(size));
    setParams(q);
  };

  const testNow = async () => {
    setTesting(true);
    setTestError(null);
    setOutcome(null);
    try {
      setOutcome(await api.testSaved(id));
    } catch (err) {
      setTestError(messageOf(err));
    } finally {
      setTesting(false);
    }
  };

  const remove = async () => {
    setDeleting(true);
    try {
      await api.deleteMonitor(id);
      navigate("/", { state: { flash: `Monitor “${monitor?.name}” deleted.` } });
    } catch (err) {
      setError(messageOf(err));
      setDeleting(false);
      setConfirming(false);
    }
  };

  if (notFound) {
    return (
      <section>
        <h1>Monitor not found</h1>
        <p>There is no monitor {rawId}. It may have been deleted.</p>
        <Link to="/">Back to the dashboard</Link>
      </section>
    );
  }
  if (!monitor) {
    return (
      <section>
        <h1>Monitor</h1>
        {error ? <Notice kind="error">{error}</Notice> : <p role="status">Loading…</p>}
      </section>
    );
  }

  const isSsl = monitor.type === "ssl";
  const heartbeat = monitor.type === "heartbeat";
  // A heartbeat's run time is judged by its own thresholds only; the system's are network latencies.
  const okMs = heartbeat ? monitor.thresholds.ok_ms : (monitor.thresholds.ok_ms ?? defaults?.ok_ms);
  const degradedMs = heartbeat ? monitor.thresholds.degraded_ms : (monitor.thresholds.degraded_ms ?? defaults?.degraded_ms);
  const pages = results ? Math.max(1, Math.ceil(results.total / results.per_page)) : 1;
  const current = period === "custom" ? null : uptime[period];
  // Viewers can't list agents; the monitor's answer names its own agent.
  const knownAgent = (agentId: number) => agentNames.get(agentId) ?? (agentId === monitor.agent_id ? monitor.agent_name : null) ?? null;
  const agentName = (agentId: number | null) => (agentId ? (knownAgent(agentId) ?? `agent ${agentId}`) : "Server");

  return (
    <section aria-labelledby="monitor-title" className="detail">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/">Dashboard</Link> <span aria-hidden="true">/</span> <span aria-current="page">{monitor.name}</span>
      </nav>
      {flash && <Notice kind="success">{flash}</Notice>}
      <div className="page-head detail-head">
        <div>
          <h1 id="monitor-title">{monitor.name}</h1>
          <p className="row-meta">
            <span className="type-tag">{TYPE_LABEL[monitor.type] ?? monitor.type}</span>
            {heartbeat ? (
              <>
                <span>expects a ping every {formatInterval(monitor.interval_seconds)}</span>
                <span>grace {formatInterval(monitor.grace_seconds ?? 60)}</span>
              </>
            ) : (
              <>
                <span className="target">{monitor.target}</span>
                <span>every {formatInterval(monitor.interval_seconds)}</span>
                <span>from {agentName(monitor.agent_id)}</span>
              </>
            )}
          </p>
        </div>
        {canEdit && (
          <div className="actions">
            {!heartbeat && (
              <button type="button" className="button" onClick={testNow} disabled={testing}>
                {testing ? "Testing…" : "Test now"}
              </button>
            )}
            <Link className="button" to={`/monitors/${id}/edit`}>
              Edit
            </Link>
            <button type="button" className="button danger" onClick={() => setConfirming(true)}>
              Delete
            </button>
          </div>
        )}
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {testError && <Notice kind="error">Test failed: {testError}</Notice>}
      {outcome && <CheckOutcomeView outcome={outcome} />}

      <div className="cards">
        <div className="card status-card">
          <h2 className="card-title">Status</h2>
          <div className="actions">
            <StatusBadge status={monitor.status} />
            {!monitor.enabled && <span className="tag-paused">Paused</span>}
          </div>
          {!monitor.enabled ? (
            <p className="muted">Paused: not checked until enabled.</p>
          ) : monitor.status === "maintenance" ? (
            <p className="muted" data-testid="maintenance-note">
              In a planned maintenance window: checks go on, alerts are held back and uptime leaves this time out.
            </p>
          ) : monitor.status === "stale" ? (
            <p className="stale-note" data-testid="stale-explanation">
              {STALE_EXPLANATION} Checked from {monitor.agent_id ? `agent ${knownAgent(monitor.agent_id) ?? monitor.agent_id}` : "the server"} every{" "}
              {formatInterval(monitor.interval_seconds)};{" "}
              {monitor.last_checked_at ? `the last result came ${timeAgo(monitor.last_checked_at)}.` : "no result has come yet."}
            </p>
          ) : heartbeat ? (
            <p className="muted" data-testid="heartbeat-state">
              {monitor.last_checked_at
                ? `Down when no ping comes for ${formatInterval(monitor.interval_seconds)} plus ${formatInterval(monitor.grace_seconds ?? 60)} of grace.`
                : "Waiting for the first ping."}
            </p>
          ) : (
            <p className="muted">Checks are running.</p>
          )}
        </div>
        <div className="card">
          <h2 className="card-title">Latest check</h2>
          <dl className="facts">
            <div>
              <dt>When</dt>
              <dd title={formatDateTime(monitor.last_checked_at, true)}>{timeAgo(monitor.last_checked_at)}</dd>
            </div>
            <div>
              <dt>{heartbeat ? "Run time" : "Latency"}</dt>
              <dd>{formatLatency(monitor.last_latency_ms)}</dd>
            </div>
            <div>
              <dt>Details</dt>
              <dd>{monitor.last_details ?? "—"}</dd>
            </div>
          </dl>
        </div>
        <div className="card">
          <h2 className="card-title">Uptime</h2>
          <dl className="facts uptime-facts">
            {PERIODS.map((p) => (
              <div key={p.key}>
                <dt>{p.label}</dt>
                <dd>{formatPercent(uptime[p.key]?.uptime ?? null, 3)}</dd>
              </div>
            ))}
          </dl>
        </div>
      </div>

      {heartbeat &&
        (canEdit ? (
          <PushUrlPanel monitor={monitor} onChange={setMonitor} />
        ) : (
          <section className="panel" aria-labelledby="push-title">
            <h2 id="push-title">Push URL</h2>
            <p className="muted" data-testid="push-hidden">
              The job this heartbeat watches calls a secret push URL when it has run. Only admins see the URL.
            </p>
          </section>
        ))}
      <CheckSettings monitor={monitor} />
      {canEdit && <BadgesPanel monitor={monitor} onChange={setMonitor} />}

      <section className="panel" aria-labelledby="h72">
        <h2 id="h72">Last 72 hours</h2>
        <HistoryBar series={series} label={monitor.name} height={36} />
        <BarAxis middle={series ? summarise(series) : ""} />
      </section>

      <section className="panel" aria-labelledby="uptime-title">
        <div className="panel-head">
          <h2 id="uptime-title">Uptime history</h2>
          <div className="segmented" role="group" aria-label="Period">
            {PERIODS.map((p) => (
              <button key={p.key} type="button" aria-pressed={period === p.key} onClick={() => setPeriod(p.key)}>
                {p.label}
              </button>
            ))}
            <button type="button" aria-pressed={period === "custom"} onClick={() => setPeriod("custom")}>
              Custom
            </button>
          </div>
        </div>
        {period === "custom" ? <UptimeRange monitorId={id} /> : current ? <UptimeHistogram data={current} /> : <p role="status">Loading…</p>}
      </section>

      {!isSsl && (
        <section className="panel" aria-labelledby="latency-title">
          <h2 id="latency-title">{heartbeat ? "Run time" : "Latency"}</h2>
          {heartbeat && <p className="muted small">From a call to …/start until the ping, for jobs that call both.</p>}
          {series ? <LatencyChart series={series} okMs={okMs} degradedMs={degradedMs} what={heartbeat ? "run time" : "latency"} /> : <p role="status">Loading…</p>}
        </section>
      )}

      <section className="panel" aria-labelledby="results-title">
        <div className="panel-head">
          <h2 id="results-title">Check results</h2>
          <label className="inline">
            Per page{" "}
            <select value={perPage} onChange={(e) => goToPage(1, Number(e.target.value))}>
              {PER_PAGE.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
          </label>
        </div>
        {results && results.items.length === 0 ? (
          <p className="muted">{results.total === 0 ? "No checks yet. The first one runs within one interval." : "No results on this page."}</p>
        ) : (
          <div className="table-wrap">
            <table className="results">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    {heartbeat ? "Run time" : "Latency"}
                  </th>
                  <th scope="col">Details</th>
                  <th scope="col">From</th>
                </tr>
              </thead>
              <tbody>
                {results?.items.map((r) => (
                  <tr key={r.id}>
                    <td>{formatDateTime(r.checked_at, true)}</td>
                    <td>
                      <StatusBadge status={r.status} />
                    </td>
                    <td className="num">{formatLatency(r.latency_ms)}</td>
                    <td>{r.details}</td>
                    <td>{agentName(r.agent_id)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {results && results.total > 0 && (
          <nav className="pager" aria-label="Results pages">
            <button type="button" className="button" disabled={results.page <= 1} onClick={() => goToPage(results.page - 1)}>
              ← Newer
            </button>
            <span aria-live="polite" data-testid="page-info">
              Page {results.page} of {pages} · {results.total} results
            </span>
            <button type="button" className="button" disabled={results.page >= pages} onClick={() => goToPage(results.page + 1)}>
              Older →
            </button>
          </nav>
        )}
      </section>

      {confirming && (
        <ConfirmDialog title="Delete this monitor?" confirmLabel="Delete monitor" danger busy={deleting} onConfirm={remove} onCancel={() => setConfirming(false)}>
          <p>
            “{monitor.name}” and all of its check results and history will be deleted. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
