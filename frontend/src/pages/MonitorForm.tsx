import { useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError, api, fieldsOf, messageOf } from "../lib/api";
import type { Agent, CheckOutcome, Defaults, Monitor, MonitorInput, MonitorType, Thresholds } from "../lib/types";
import { TYPE_LABEL } from "../lib/format";
import { Checkbox, OtherErrors, SelectField, TextField, numberOrNull } from "../components/Field";
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
}

const TYPES: MonitorType[] = ["ping", "http", "https", "ssl"];
const TARGET_HINT: Record<MonitorType, { placeholder: string; hint: string }> = {
  ping: { placeholder: "192.168.1.1 or host.example.com", hint: "A host name or IP address." },
  http: { placeholder: "http://example.com/health", hint: "A URL starting with http://" },
  https: { placeholder: "https://example.com/health", hint: "A URL starting with https://" },
  ssl: { placeholder: "example.com or example.com:8443", hint: "A host, or host:port (443 when omitted), whose certificate is checked." },
};

const emptyThresholds: ThresholdText = { ok_ms: "", degraded_ms: "", ping_count: "", ssl_ok_days: "", ssl_warning_days: "" };

export function toFormState(m: Monitor): FormState {
  const t = m.thresholds;
  const text = (v: number | null) => (v === null || v === undefined ? "" : String(v));
  return {
    type: m.type,
    name: m.name,
    target: m.target,
    interval: String(m.interval_seconds),
    timeout: String(m.timeout_seconds),
    agent: m.agent_id ? String(m.agent_id) : "",
    enabled: m.enabled,
    thresholds: {
      ok_ms: text(t.ok_ms),
      degraded_ms: text(t.degraded_ms),
      ping_count: text(t.ping_count),
      ssl_ok_days: text(t.ssl_ok_days),
      ssl_warning_days: text(t.ssl_warning_days),
    },
  };
}

/** The form as the API's monitor body: empty thresholds are null (= follow the system default). */
export function toInput(f: FormState): MonitorInput {
  const input: MonitorInput = {
    name: f.name.trim(),
    type: f.type,
    target: f.target.trim(),
    enabled: f.enabled,
    agent_id: f.agent ? Number(f.agent) : null,
    thresholds: {
      ok_ms: numberOrNull(f.thresholds.ok_ms),
      degraded_ms: numberOrNull(f.thresholds.degraded_ms),
      ping_count: numberOrNull(f.thresholds.ping_count),
      ssl_ok_days: numberOrNull(f.thresholds.ssl_ok_days),
      ssl_warning_days: numberOrNull(f.thresholds.ssl_warning_days),
    },
  };
  const interval = numberOrNull(f.interval);
  const timeout = numberOrNull(f.timeout);
  if (interval !== null) input.interval_seconds = interval;
  if (timeout !== null) input.timeout_seconds = timeout;
  return input;
}

/** The threshold fields that mean something for a type. */
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

export function MonitorForm() {
  const { id: rawId } = useParams();
  const editing = rawId !== undefined;
  const id = Number(rawId);
  const navigate = useNavigate();
  const formRef = useRef<HTMLFormElement>(null);

  const [form, setForm] = useState<FormState | null>(null);
  const [defaults, setDefaults] = useState<Defaults | null>(null);
  const [agents, setAgents] = useState<Agent[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<"test" | "save" | null>(null);
  const [outcome, setOutcome] = useState<CheckOutcome | null>(null);
  const [thresholdsOpen, setThresholdsOpen] = useState(false);
  const [focusErrors, setFocusErrors] = useState(0);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const [d, list, monitor] = await Promise.all([api.defaults(), api.agents(), editing ? api.monitor(id) : Promise.resolve(null)]);
        if (cancelled) return;
        setDefaults(d);
        setAgents(list);
        if (monitor) {
          const state = toFormState(monitor);
          setForm(state);
          setThresholdsOpen(Object.values(state.thresholds).some((v) => v !== ""));
        } else {
          setForm({ type: "http", name: "", target: "", interval: String(d.interval_seconds), timeout: String(d.timeout_seconds), agent: "", enabled: true, thresholds: { ...emptyThresholds } });
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
      const saved = editing ? await api.updateMonitor(id, toInput(form)) : await api.createMonitor(toInput(form));
      navigate(`/monitors/${saved.id}`, { state: { flash: editing ? "Monitor saved." : "Monitor added. Its first check runs within one interval." } });
    } catch (err) {
      fail(err);
      setBusy(null);
    }
  };

  const shownThresholds = thresholdFields(form.type);
  const shownKeys = ["name", "type", "target", "interval_seconds", "timeout_seconds", "agent_id", "enabled", ...shownThresholds.map((k) => `thresholds.${k}`)];
  const selectable = agents.filter((a) => a.approved || String(a.id) === form.agent);
  const hint = TARGET_HINT[form.type];

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

      <form ref={formRef} onSubmit={save} noValidate className="panel form">
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
          <TextField label="Name" value={form.name} onChange={(e) => set({ name: e.target.value })} error={fields.name} placeholder="API Server" maxLength={200} required autoFocus={!editing} />
          <TextField label="Target" value={form.target} onChange={(e) => set({ target: e.target.value })} error={fields.target} placeholder={hint.placeholder} hint={hint.hint} required spellCheck={false} autoCapitalize="off" />
        </div>

        <div className="grid-3">
          <TextField label="Interval (seconds)" type="number" inputMode="numeric" min={10} max={86400} value={form.interval} onChange={(e) => set({ interval: e.target.value })} error={fields.interval_seconds} placeholder={String(defaults.interval_seconds)} hint="How often it is checked: 10 s to 24 h." />
          <TextField label="Timeout (seconds)" type="number" inputMode="numeric" min={1} max={60} value={form.timeout} onChange={(e) => set({ timeout: e.target.value })} error={fields.timeout_seconds} placeholder={String(defaults.timeout_seconds)} hint="1–60 s, less than the interval." />
          <SelectField label="Checked from" value={form.agent} onChange={(e) => set({ agent: e.target.value })} error={fields.agent_id} hint={agents.length ? undefined : "Agents appear here once approved (Settings › Agents)."}>
            <option value="">Server</option>
            {selectable.map((a) => (
              <option key={a.id} value={String(a.id)}>
                {a.name || a.uuid} {a.approved ? (a.online ? "(online)" : "(offline)") : "(not approved)"}
              </option>
            ))}
          </SelectField>
        </div>

        <Checkbox label="Enabled" checked={form.enabled} onChange={(e) => set({ enabled: e.target.checked })} hint="A disabled monitor keeps its history but is not checked." error={fields.enabled} />

        <details className="thresholds" open={thresholdsOpen} onToggle={(e) => setThresholdsOpen((e.target as HTMLDetailsElement).open)}>
          <summary>Threshold Settings</summary>
          <p className="hint">
            Leave a field empty to use the system default shown in it (change those in <Link to="/settings/monitoring">Settings › Monitoring</Link>).
            {form.type === "ssl" ? " Below the warning threshold, or expired, is Down." : form.type === "ping" ? " Slower than Degraded, or fewer than half the pings answered, is Down." : " Slower than Degraded, or an HTTP error, is Down."}
          </p>
          <div className="grid-3">
            {shownThresholds.map((key) => (
              <TextField
                key={key}
                label={THRESHOLD_LABEL[key]}
                type="number"
                inputMode="decimal"
                min={key === "ping_count" ? 1 : 0}
                value={form.thresholds[key]}
                onChange={(e) => setThreshold(key, e.target.value)}
                placeholder={`${defaults[key]} (default)`}
                error={fields[`thresholds.${key}`]}
              />
            ))}
          </div>
        </details>

        {outcome && <CheckOutcomeView outcome={outcome} />}

        <div className="actions form-actions">
          <button type="button" className="button" onClick={test} disabled={busy !== null}>
            {busy === "test" ? "Testing…" : "Test"}
          </button>
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
