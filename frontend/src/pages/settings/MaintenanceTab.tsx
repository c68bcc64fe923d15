import { useCallback, useEffect, useState } from "react";
import type { FormEvent } from "react";
import { api, fieldsOf, messageOf } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import type { MaintenanceInput, MaintenanceRecurrence, MaintenanceWindow, OverviewMonitor, Weekday } from "../../lib/types";
import { Checkbox, OtherErrors, TextField } from "../../components/Field";
import { Notice } from "../../components/Notice";
import { ConfirmDialog } from "../../components/Dialog";
import { StatusBadge } from "../../components/StatusBadge";
import { fromLocalInput } from "./StatusPagesTab";

const WEEKDAYS: { key: Weekday; label: string }[] = [
  { key: "mon", label: "Mon" },
  { key: "tue", label: "Tue" },
  { key: "wed", label: "Wed" },
  { key: "thu", label: "Thu" },
  { key: "fri", label: "Fri" },
  { key: "sat", label: "Sat" },
  { key: "sun", label: "Sun" },
];

function localZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** A recurrence in words: "Sun 02:00 for 120 min (Europe/Berlin)" or "cron 0 3 * * 1 for 30 min (UTC)". */
export function describeRecurrence(r: MaintenanceRecurrence): string {
  const when = r.cron ? `cron ${r.cron}` : `${(r.weekdays ?? []).map((d) => d[0].toUpperCase() + d.slice(1)).join(", ")} at ${r.time}`;
  return `${when} for ${r.duration_minutes} min (${r.timezone})`;
}

interface Draft {
  title: string;
  all: boolean;
  monitorIds: number[];
  kind: "once" | "recurring";
  start: string;
  end: string;
  mode: "weekdays" | "cron";
  weekdays: Weekday[];
  time: string;
  cron: string;
  duration: string;
  timezone: string;
}

const newDraft = (): Draft => ({
  title: "",
  all: false,
  monitorIds: [],
  kind: "once",
  start: "",
  end: "",
  mode: "weekdays",
  weekdays: [],
  time: "02:00",
  cron: "",
  duration: "60",
  timezone: localZone(),
});

/** The body sent for a draft. */
export function maintenanceBody(d: Draft): MaintenanceInput {
  const recurrence: MaintenanceRecurrence | null =
    d.kind === "once"
      ? null
      : {
          ...(d.mode === "cron" ? { cron: d.cron.trim() } : { weekdays: d.weekdays, time: d.time }),
          duration_minutes: Number(d.duration),
          timezone: d.timezone.trim() || "UTC",
        };
  return {
    title: d.title,
    all_monitors: d.all,
    monitor_ids: d.all ? null : d.monitorIds,
    start: d.kind === "once" ? fromLocalInput(d.start) : null,
    end: d.kind === "once" ? fromLocalInput(d.end) : null,
    recurrence,
  };
}

/** Settings > Maintenance: planned windows (one-off or recurring) that hold alerts back and leave uptime alone. */
export function MaintenanceTab() {
  const [windows, setWindows] = useState<MaintenanceWindow[] | null>(null);
  const [monitors, setMonitors] = useState<OverviewMonitor[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState<MaintenanceWindow | null>(null);

  const load = useCallback(async () => {
    try {
      const [list, overview] = await Promise.all([api.maintenanceWindows(), api.overview()]);
      setWindows(list);
      setMonitors(overview.monitors);
    } catch (err) {
      setError(messageOf(err));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const names = new Map(monitors.map((m) => [m.id, m.name]));
  const set = (change: Partial<Draft>) => setDraft((d) => (d ? { ...d, ...change } : d));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!draft) return;
    setBusy(true);
    setFields({});
    setError(null);
    setNotice(null);
    try {
      const created = await api.createMaintenance(maintenanceBody(draft));
      setWindows((list) => [...(list ?? []), created]);
      setNotice(`Maintenance window “${created.title}” created.`);
      setDraft(null);
    } catch (err) {
      setFields(fieldsOf(err));
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!deleting) return;
    setBusy(true);
    try {
      await api.deleteMaintenance(deleting.id);
      setWindows((list) => (list ?? []).filter((w) => w.id !== deleting.id));
      setNotice(`Maintenance window “${deleting.title}” deleted.`);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setDeleting(null);
      setBusy(false);
    }
  };

  // Active first, then by the next occurrence; ended one-offs last.
  const sorted = [...(windows ?? [])].sort((a, b) => {
    const rank = (w: MaintenanceWindow) => (w.active ? 0 : w.next.length ? 1 : 2);
    return rank(a) - rank(b) || (a.next[0]?.start ?? a.end ?? "").localeCompare(b.next[0]?.start ?? b.end ?? "");
  });
  const r = (key: string) => fields[`recurrence.${key}`] ?? fields[key];
  const shown = ["title", "monitor_ids", "all_monitors", "start", "end", "recurrence", ...["cron", "weekdays", "time", "duration_minutes", "timezone"].flatMap((k) => [`recurrence.${k}`, k])];

  return (
    <div className="maintenance-tab">
      {error && <Notice kind="error">{error}</Notice>}
      {notice && <Notice kind="success">{notice}</Notice>}
      <section className="panel" aria-labelledby="maintenance-title">
        <div className="panel-head">
          <h2 id="maintenance-title">Maintenance windows</h2>
          {!draft && (
            <button
              type="button"
              className="button primary small"
              onClick={() => {
                setFields({});
                setNotice(null);
                setDraft(newDraft());
              }}
            >
              New window
            </button>
          )}
        </div>
        <p className="muted">
          Inside a window its monitors show <StatusBadge status="maintenance" />, alerts are held back (sent when the window ends if the state still differs), and uptime leaves the time out.
        </p>
        {windows === null && !error && <p className="muted">Loading…</p>}
        {windows && windows.length === 0 && <p className="muted">No maintenance windows.</p>}
        {sorted.length > 0 && (
          <div className="table-wrap">
            <table aria-labelledby="maintenance-title">
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">State</th>
                  <th scope="col">Monitors</th>
                  <th scope="col">When</th>
                  <th scope="col">Next</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sorted.map((w) => (
                  <tr key={w.id} data-testid={`window-${w.id}`}>
                    <td>{w.title}</td>
                    <td>{w.active ? <StatusBadge status="maintenance" /> : w.next.length ? <span className="pill">upcoming</span> : <span className="pill">ended</span>}</td>
                    <td>{w.all_monitors ? "All monitors" : (w.monitor_ids ?? []).map((id) => names.get(id) ?? `#${id}`).join(", ")}</td>
                    <td>{w.recurrence ? describeRecurrence(w.recurrence) : `${formatDateTime(w.start)} – ${formatDateTime(w.end)}`}</td>
                    <td>{w.next[0] ? `${formatDateTime(w.next[0].start)} – ${formatDateTime(w.next[0].end)}` : "—"}</td>
                    <td>
                      <div className="row-actions">
                        <button type="button" className="button small danger" aria-label={`Delete ${w.title}`} onClick={() => setDeleting(w)}>
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

      {draft && (
        <form className="panel form" onSubmit={submit} noValidate aria-labelledby="new-window-title">
          <h2 id="new-window-title">New maintenance window</h2>
          <TextField label="Title" value={draft.title} onChange={(e) => set({ title: e.target.value })} error={fields.title} />
          <fieldset className={`field${fields.monitor_ids ? " has-error" : ""}`}>
            <legend className="field-label">Monitors</legend>
            <Checkbox label="All monitors" checked={draft.all} onChange={(e) => set({ all: e.target.checked })} />
            {!draft.all && (
              <div className="monitor-picks">
                {monitors.length === 0 && <p className="muted small">No monitors yet.</p>}
                {monitors.map((m) => (
                  <label key={m.id} className="choice">
                    <input
                      type="checkbox"
                      checked={draft.monitorIds.includes(m.id)}
                      onChange={(e) => set({ monitorIds: e.target.checked ? [...draft.monitorIds, m.id] : draft.monitorIds.filter((id) => id !== m.id) })}
                    />
                    {m.name}
                  </label>
                ))}
              </div>
            )}
            {fields.monitor_ids && <div className="field-error" role="alert">{fields.monitor_ids}</div>}
          </fieldset>
          <fieldset className="field">
            <legend className="field-label">When</legend>
            <div className="choices inline-choices">
              <label className="choice">
                <input type="radio" name="kind" checked={draft.kind === "once"} onChange={() => set({ kind: "once" })} /> One-off
              </label>
              <label className="choice">
                <input type="radio" name="kind" checked={draft.kind === "recurring"} onChange={() => set({ kind: "recurring" })} /> Recurring
              </label>
            </div>
          </fieldset>
          {draft.kind === "once" ? (
            <div className="grid-2">
              <TextField label="Start" type="datetime-local" value={draft.start} onChange={(e) => set({ start: e.target.value })} error={fields.start} hint="Your browser's time zone." />
              <TextField label="End" type="datetime-local" value={draft.end} onChange={(e) => set({ end: e.target.value })} error={fields.end} />
            </div>
          ) : (
            <>
              {fields.recurrence && <Notice kind="error">{fields.recurrence}</Notice>}
              {fields.start && <Notice kind="error">{fields.start}</Notice>}
              <div className="choices inline-choices">
                <label className="choice">
                  <input type="radio" name="mode" checked={draft.mode === "weekdays"} onChange={() => set({ mode: "weekdays" })} /> Weekdays and time
                </label>
                <label className="choice">
                  <input type="radio" name="mode" checked={draft.mode === "cron"} onChange={() => set({ mode: "cron" })} /> Cron expression
                </label>
              </div>
              {draft.mode === "weekdays" ? (
                <>
                  <fieldset className={`field${r("weekdays") ? " has-error" : ""}`}>
                    <legend className="field-label">Weekdays</legend>
                    <div className="weekday-picks">
                      {WEEKDAYS.map((d) => (
                        <label key={d.key} className="choice">
                          <input
                            type="checkbox"
                            checked={draft.weekdays.includes(d.key)}
                            onChange={(e) => set({ weekdays: e.target.checked ? [...draft.weekdays, d.key] : draft.weekdays.filter((k) => k !== d.key) })}
                          />
                          {d.label}
                        </label>
                      ))}
                    </div>
                    {r("weekdays") && <div className="field-error" role="alert">{r("weekdays")}</div>}
                  </fieldset>
                  <TextField label="Time" type="time" value={draft.time} onChange={(e) => set({ time: e.target.value })} error={r("time")} />
                </>
              ) : (
                <TextField label="Cron" value={draft.cron} placeholder="0 3 * * 0" onChange={(e) => set({ cron: e.target.value })} error={r("cron")} hint="5 fields: minute hour day month weekday, in the time zone below." />
              )}
              <div className="grid-2">
                <TextField label="Duration (minutes)" type="number" min={1} value={draft.duration} onChange={(e) => set({ duration: e.target.value })} error={r("duration_minutes")} />
                <TextField label="Time zone" value={draft.timezone} onChange={(e) => set({ timezone: e.target.value })} error={r("timezone")} hint="An IANA name, e.g. Europe/Berlin." />
              </div>
            </>
          )}
          <OtherErrors fields={fields} shown={shown} />
          <div className="actions form-actions">
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? "Saving…" : "Create window"}
            </button>
            <button type="button" className="button" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}

      {deleting && (
        <ConfirmDialog title={`Delete the maintenance window ${deleting.title}?`} confirmLabel="Delete window" danger busy={busy} onConfirm={() => void remove()} onCancel={() => setDeleting(null)}>
          <p>{deleting.active ? "It is active now: its monitors leave maintenance at once, and alerts held back are judged again." : "It will not start."}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
