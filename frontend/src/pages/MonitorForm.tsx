import { useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError, api, fieldsOf, messageOf } from "../lib/api";
import type { Agent, Channel, CheckOutcome, Defaults, Monitor, MonitorInput, MonitorNotifications, MonitorType, Thresholds } from "../lib/types";
import { PERIOD_UNITS, TYPE_LABEL, formatInterval, periodSeconds, splitPeriod } from "../lib/format";
import type { PeriodUnit } from "../lib/format";
import { Checkbox, Field, OtherErrors, SelectField, TextField, numberOrNull } from "../components/Field";
import {
  DnsFields,
  HttpAdvanced,
  dnsFromApi,
  dnsPlaces,
  dnsToInput,
  emptyDns,
  emptyHttp,
  httpChanges,
  httpFromApi,
  httpPlaces,
  httpToInput,
} from "./MonitorTypeFields";
import type { DnsState, HttpState } from "./MonitorTypeFields";
import { Notice } from "../components/Notice";
import { CheckOutcomeView } from "../components/CheckOutcomeView";

type ThresholdText = Record<keyof Thresholds, string>;

export interface FormState {
  type: MonitorType;
  name: string;
  target: string;
  interval: string;
  timeout: string;
  agent: string;
  enabled: boolean;
  thresholds: ThresholdText;
  /** Heartbeat: the period the job pings in, in ``periodUnit``s, and the grace in seconds. */
  period: string;
  periodUnit: PeriodUnit;
  grace: string;
  http: HttpState;
  dns: DnsState;
  /** The channels picked; null while the list is unknown (channel_ids is then left out: the server's defaults). */
  channels: number[] | null;
  /** "" follows Settings › Alerts. */
  alertType: "" | "once" | "repeated" | "none";
  repeatMinutes: string;
  restored: "" | "yes" | "no";
  confirmChecks: string;
}

const TYPES: MonitorType[] = ["ping", "http", "https", "ssl", "tcp", "dns", "heartbeat"];
const TARGET_HINT: Record<Exclude<MonitorType, "heartbeat">, { label: string; placeholder: string; hint: string }> = {
  ping: { label: "Target", placeholder: "192.168.1.1 or host.example.com", hint: "A host name or IP address." },
  http: { label: "URL", placeholder: "http://example.com/health", hint: "A URL starting with http://" },
  https: { label: "URL", placeholder: "https://example.com/health", hint: "A URL starting with https://" },
  ssl: { label: "Target", placeholder: "example.com or example.com:8443", hint: "A host, or host:port (443 when omitted), whose certificate is checked." },
  tcp: { label: "Host and port", placeholder: "host:port", hint: "Up when a TCP connection opens, e.g. db.example.com:5432 or [2001:db8::5]:22." },
  dns: { label: "Domain", placeholder: "example.com", hint: "The name to look up." },
};
/** The API's limits: 10 s to a day for checks, up to 31 days for a heartbeat's period. */
const MAX_INTERVAL = 86400;
const MAX_PERIOD = 31 * 86400;
const DEFAULT_TIMEOUT = 10;

/** The timeout the API uses when none is given: 10 s, or less to stay below a short interval. */
export function defaultTimeout(intervalSeconds: number): number {
  return Math.max(1, Math.min(DEFAULT_TIMEOUT, intervalSeconds - 1));
}

const emptyThresholds: ThresholdText = { ok_ms: "", degraded_ms: "", ping_count: "", ssl_ok_days: "", ssl_warning_days: "" };

export function newFormState(d: Defaults): FormState {
  return {
    type: "http",
    name: "",
    target: "",
    interval: String(d.interval_seconds),
    timeout: "",
    agent: "",
    enabled: true,
    thresholds: { ...emptyThresholds },
    period: "1",
    periodUnit: "days",
    grace: "",
    http: emptyHttp(),
    dns: emptyDns(),
    channels: null,
    alertType: "",
    repeatMinutes: "",
    restored: "",
    confirmChecks: "1",
  };
}

export function toFormState(m: Monitor): FormState {
  const t = m.thresholds;
  const text = (v: number | null) => (v === null || v === undefined ? "" : String(v));
  const heartbeat = m.type === "heartbeat";
  const [period, periodUnit] = heartbeat ? splitPeriod(m.interval_seconds) : [1, "days" as PeriodUnit];
  return {
    type: m.type,
    name: m.name,
    target: m.target,
    interval: heartbeat ? "60" : String(m.interval_seconds),
    // The timeout the interval gives anyway stays empty: left out, it keeps following the interval.
    timeout: m.timeout_seconds === defaultTimeout(m.interval_seconds) ? "" : String(m.timeout_seconds),
    agent: m.agent_id ? String(m.agent_id) : "",
    enabled: m.enabled,
    period: String(period),
    periodUnit,
    grace: m.grace_seconds !== undefined ? String(m.grace_seconds) : "",
    http: httpFromApi(m.http),
    dns: dnsFromApi(m.dns),
    channels: m.channel_ids ?? null,
    alertType: m.alert_type ?? "",
    repeatMinutes: m.repeat_minutes === null || m.repeat_minutes === undefined ? "" : String(m.repeat_minutes),
    restored: m.alert_on_restored === null || m.alert_on_restored === undefined ? "" : m.alert_on_restored ? "yes" : "no",
    confirmChecks: String(m.confirm_checks ?? 1),
    thresholds: {
      ok_ms: text(t.ok_ms),
      degraded_ms: text(t.degraded_ms),
      ping_count: text(t.ping_count),
      ssl_ok_days: text(t.ssl_ok_days),
      ssl_warning_days: text(t.ssl_warning_days),
    },
  };
}

/**
 * The form as the API's monitor body: empty thresholds are null (= follow the system default), an
 * empty timeout is left out (= follows the interval). A heartbeat sends an empty target and no agent
 * (explicitly, so an edit from another type doesn't keep the old ones), its period as the interval.
 */
export function toInput(f: FormState): MonitorInput {
  const heartbeat = f.type === "heartbeat";
  const input: MonitorInput = {
    name: f.name.trim(),
    type: f.type,
    target: heartbeat ? "" : f.target.trim(),
    enabled: f.enabled,
    agent_id: f.agent && !heartbeat ? Number(f.agent) : null,
    thresholds: {
      ok_ms: numberOrNull(f.thresholds.ok_ms),
      degraded_ms: numberOrNull(f.thresholds.degraded_ms),
      ping_count: numberOrNull(f.thresholds.ping_count),
      ssl_ok_days: numberOrNull(f.thresholds.ssl_ok_days),
      ssl_warning_days: numberOrNull(f.thresholds.ssl_warning_days),
    },
  };
  if (heartbeat) {
    const period = periodSeconds(f.period, f.periodUnit);
    const grace = numberOrNull(f.grace);
    if (period !== null) input.interval_seconds = period;
    if (grace !== null) input.grace_seconds = grace;
    return input;
  }
  const interval = numberOrNull(f.interval);
  const timeout = numberOrNull(f.timeout);
  if (interval !== null) input.interval_seconds = interval;
  if (timeout !== null) input.timeout_seconds = timeout;
  if (f.type === "http" || f.type === "https") input.http = httpToInput(f.http);
  if (f.type === "dns") input.dns = dnsToInput(f.dns);
  return input;
}

/**
 * The monitor's channels and alert policy as the API's fields: "" is null (= Settings › Alerts), the
 * repeat only with "repeated", an empty confirmation 1; channel_ids only once the list is known.
 */
export function notificationInput(f: FormState): Partial<MonitorNotifications> {
  const out: Partial<MonitorNotifications> = {
    alert_type: f.alertType || null,
    repeat_minutes: f.alertType === "repeated" ? numberOrNull(f.repeatMinutes) : null,
    alert_on_restored: f.restored === "" ? null : f.restored === "yes",
    confirm_checks: f.confirmChecks.trim() === "" ? 1 : Number(f.confirmChecks),
  };
  if (f.channels !== null) out.channel_ids = f.channels;
  return out;
}

/** The field keys the Notifications fieldset shows messages for. */
export function notificationPlaces(key: string): boolean {
  return ["alert_type", "repeat_minutes", "alert_on_restored", "confirm_checks", "channel_ids"].includes(key) || key.startsWith("channel_ids.");
}

/** The threshold fields that mean something for a type (a heartbeat's judge its run time). */
export function thresholdFields(type: MonitorType): (keyof Thresholds)[] {
  if (type === "ssl") return ["ssl_ok_days", "ssl_warning_days"];
  if (type === "ping") return ["ok_ms", "degraded_ms", "ping_count"];
  return ["ok_ms", "degraded_ms"];
}

const THRESHOLD_LABEL: Record<keyof Thresholds, string> = {
  ok_ms: "OK when latency ≤ (ms)",
  degraded_ms: "Degraded when latency ≤ (ms)",
  ping_count: "Pings per check (1–10)",
  ssl_ok_days: "OK when the certificate is valid for ≥ (days)",
  ssl_warning_days: "Warning when valid for ≥ (days)",
};
const RUN_TIME_LABEL: Partial<Record<keyof Thresholds, string>> = {
  ok_ms: "OK when the run took ≤ (ms)",
  degraded_ms: "Degraded when the run took ≤ (ms)",
};

const THRESHOLD_NOTE: Record<MonitorType, string> = {
  ping: " Slower than Degraded, or fewer than half the pings answered, is Down.",
  http: " Slower than Degraded, or a failed assertion, is Down.",
  https: " Slower than Degraded, or a failed assertion, is Down.",
  ssl: " Below the warning threshold, or expired, is Down.",
  tcp: " The time to open the connection; slower than Degraded, or refused, is Down.",
  dns: " The time the lookup took; slower than Degraded, or a missing value, is Down.",
  heartbeat: "",
};

export function MonitorForm() {
  const { id: rawId } = useParams();
  const editing = rawId !== undefined;
  const id = Number(rawId);
  const navigate = useNavigate();
  const formRef = useRef<HTMLFormElement>(null);

  const [form, setForm] = useState<FormState | null>(null);
  const [defaults, setDefaults] = useState<Defaults | null>(null);
  const [agents, setAgents] = useState<Agent[]>([]);
  /** GET /api/channels; null when it could not be read. */
  const [channelList, setChannelList] = useState<Channel[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<"test" | "save" | null>(null);
  const [outcome, setOutcome] = useState<CheckOutcome | null>(null);
  const [thresholdsOpen, setThresholdsOpen] = useState(false);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [focusErrors, setFocusErrors] = useState(0);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const [d, list, monitor, channels] = await Promise.all([
          api.defaults(),
          api.agents(),
          editing ? api.monitor(id) : Promise.resolve(null),
          api.channels().then(
            (answer) => answer.items,
            () => null,
          ),
        ]);
        if (cancelled) return;
        setDefaults(d);
        setAgents(list);
        setChannelList(channels);
        if (monitor) {
          const state = toFormState(monitor);
          setForm(state);
          setThresholdsOpen(Object.values(state.thresholds).some((v) => v !== ""));
          setAdvancedOpen(httpChanges(state.http) > 0);
        } else {
          // A new monitor starts with the default channels (the server would pick the same ones).
          setForm({ ...newFormState(d), channels: channels ? channels.filter((c) => c.default).map((c) => c.id) : null });
        }
      } catch (err) {
        if (!cancelled) setLoadError(err instanceof ApiError && err.status === 404 ? `There is no monitor ${rawId}.` : messageOf(err));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [editing, id, rawId]);

  // After a failed Test or Save, move focus to the first field the API complained about.
  useEffect(() => {
    if (!focusErrors) return;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [focusErrors]);

  if (loadError) {
    return (
      <section>
        <h1>{editing ? "Edit monitor" : "Add monitor"}</h1>
        <Notice kind="error">{loadError}</Notice>
        <Link to="/">Back to the dashboard</Link>
      </section>
    );
  }
  if (!form || !defaults) return <p role="status">Loading…</p>;

  const set = (patch: Partial<FormState>) => setForm({ ...form, ...patch });
  const setThreshold = (key: keyof Thresholds, value: string) => setForm({ ...form, thresholds: { ...form.thresholds, [key]: value } });
  const changeType = (type: MonitorType) => {
    let target = form.target;
    if (type === "https" && target.startsWith("http://")) target = `https://${target.slice(7)}`;
    if (type === "http" && target.startsWith("https://")) target = `http://${target.slice(8)}`;
    set({ type, target });
  };

  const fail = (err: unknown) => {
    const f = fieldsOf(err);
    setFields(f);
    setError(messageOf(err));
    if (Object.keys(f).some((k) => k.startsWith("thresholds."))) setThresholdsOpen(true);
    if (Object.keys(f).some((k) => k.startsWith("http."))) setAdvancedOpen(true);
    setFocusErrors((n) => n + 1);
  };

  const test = async () => {
    setBusy("test");
    setOutcome(null);
    setError(null);
    setFields({});
    try {
      setOutcome(await api.testUnsaved(toInput(form)));
    } catch (err) {
      fail(err);
    } finally {
      setBusy(null);
    }
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy("save");
    setError(null);
    setFields({});
    try {
      const body = { ...toInput(form), ...notificationInput(form) };
      const saved = editing ? await api.updateMonitor(id, body) : await api.createMonitor(body);
      const added = form.type === "heartbeat" ? "Monitor added. Give the job its push URL below." : "Monitor added. Its first check runs within one interval.";
      navigate(`/monitors/${saved.id}`, { state: { flash: editing ? "Monitor saved." : added } });
    } catch (err) {
      fail(err);
      setBusy(null);
    }
  };

  const heartbeat = form.type === "heartbeat";
  const isHttp = form.type === "http" || form.type === "https";
  const shownThresholds = thresholdFields(form.type);
  const placed = (key: string) =>
    ["name", "type", "interval_seconds", "enabled"].includes(key) ||
    (!heartbeat && ["target", "timeout_seconds", "agent_id"].includes(key)) ||
    (heartbeat && key === "grace_seconds") ||
    shownThresholds.some((k) => key === `thresholds.${k}`) ||
    (isHttp && httpPlaces(key)) ||
    (form.type === "dns" && dnsPlaces(key)) ||
    notificationPlaces(key);
  const shownKeys = Object.keys(fields).filter(placed);
  const selectable = agents.filter((a) => a.approved || String(a.id) === form.agent);
  const hint = heartbeat ? null : TARGET_HINT[form.type as Exclude<MonitorType, "heartbeat">];
  const intervalSeconds = numberOrNull(form.interval) ?? defaults.interval_seconds;
  const periodTotal = periodSeconds(form.period, form.periodUnit);
  const setHttp = (patch: Partial<HttpState>) => setForm({ ...form, http: { ...form.http, ...patch } });
  const setDns = (patch: Partial<DnsState>) => setForm({ ...form, dns: { ...form.dns, ...patch } });

  return (
    <section aria-labelledby="form-title" className="monitor-form">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/">Dashboard</Link> <span aria-hidden="true">/</span>{" "}
        {editing && (
          <>
            <Link to={`/monitors/${id}`}>{form.name || `Monitor ${id}`}</Link> <span aria-hidden="true">/</span>{" "}
          </>
        )}
        <span aria-current="page">{editing ? "Edit" : "Add monitor"}</span>
      </nav>
      <h1 id="form-title">{editing ? "Edit monitor" : "Add monitor"}</h1>

      <form ref={formRef} onSubmit={save} noValidate className="panel form" data-type={form.type}>
        {error && (
          <Notice kind="error">
            {error}
            <OtherErrors fields={fields} shown={shownKeys} />
          </Notice>
        )}

        <fieldset className={`field type-picker${fields.type ? " has-error" : ""}`}>
          <legend>Type</legend>
          <div className="segmented">
            {TYPES.map((t) => (
              <label key={t} className={form.type === t ? "checked" : ""}>
                <input type="radio" name="type" value={t} checked={form.type === t} onChange={() => changeType(t)} />
                {TYPE_LABEL[t]}
              </label>
            ))}
          </div>
          {fields.type && <div className="field-error">{fields.type}</div>}
        </fieldset>

        <div className="grid-2">
          <TextField label="Name" value={form.name} onChange={(e) => set({ name: e.target.value })} error={fields.name} placeholder={heartbeat ? "Nightly backup" : "API Server"} maxLength={200} required autoFocus={!editing} />
          {hint ? (
            <TextField label={hint.label} value={form.target} onChange={(e) => set({ target: e.target.value })} error={fields.target} placeholder={hint.placeholder} hint={hint.hint} required spellCheck={false} autoCapitalize="off" data-testid="target" />
          ) : (
            <div className="field heartbeat-note" data-testid="heartbeat-note">
              <span className="field-label">How it works</span>
              <p className="hint">
                Nothing is checked from here: your job (cron, a backup script) calls the monitor's secret <strong>push URL</strong> when it ran. No call within the
                period plus the grace is Down. The URL is on the monitor's page once saved.
              </p>
            </div>
          )}
        </div>

        {form.type === "dns" && <DnsFields value={form.dns} onChange={setDns} fields={fields} />}

        {heartbeat ? (
          <div className="grid-3">
            <Field
              label="Expected every"
              error={fields.interval_seconds}
              hint={
                periodTotal !== null && periodTotal > 0
                  ? `= ${periodTotal.toLocaleString("en")} s (${formatInterval(periodTotal)}). How often the job runs: 10 s to 31 days.`
                  : "How often the job runs: 10 s to 31 days."
              }
            >
              {({ id: inputId, describedBy, invalid }) => (
                <div className="period">
                  <input
                    id={inputId}
                    type="number"
                    inputMode="numeric"
                    min={1}
                    max={MAX_PERIOD}
                    value={form.period}
                    onChange={(e) => set({ period: e.target.value })}
                    aria-describedby={describedBy}
                    aria-invalid={invalid || undefined}
                  />
                  <select aria-label="Unit of the period" value={form.periodUnit} onChange={(e) => set({ periodUnit: e.target.value as PeriodUnit })}>
                    {PERIOD_UNITS.map((u) => (
                      <option key={u.key} value={u.key}>
                        {u.label}
                      </option>
                    ))}
                  </select>
                </div>
              )}
            </Field>
            <TextField
              label="Grace (seconds)"
              type="number"
              inputMode="numeric"
              min={5}
              max={86400}
              value={form.grace}
              onChange={(e) => set({ grace: e.target.value })}
              error={fields.grace_seconds}
              placeholder={`${defaults.grace_seconds ?? 60} (default)`}
              hint="How late a ping may be before it is Down: 5 s to 24 h (86400)."
            />
            <div className="field">
              <span className="field-label">Received by</span>
              <p className="hint">The server: agents don't receive heartbeats.</p>
            </div>
          </div>
        ) : (
          <div className="grid-3">
            <TextField label="Interval (seconds)" type="number" inputMode="numeric" min={10} max={MAX_INTERVAL} value={form.interval} onChange={(e) => set({ interval: e.target.value })} error={fields.interval_seconds} placeholder={String(defaults.interval_seconds)} hint="How often it is checked: 10 s to 24 h." />
            <TextField
              label="Timeout (seconds)"
              type="number"
              inputMode="numeric"
              min={1}
              max={60}
              value={form.timeout}
              onChange={(e) => set({ timeout: e.target.value })}
              error={fields.timeout_seconds}
              placeholder={`${defaultTimeout(intervalSeconds)} (default)`}
              hint="1–60 s, less than the interval. Empty: 10 s, or less for a shorter interval."
            />
            <SelectField label="Checked from" value={form.agent} onChange={(e) => set({ agent: e.target.value })} error={fields.agent_id} hint={agents.length ? undefined : "Agents appear here once approved (Settings › Agents)."}>
              <option value="">Server</option>
              {selectable.map((a) => (
                <option key={a.id} value={String(a.id)}>
                  {a.name || a.uuid} {a.approved ? (a.online ? "(online)" : "(offline)") : "(not approved)"}
                </option>
              ))}
            </SelectField>
          </div>
        )}

        <Checkbox
          label="Enabled"
          checked={form.enabled}
          onChange={(e) => set({ enabled: e.target.checked })}
          hint={heartbeat ? "A disabled heartbeat keeps its history; its push URL answers 404 and nothing is judged." : "A disabled monitor keeps its history but is not checked."}
          error={fields.enabled}
        />

        {isHttp && <HttpAdvanced value={form.http} onChange={setHttp} fields={fields} open={advancedOpen} onToggle={setAdvancedOpen} editing={editing} />}

        <details className="thresholds" open={thresholdsOpen} onToggle={(e) => setThresholdsOpen((e.target as HTMLDetailsElement).open)}>
          <summary>Threshold Settings</summary>
          {heartbeat ? (
            <p className="hint" data-testid="run-time-note">
              For a job that calls <code>…/start</code> when it begins: the time until its ping is the run time. With both set, a run longer than OK is Degraded and longer
              than Degraded is Down. Empty: the run time is shown but not judged (the system's latency defaults don't apply to heartbeats).
            </p>
          ) : (
            <p className="hint">
              Leave a field empty to use the system default shown in it (change those in <Link to="/settings/monitoring">Settings › Monitoring</Link>).
              {THRESHOLD_NOTE[form.type]}
            </p>
          )}
          <div className="grid-3">
            {shownThresholds.map((key) => (
              <TextField
                key={key}
                label={(heartbeat && RUN_TIME_LABEL[key]) || THRESHOLD_LABEL[key]}
                type="number"
                inputMode="decimal"
                min={key === "ping_count" ? 1 : 0}
                value={form.thresholds[key]}
                onChange={(e) => setThreshold(key, e.target.value)}
                placeholder={heartbeat ? "not judged" : `${defaults[key]} (default)`}
                error={fields[`thresholds.${key}`]}
              />
            ))}
          </div>
        </details>

        <NotificationFields form={form} channels={channelList} fields={fields} onChange={set} />

        {outcome && !heartbeat && <CheckOutcomeView outcome={outcome} />}

        <div className="actions form-actions">
          {!heartbeat && (
            <button type="button" className="button" onClick={test} disabled={busy !== null}>
              {busy === "test" ? "Testing…" : "Test"}
            </button>
          )}
          <button type="submit" className="button primary" disabled={busy !== null}>
            {busy === "save" ? "Saving…" : "Save"}
          </button>
          <Link className="button subtle" to={editing ? `/monitors/${id}` : "/"}>
            Cancel
          </Link>
        </div>
      </form>
    </section>
  );
}

interface NotificationProps {
  form: FormState;
  /** null: the list could not be read. */
  channels: Channel[] | null;
  fields: Record<string, string>;
  onChange: (patch: Partial<FormState>) => void;
}

/** Which channels the monitor's alerts go to, and its alert policy (empty: Settings › Alerts'). */
function NotificationFields({ form, channels, fields, onChange }: NotificationProps) {
  const picked = form.channels ?? [];
  const toggle = (channelId: number, on: boolean) => onChange({ channels: on ? [...picked, channelId] : picked.filter((c) => c !== channelId) });
  const channelError = fields.channel_ids ?? Object.entries(fields).find(([k]) => k.startsWith("channel_ids."))?.[1];
  const confirm = Number(form.confirmChecks) || 1;
  return (
    <fieldset className="field notifications-fields">
      <legend>Notifications</legend>
      {channels === null ? (
        <p className="hint">The channel list could not be read: a new monitor gets the default channels, an edited one keeps its own.</p>
      ) : channels.length === 0 ? (
        <p className="hint">
          No channels yet: add them in <Link to="/settings/notifications">Settings › Notifications</Link>.
        </p>
      ) : (
        <div className={`channel-picks${channelError ? " has-error" : ""}`} role="group" aria-label="Channels">
          {channels.map((c) => (
            <label key={c.id} className="choice">
              <input type="checkbox" checked={picked.includes(c.id)} onChange={(e) => toggle(c.id, e.target.checked)} aria-invalid={channelError ? true : undefined} />
              <span>
                <strong>{c.name}</strong>{" "}
                <span className="muted">
                  {c.service}
                  {c.default ? " · default" : ""}
                </span>
                {(c.health.state === "failed" || c.health.state === "failing") && <span className="warn-text"> · {c.health.state === "failed" ? "failed" : "failing"}</span>}
              </span>
            </label>
          ))}
        </div>
      )}
      {channelError && (
        <div className="field-error" role="alert">
          {channelError}
        </div>
      )}
      <div className="grid-2">
        <SelectField label="Alert type" value={form.alertType} onChange={(e) => onChange({ alertType: e.target.value as FormState["alertType"] })} error={fields.alert_type}>
          <option value="">Use the system setting</option>
          <option value="once">Once, when the status changes</option>
          <option value="repeated">Repeated while down</option>
          <option value="none">None</option>
        </SelectField>
        <TextField
          label="Repeat every (minutes)"
          type="number"
          inputMode="numeric"
          min={1}
          max={1440}
          value={form.repeatMinutes}
          disabled={form.alertType !== "repeated"}
          onChange={(e) => onChange({ repeatMinutes: e.target.value })}
          placeholder="system setting"
          hint="With “Repeated”: 1–1440 minutes. Empty: the system's."
          error={fields.repeat_minutes}
        />
        <SelectField label="Alert when restored" value={form.restored} onChange={(e) => onChange({ restored: e.target.value as FormState["restored"] })} error={fields.alert_on_restored}>
          <option value="">Use the system setting</option>
          <option value="yes">Yes</option>
          <option value="no">No</option>
        </SelectField>
        <TextField
          label="Consecutive failed checks before alerting"
          type="number"
          inputMode="numeric"
          min={1}
          max={20}
          value={form.confirmChecks}
          onChange={(e) => onChange({ confirmChecks: e.target.value })}
          hint={`Alert after ${confirm} consecutive failed ${confirm === 1 ? "check" : "checks"} (1–20); more than 1 stops flapping alerts.`}
          error={fields.confirm_checks}
        />
      </div>
      <p className="hint">
        The system settings are in <Link to="/settings/alerts">Settings › Alerts</Link>.
      </p>
    </fieldset>
  );
}
