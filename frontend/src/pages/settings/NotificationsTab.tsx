import { useCallback, useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { Link } from "react-router";
import { api, fieldsOf, messageOf } from "../../lib/api";
import { CHANNEL_EVENTS } from "../../lib/types";
import type { Channel, ChannelEvent, ChannelHealth, ChannelInput, ChannelKind, ChannelTestResult, Status } from "../../lib/types";
import { APPRISE_SERVICES, appriseService, buildAppriseUrl, initialValues, serviceOfUrl, shownFields } from "../../lib/apprise";
import type { AppriseServiceKey, AppriseValues, ServiceField } from "../../lib/apprise";
import { alertEventLabel, formatDateTime, timeAgo } from "../../lib/format";
import { Checkbox, OtherErrors, SelectField, TextField } from "../../components/Field";
import { Notice } from "../../components/Notice";
import { ConfirmDialog } from "../../components/Dialog";
import { StatusIcon } from "../../components/StatusBadge";

const KINDS: { value: ChannelKind; label: string }[] = [
  { value: "webhook", label: "Webhook" },
  { value: "email", label: "Email" },
  { value: "apprise", label: "Apprise (Slack, Discord, Teams, Telegram, …)" },
];

const HEALTH: Record<string, { label: string; status: Status }> = {
  ok: { label: "OK", status: "ok" },
  failing: { label: "Failing, retrying", status: "degraded" },
  failed: { label: "Failed", status: "down" },
  unused: { label: "Nothing sent yet", status: "unknown" },
};

/** A channel in trouble: its alerts are being retried, or were given up. */
const troubled = (c: Channel) => c.health.state === "failing" || c.health.state === "failed";

function eventsText(events: ChannelEvent[]): string {
  if (CHANNEL_EVENTS.every((e) => events.includes(e))) return "All events";
  return CHANNEL_EVENTS.filter((e) => events.includes(e)).map(alertEventLabel).join(", ") || "None";
}

/** A URL with its password (user:password@) hidden, for showing what a form built. */
export function hidePassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, "$1••••@");
}

/** Settings > Notifications: the channels alerts go to, each given to monitors in their form. */
export function NotificationsTab() {
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ channel: Channel | null } | null>(null);
  const [deleting, setDeleting] = useState<Channel | null>(null);
  const [busy, setBusy] = useState(false);
  const [tested, setTested] = useState<{ channel: Channel; result: ChannelTestResult } | null>(null);
  const [testing, setTesting] = useState<number | null>(null);

  const load = useCallback(async () => {
    try {
      setChannels((await api.channels()).items);
      setError(null);
    } catch (err) {
      setError(messageOf(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const saved = (channel: Channel, created: boolean) => {
    setChannels((list) => [...(list ?? []).filter((c) => c.id !== channel.id), channel].sort((a, b) => a.name.localeCompare(b.name)));
    setNotice(created ? `Channel “${channel.name}” added.` : `Channel “${channel.name}” saved.`);
    setTested(null);
    setEditing(null);
  };

  const test = async (channel: Channel) => {
    setTesting(channel.id);
    setTested(null);
    setNotice(null);
    try {
      setTested({ channel, result: await api.testSavedChannel(channel.id) });
    } catch (err) {
      setTested({ channel, result: { ok: false, error: messageOf(err) } });
    } finally {
      setTesting(null);
    }
  };

  const remove = async () => {
    if (!deleting) return;
    setBusy(true);
    try {
      await api.deleteChannel(deleting.id);
      setChannels((list) => (list ?? []).filter((c) => c.id !== deleting.id));
      setNotice(`Channel “${deleting.name}” deleted.`);
      if (editing?.channel?.id === deleting.id) setEditing(null);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setDeleting(null);
      setBusy(false);
    }
  };

  const inTrouble = channels?.filter(troubled) ?? [];

  return (
    <div className="notifications-tab">
      {error && <Notice kind="error">{error}</Notice>}
      {notice && <Notice kind="success">{notice}</Notice>}
      {tested && (
        <Notice kind={tested.result.ok ? "success" : "error"}>
          {tested.result.ok
            ? `Test sent through “${tested.channel.name}”: the service accepted it.`
            : `Test through “${tested.channel.name}” failed: ${tested.result.error ?? "no reason given"}`}
        </Notice>
      )}
      <section className="panel" aria-labelledby="channels-title">
        <div className="panel-head">
          <h2 id="channels-title">Notification channels</h2>
          <button
            type="button"
            className="button primary small"
            onClick={() => {
              setNotice(null);
              setEditing({ channel: null });
            }}
          >
            Add channel
          </button>
        </div>
        <p className="muted">
          Where alerts go. Each monitor picks its channels in its form; new monitors get the default ones. The SMTP server for email is in{" "}
          <Link to="/settings/alerts">Settings › Alerts</Link>.
        </p>
        {inTrouble.length > 0 && (
          <Notice kind="error">
            {inTrouble.map((c) => c.name).join(", ")} {inTrouble.length === 1 ? "is" : "are"} not delivering alerts: see Health below, then test and fix.
          </Notice>
        )}
        {channels === null && !error && <p role="status">Loading…</p>}
        {channels && channels.length === 0 && <p className="muted">No channels yet: alerts go nowhere until you add one.</p>}
        {channels && channels.length > 0 && (
          <div className="table-wrap">
            <table className="channels" aria-labelledby="channels-title">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Service</th>
                  <th scope="col">Events</th>
                  <th scope="col">Default</th>
                  <th scope="col">Monitors</th>
                  <th scope="col">Health</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {channels.map((c) => (
                  <tr key={c.id} data-channel-id={c.id} data-health={c.health.state} className={troubled(c) ? "channel-troubled" : undefined}>
                    <td>
                      <strong>{c.name}</strong>
                      {c.from_settings && <div className="muted small">from Settings › Alerts</div>}
                    </td>
                    <td>{c.service}</td>
                    <td>{eventsText(c.events)}</td>
                    <td>{c.default ? <span className="pill pill-ok">default</span> : <span className="muted">—</span>}</td>
                    <td>{c.monitor_count}</td>
                    <td>
                      <HealthView health={c.health} />
                    </td>
                    <td>
                      <div className="row-actions">
                        <button type="button" className="button small" aria-label={`Test ${c.name}`} disabled={testing !== null} onClick={() => void test(c)}>
                          {testing === c.id ? "Sending…" : "Test"}
                        </button>
                        <button
                          type="button"
                          className="button small"
                          aria-label={`Edit ${c.name}`}
                          onClick={() => {
                            setNotice(null);
                            setEditing({ channel: c });
                          }}
                        >
                          Edit
                        </button>
                        <button type="button" className="button small danger" aria-label={`Delete ${c.name}`} onClick={() => setDeleting(c)}>
                          Delete
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {editing && <ChannelEditor key={editing.channel?.id ?? "new"} channel={editing.channel} onSaved={saved} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog title={`Delete the channel “${deleting.name}”?`} confirmLabel="Delete channel" danger busy={busy} onConfirm={() => void remove()} onCancel={() => setDeleting(null)}>
          <p>
            {deleting.monitor_count === 0
              ? "No monitor uses it."
              : `${deleting.monitor_count} ${deleting.monitor_count === 1 ? "monitor stops" : "monitors stop"} alerting through it.`}{" "}
            This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function HealthView({ health: h }: { health: ChannelHealth }) {
  const known = HEALTH[h.state] ?? { label: h.state, status: "unknown" as Status };
  const trouble = h.state === "failing" || h.state === "failed";
  return (
    <div className={`channel-health health-${h.state}`}>
      <span className="health-state">
        <StatusIcon status={known.status} />
        {known.label}
      </span>
      {h.state === "failed" && h.failed_at && <div className="small">since {formatDateTime(h.failed_at)}</div>}
      {trouble && h.last_error && <div className="delivery-error small">{h.last_error}</div>}
      {h.last_sent_at && (
        <div className="muted small" title={formatDateTime(h.last_sent_at, true)}>
          last sent {timeAgo(h.last_sent_at)}
        </div>
      )}
    </div>
  );
}

interface Draft {
  name: string;
  kind: ChannelKind;
  webhookUrl: string;
  emailTo: string;
  service: AppriseServiceKey;
  values: AppriseValues;
  /** Editing an Apprise channel: its masked URL, sent back unchanged (the secret kept) until replaced. */
  keptUrl: string | null;
  events: ChannelEvent[];
  isDefault: boolean;
  applyToExisting: boolean;
}

function draftOf(channel: Channel | null): Draft {
  const url = channel?.config.url ?? "";
  const service = channel?.kind === "apprise" ? serviceOfUrl(url) : "slack";
  return {
    name: channel?.name ?? "",
    kind: channel?.kind ?? "apprise",
    webhookUrl: channel?.kind === "webhook" ? url : "",
    emailTo: channel?.config.to ?? "",
    service,
    values: initialValues(appriseService(service)),
    keptUrl: channel?.kind === "apprise" ? url : null,
    events: channel ? [...channel.events] : [...CHANNEL_EVENTS],
    isDefault: channel?.default ?? false,
    applyToExisting: false,
  };
}

/** The API body, or the Apprise form's messages (keys "apprise.<field>") when it can't build a URL. */
export function channelInput(d: Draft, creating: boolean): { ok: true; input: ChannelInput } | { ok: false; errors: Record<string, string> } {
  let url = d.keptUrl;
  if (d.kind === "apprise" && url === null) {
    const built = buildAppriseUrl(d.service, d.values);
    if (!built.ok) return { ok: false, errors: Object.fromEntries(Object.entries(built.errors).map(([k, v]) => [`apprise.${k}`, v])) };
    url = built.url;
  }
  const config = d.kind === "email" ? { to: d.emailTo.trim() } : { url: d.kind === "webhook" ? d.webhookUrl.trim() : (url as string) };
  const input: ChannelInput = { name: d.name.trim(), kind: d.kind, config, events: CHANNEL_EVENTS.filter((e) => d.events.includes(e)), default: d.isDefault };
  if (creating && d.applyToExisting) input.apply_to_existing = true;
  return { ok: true, input };
}

interface EditorProps {
  channel: Channel | null;
  onSaved: (channel: Channel, created: boolean) => void;
  onClose: () => void;
}

function ChannelEditor({ channel, onSaved, onClose }: EditorProps) {
  const creating = channel === null;
  const [draft, setDraft] = useState<Draft>(() => draftOf(channel));
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<"save" | "test" | null>(null);
  const [result, setResult] = useState<ChannelTestResult | null>(null);
  const [tick, setTick] = useState(0);
  const form = useRef<HTMLFormElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), []);
  // After a refused Save or Test, focus moves to the first field with a message.
  useEffect(() => {
    if (tick) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [tick]);

  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const service = appriseService(draft.service);

  /** The body to send, or null once the form's own messages are shown. */
  const prepare = (): ChannelInput | null => {
    setError(null);
    setResult(null);
    const built = channelInput(draft, creating);
    if (built.ok) {
      setFields({});
      return built.input;
    }
    setFields(built.errors);
    setTick((n) => n + 1);
    return null;
  };
  const fail = (err: unknown) => {
    setFields(fieldsOf(err));
    setError(messageOf(err));
    setTick((n) => n + 1);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input = prepare();
    if (!input) return;
    setBusy("save");
    try {
      onSaved(channel ? await api.updateChannel(channel.id, input) : await api.createChannel(input), creating);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(null);
    }
  };

  const test = async () => {
    const input = prepare();
    if (!input) return;
    setBusy("test");
    try {
      setResult(channel ? await api.testSavedChannel(channel.id, input) : await api.testChannel(input));
    } catch (err) {
      fail(err);
    } finally {
      setBusy(null);
    }
  };

  const built = draft.kind === "apprise" && draft.keptUrl === null ? buildAppriseUrl(draft.service, draft.values) : null;
  const shown = ["name", "kind", "config.url", "config.to", "events", "default", "apply_to_existing", ...Object.keys(fields).filter((k) => k.startsWith("apprise."))];
  const toggleEvent = (e: ChannelEvent, on: boolean) => set({ events: on ? [...draft.events, e] : draft.events.filter((x) => x !== e) });

  return (
    <form ref={form} className="panel form channel-form" onSubmit={submit} noValidate aria-labelledby="channel-form-title">
      <h2 id="channel-form-title" ref={heading} tabIndex={-1}>
        {creating ? "Add a channel" : `Edit “${channel.name}”`}
      </h2>
      {error && (
        <Notice kind="error">
          {error}
          <OtherErrors fields={fields} shown={shown} />
        </Notice>
      )}
      {channel?.from_settings && (
        <Notice kind="info">
          This channel is Settings › Alerts' {channel.from_settings === "webhook" ? "webhook URL" : "alert email"}: a change here shows there too, and its kind stays.
        </Notice>
      )}
      <TextField label="Name" value={draft.name} onChange={(e) => set({ name: e.target.value })} error={fields.name} maxLength={100} placeholder="Ops Slack" required />

      <fieldset className={`field${fields.kind ? " has-error" : ""}`}>
        <legend>Kind</legend>
        <div className="segmented">
          {KINDS.map((k) => (
            <label key={k.value} className={draft.kind === k.value ? "checked" : ""}>
              <input
                type="radio"
                name="channel-kind"
                value={k.value}
                checked={draft.kind === k.value}
                onChange={() => set({ kind: k.value })}
                disabled={Boolean(channel?.from_settings) && k.value !== channel?.kind}
              />
              {k.label}
            </label>
          ))}
        </div>
        {fields.kind && <div className="field-error">{fields.kind}</div>}
      </fieldset>

      {draft.kind === "webhook" && (
        <TextField
          label="Webhook URL"
          type="url"
          value={draft.webhookUrl}
          onChange={(e) => set({ webhookUrl: e.target.value })}
          error={fields["config.url"]}
          placeholder="https://example.com/hooks/onlinetracker"
          hint={creating ? "Receives a JSON POST for each alert." : "Receives a JSON POST for each alert. Shown masked: left as it is, the saved URL is kept."}
          spellCheck={false}
        />
      )}
      {draft.kind === "email" && (
        <TextField
          label="Send to"
          type="text"
          value={draft.emailTo}
          onChange={(e) => set({ emailTo: e.target.value })}
          error={fields["config.to"]}
          placeholder="ops@example.com, dba@example.com"
          hint="One or more addresses, comma-separated; sent through the SMTP server in Settings › Alerts."
          spellCheck={false}
        />
      )}
      {draft.kind === "apprise" &&
        (draft.keptUrl !== null ? (
          <div className="field kept-url">
            <span className="field-label">Apprise URL ({channel?.service ?? service.label})</span>
            <code data-testid="kept-url">{draft.keptUrl}</code>
            <p className="hint">Secrets are shown masked and kept as saved. Replace the URL to enter new details.</p>
            {fields["config.url"] && (
              <div className="field-error" role="alert">
                {fields["config.url"]}
              </div>
            )}
            <button type="button" className="button small" onClick={() => set({ keptUrl: null })}>
              Replace URL
            </button>
          </div>
        ) : (
          <div className="apprise-form">
            <SelectField
              label="Service"
              value={draft.service}
              onChange={(e) => {
                const key = e.target.value as AppriseServiceKey;
                set({ service: key, values: initialValues(appriseService(key)) });
              }}
              hint={service.help}
            >
              {APPRISE_SERVICES.map((s) => (
                <option key={s.key} value={s.key}>
                  {s.label}
                </option>
              ))}
            </SelectField>
            <div className="grid-2">
              {shownFields(service, draft.values).map((f) => (
                <ServiceInput key={`${service.key}.${f.key}`} field={f} value={draft.values[f.key] ?? ""} error={fields[`apprise.${f.key}`]} onChange={(v) => set({ values: { ...draft.values, [f.key]: v } })} />
              ))}
            </div>
            <div className="apprise-preview" data-testid="apprise-url">
              <span className="muted small">Apprise URL: </span>
              {built?.ok ? <code>{hidePassword(built.url)}</code> : <span className="muted small">fill in the fields above</span>}
            </div>
            {fields["config.url"] && (
              <div className="field-error" role="alert">
                {fields["config.url"]}
              </div>
            )}
            {!creating && channel.kind === "apprise" && (
              <button type="button" className="button small subtle" onClick={() => set({ keptUrl: channel.config.url ?? "" })}>
                Keep the saved URL
              </button>
            )}
          </div>
        ))}

      <fieldset className={`field${fields.events ? " has-error" : ""}`}>
        <legend>Events</legend>
        <div className="choices channel-events">
          {CHANNEL_EVENTS.map((e) => (
            <label key={e} className="choice">
              <input type="checkbox" checked={draft.events.includes(e)} onChange={(ev) => toggleEvent(e, ev.target.checked)} />
              <span>{alertEventLabel(e)}</span>
            </label>
          ))}
        </div>
        {fields.events && <div className="field-error">{fields.events}</div>}
      </fieldset>
      <Checkbox label="Default for new monitors" checked={draft.isDefault} onChange={(e) => set({ isDefault: e.target.checked })} hint="New monitors get it unless their form picks otherwise." error={fields.default} />
      {creating && (
        <Checkbox
          label="Also add to all existing monitors"
          checked={draft.applyToExisting}
          onChange={(e) => set({ applyToExisting: e.target.checked })}
          hint="Otherwise pick it in each monitor's form."
          error={fields.apply_to_existing}
        />
      )}

      {result && (
        <div data-testid="channel-test-result">
          {result.ok ? <Notice kind="success">Test sent: the service accepted it.</Notice> : <Notice kind="error">The service refused the test: {result.error ?? "no reason given"}</Notice>}
        </div>
      )}
      <div className="actions form-actions">
        <button type="submit" className="button primary" disabled={busy !== null}>
          {busy === "save" ? "Saving…" : creating ? "Add channel" : "Save channel"}
        </button>
        <button type="button" className="button" onClick={() => void test()} disabled={busy !== null}>
          {busy === "test" ? "Sending…" : "Send test"}
        </button>
        <button type="button" className="button subtle" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ServiceInput({ field: f, value, error, onChange }: { field: ServiceField; value: string; error?: string; onChange: (value: string) => void }) {
  if (f.type === "select") {
    return (
      <SelectField label={f.label} value={value} onChange={(e) => onChange(e.target.value)} hint={f.hint} error={error}>
        {f.options?.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </SelectField>
    );
  }
  return (
    <TextField
      label={f.label}
      type={f.type === "password" ? "password" : "text"}
      autoComplete={f.type === "password" ? "new-password" : "off"}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      placeholder={f.placeholder}
      hint={f.hint}
      error={error}
      spellCheck={false}
      autoCapitalize="off"
    />
  );
}
