import { useState } from "react";
import { Link } from "react-router";
import type { FormEvent } from "react";
import { api, messageOf } from "../../lib/api";
import type { AlertSettings, ChannelResult } from "../../lib/types";
import { Checkbox, SelectField, TextField } from "../../components/Field";
import { Notice } from "../../components/Notice";
import { StatusIcon } from "../../components/StatusBadge";
import { useSection } from "./useSection";
import { AlertHistory } from "./AlertHistory";

const ALERT_TYPES: { value: AlertSettings["alert_type"]; label: string; hint: string }[] = [
  { value: "once", label: "Once", hint: "Alert only when the status changes (up → down, down → up)." },
  { value: "repeated", label: "Repeated", hint: "Keep alerting at an interval while a service is down." },
  { value: "none", label: "None", hint: "Send no alerts." },
];

const CHANNEL_LABEL: Record<string, string> = { webhook: "Webhook", email: "Email" };

/** Which settings fields are sent: everything but the password, which goes only when typed or cleared. */
function body(draft: AlertSettings, password: string, clearPassword: boolean): Record<string, unknown> {
  const { smtp_password_set: _ignored, ...rest } = draft;
  const out: Record<string, unknown> = { ...rest };
  if (password) out.smtp_password = password;
  else if (clearPassword) out.smtp_password = "";
  return out;
}

/** Alert settings, then the recent alert events. */
export function AlertsTab() {
  return (
    <>
      <AlertSettingsForm />
      <AlertHistory />
    </>
  );
}

function AlertSettingsForm() {
  const section = useSection("alerts");
  const [password, setPassword] = useState("");
  const [clearPassword, setClearPassword] = useState(false);
  const [testing, setTesting] = useState(false);
  const [results, setResults] = useState<Record<string, ChannelResult> | null>(null);
  const [testError, setTestError] = useState<string | null>(null);
  const { draft, fields } = section;
  if (!draft) return section.error ? <Notice kind="error">{section.error}</Notice> : <p role="status">Loading…</p>;

  const set = (patch: Partial<AlertSettings>) => section.setDraft({ ...draft, ...patch });
  const dirty = section.dirty || password !== "" || clearPassword;

  const save = async () => {
    const saved = await section.save(body(draft, password, clearPassword), "Alert settings saved.");
    if (saved) {
      setPassword("");
      setClearPassword(false);
    }
    return saved;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await save();
  };

  const sendTest = async () => {
    setResults(null);
    setTestError(null);
    if (dirty && !(await save())) return;
    setTesting(true);
    try {
      setResults(await api.testAlerts());
    } catch (err) {
      setTestError(messageOf(err));
    } finally {
      setTesting(false);
    }
  };

  return (
    <form onSubmit={submit} className="panel form" noValidate aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alert behaviour</h2>
      {section.error && <Notice kind="error">{section.error}</Notice>}
      {section.notice && <Notice kind="success">{section.notice}</Notice>}

      <fieldset className="field">
        <legend>Alert type</legend>
        <div className="choices">
          {ALERT_TYPES.map((t) => (
            <label key={t.value} className="choice">
              <input type="radio" name="alert_type" value={t.value} checked={draft.alert_type === t.value} onChange={() => set({ alert_type: t.value })} />
              <span>
                <strong>{t.label}</strong> <span className="muted">{t.hint}</span>
              </span>
            </label>
          ))}
        </div>
        {fields.alert_type && <div className="field-error">{fields.alert_type}</div>}
      </fieldset>

      <div className="grid-2">
        <TextField
          label="Repeat every (minutes)"
          type="number"
          inputMode="numeric"
          min={1}
          max={1440}
          value={String(draft.repeat_minutes)}
          disabled={draft.alert_type !== "repeated"}
          onChange={(e) => set({ repeat_minutes: e.target.value === "" ? ("" as unknown as number) : Number(e.target.value) })}
          hint="With “Repeated”: 1–1440 minutes."
          error={fields.repeat_minutes}
        />
        <SelectField label="Include history" value={draft.include_history} onChange={(e) => set({ include_history: e.target.value as AlertSettings["include_history"] })} hint="What an email alert contains." error={fields.include_history}>
          <option value="event">Event only</option>
          <option value="24h">Last 24 hours</option>
        </SelectField>
      </div>
      <Checkbox label="Alert on restored" checked={draft.alert_on_restored} onChange={(e) => set({ alert_on_restored: e.target.checked })} hint="Also alert when a service comes back up." error={fields.alert_on_restored} />

      <h2>Webhook</h2>
      <p className="muted" data-testid="more-channels">
        The webhook and the alert email below are two of the notification channels. Slack, Discord, Teams, Telegram and other services, and which monitors
        alert where: <Link to="/settings/notifications">Settings › Notifications</Link>.
      </p>
      <TextField
        label="Webhook URL"
        type="url"
        value={draft.webhook_url}
        onChange={(e) => set({ webhook_url: e.target.value })}
        placeholder="https://hooks.example.com/…"
        hint="Receives a JSON POST for each alert. Shown masked: left as it is, the saved URL is kept. Empty: no webhook."
        error={fields.webhook_url}
        spellCheck={false}
      />

      <h2>Email (SMTP)</h2>
      <div className="grid-2">
        <TextField label="SMTP host" value={draft.smtp_host} onChange={(e) => set({ smtp_host: e.target.value })} placeholder="smtp.gmail.com" error={fields.smtp_host} spellCheck={false} />
        <TextField label="SMTP port" type="number" inputMode="numeric" min={1} max={65535} value={String(draft.smtp_port)} onChange={(e) => set({ smtp_port: e.target.value === "" ? ("" as unknown as number) : Number(e.target.value) })} error={fields.smtp_port} />
        <TextField label="SMTP username" value={draft.smtp_username} onChange={(e) => set({ smtp_username: e.target.value })} autoComplete="off" error={fields.smtp_username} spellCheck={false} />
        <div>
          <TextField
            label={
              <>
                SMTP password
                <span className={`pill secret-state${draft.smtp_password_set && !clearPassword ? " pill-ok" : ""}`} data-testid="smtp-password-state">
                  {clearPassword ? "will be removed" : draft.smtp_password_set ? "set" : "not set"}
                </span>
              </>
            }
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              setClearPassword(false);
            }}
            placeholder={draft.smtp_password_set && !clearPassword ? "•••••••• (type to replace)" : ""}
            hint={draft.smtp_password_set ? "Stored encrypted and never shown. Type a new one to replace it." : undefined}
            error={fields.smtp_password}
          />
          {draft.smtp_password_set && !clearPassword && !password && (
            <button type="button" className="button subtle small remove-secret" onClick={() => setClearPassword(true)}>
              Remove saved password
            </button>
          )}
        </div>
        <TextField label="From address" type="email" value={draft.smtp_from} onChange={(e) => set({ smtp_from: e.target.value })} placeholder="defaults to the SMTP username" error={fields.smtp_from} />
        <TextField label="Alert email" type="email" value={draft.alert_email} onChange={(e) => set({ alert_email: e.target.value })} placeholder="ops@example.com" hint="Where alerts are sent." error={fields.alert_email} />
      </div>
      <Checkbox label="Use TLS (STARTTLS)" checked={draft.smtp_use_tls} onChange={(e) => set({ smtp_use_tls: e.target.checked })} hint="Recommended." error={fields.smtp_use_tls} />

      <div className="actions form-actions">
        <button type="submit" className="button primary" disabled={section.saving}>
          {section.saving ? "Saving…" : "Save"}
        </button>
        <button type="button" className="button" onClick={sendTest} disabled={testing || section.saving}>
          {testing ? "Sending…" : dirty ? "Save and send test" : "Send test"}
        </button>
      </div>
      {testError && <Notice kind="error">{testError}</Notice>}
      {results && (
        <div role="status">
        <ul className="channel-results" aria-label="Test alert results">
          {Object.entries(results).map(([name, r]) => (
            <li key={name} data-channel={name}>
              <StatusIcon status={r.skipped ? "unknown" : r.ok ? "ok" : "down"} />
              <strong>{CHANNEL_LABEL[name] ?? name}:</strong> {r.skipped ? "not configured, skipped" : r.ok ? "sent" : `failed: ${r.error ?? "unknown error"}`}
            </li>
          ))}
        </ul>
        </div>
      )}
    </form>
  );
}
