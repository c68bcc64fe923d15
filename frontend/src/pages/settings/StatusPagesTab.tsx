import { useCallback, useEffect, useState } from "react";
import type { FormEvent } from "react";
import { api, fieldsOf, messageOf } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import type {
  Announcement,
  AnnouncementInput,
  AnnouncementSeverity,
  OverviewMonitor,
  StatusPage,
  StatusPageGroup,
  StatusPageInput,
} from "../../lib/types";
import { Checkbox, OtherErrors, SelectField, TextAreaField, TextField } from "../../components/Field";
import { Notice } from "../../components/Notice";
import { ConfirmDialog } from "../../components/Dialog";

const EMPTY: StatusPageInput = { slug: "", title: "", description: "", logo_url: null, groups: [] };

/** An ISO instant → the value of a datetime-local input (local time, minutes). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (local time) → an ISO instant with its offset; "" → null. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function move<T>(list: T[], from: number, to: number): T[] {
  if (to < 0 || to >= list.length) return list;
  const out = [...list];
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item);
  return out;
}

/** Settings > Status pages: public pages at /status/<slug>, their groups of monitors and announcements. */
export function StatusPagesTab() {
  const [pages, setPages] = useState<StatusPage[] | null>(null);
  const [monitors, setMonitors] = useState<OverviewMonitor[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ id: number | null; draft: StatusPageInput } | null>(null);
  const [deleting, setDeleting] = useState<StatusPage | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const [list, overview] = await Promise.all([api.statusPages(), api.overview()]);
      setPages(list);
      setMonitors(overview.monitors);
    } catch (err) {
      setError(messageOf(err));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const saved = (page: StatusPage, created: boolean) => {
    setPages((list) => {
      const rest = (list ?? []).filter((p) => p.id !== page.id);
      return [...rest, page].sort((a, b) => a.id - b.id);
    });
    setNotice(created ? `Status page ${page.slug} created.` : `Status page ${page.slug} saved.`);
    setEditing({ id: page.id, draft: inputOf(page) });
  };

  const remove = async () => {
    if (!deleting) return;
    setBusy(true);
    try {
      await api.deleteStatusPage(deleting.id);
      setPages((list) => (list ?? []).filter((p) => p.id !== deleting.id));
      setNotice(`Status page ${deleting.slug} deleted.`);
      if (editing?.id === deleting.id) setEditing(null);
      setDeleting(null);
    } catch (err) {
      setError(messageOf(err));
      setDeleting(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="status-pages-tab">
      {error && <Notice kind="error">{error}</Notice>}
      {notice && <Notice kind="success">{notice}</Notice>}
      <section className="panel" aria-labelledby="status-pages-title">
        <div className="panel-head">
          <h2 id="status-pages-title">Status pages</h2>
          <button
            type="button"
            className="button primary small"
            onClick={() => {
              setNotice(null);
              setEditing({ id: null, draft: { ...EMPTY, groups: [{ name: "Services", monitors: [] }] } });
            }}
          >
            New status page
          </button>
        </div>
        <p className="muted">Public pages anyone can open without signing in, at /status/&lt;slug&gt;.</p>
        {pages === null && !error && <p className="muted">Loading…</p>}
        {pages && pages.length === 0 && <p className="muted">No status pages yet.</p>}
        {pages && pages.length > 0 && (
          <div className="table-wrap">
            <table aria-labelledby="status-pages-title">
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Slug</th>
                  <th scope="col">Monitors</th>
                  <th scope="col">Public page</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {pages.map((p) => (
                  <tr key={p.id}>
                    <td>{p.title}</td>
                    <td>
                      <code>{p.slug}</code>
                    </td>
                    <td>{p.groups.reduce((n, g) => n + g.monitors.length, 0)}</td>
                    <td>
                      <a href={p.url} target="_blank" rel="noopener noreferrer">
                        {p.url}
                        <span className="visually-hidden"> (opens in a new tab)</span>
                      </a>
                    </td>
                    <td>
                      <div className="row-actions">
                        <button
                          type="button"
                          className="button small"
                          aria-label={`Edit ${p.title}`}
                          onClick={() => {
                            setNotice(null);
                            setEditing({ id: p.id, draft: inputOf(p) });
                          }}
                        >
                          Edit
                        </button>
                        <button type="button" className="button small danger" aria-label={`Delete ${p.title}`} onClick={() => setDeleting(p)}>
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
      {editing && (
        <PageEditor
          key={editing.id ?? "new"}
          id={editing.id}
          initial={editing.draft}
          monitors={monitors}
          onSaved={saved}
          onClose={() => setEditing(null)}
        />
      )}
      {editing?.id != null && <Announcements key={`a${editing.id}`} pageId={editing.id} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete the status page ${deleting.title}?`}
          confirmLabel="Delete page"
          danger
          busy={busy}
          onConfirm={() => void remove()}
          onCancel={() => setDeleting(null)}
        >
          <p>
            {deleting.url} stops answering at once, and the page's announcements are deleted with it.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function inputOf(p: StatusPage): StatusPageInput {
  return {
    slug: p.slug,
    title: p.title,
    description: p.description ?? "",
    logo_url: p.logo_url,
    groups: p.groups.map((g) => ({ name: g.name, monitors: g.monitors.map((m) => ({ ...m })) })),
  };
}

interface EditorProps {
  id: number | null;
  initial: StatusPageInput;
  monitors: OverviewMonitor[];
  onSaved: (page: StatusPage, created: boolean) => void;
  onClose: () => void;
}

function PageEditor({ id, initial, monitors, onSaved, onClose }: EditorProps) {
  const [draft, setDraft] = useState<StatusPageInput>(initial);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [picks, setPicks] = useState<Record<number, string>>({});

  const names = new Map(monitors.map((m) => [m.id, m]));
  const onPage = new Set(draft.groups.flatMap((g) => g.monitors.map((m) => m.monitor_id)));
  const shown: string[] = ["slug", "title", "description", "logo_url", "groups"];

  const setGroup = (g: number, change: (group: StatusPageGroup) => StatusPageGroup) =>
    setDraft((d) => ({ ...d, groups: d.groups.map((group, i) => (i === g ? change(group) : group)) }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFields({});
    setError(null);
    const body: StatusPageInput = {
      ...draft,
      slug: draft.slug.trim(),
      logo_url: draft.logo_url?.trim() ? draft.logo_url.trim() : null,
      groups: draft.groups.map((g) => ({
        name: g.name,
        monitors: g.monitors.map((m) => ({ ...m, display_name: m.display_name?.trim() ? m.display_name : null })),
      })),
    };
    try {
      const page = id === null ? await api.createStatusPage(body) : await api.updateStatusPage(id, body);
      onSaved(page, id === null);
    } catch (err) {
      setFields(fieldsOf(err));
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel form status-page-form" onSubmit={submit} noValidate aria-labelledby="status-page-form-title">
      <div className="panel-head">
        <h2 id="status-page-form-title">{id === null ? "New status page" : `Edit ${initial.title}`}</h2>
        {id !== null && (
          <a href={`/status/${initial.slug}`} target="_blank" rel="noopener noreferrer" className="button small">
            Preview /status/{initial.slug}
            <span className="visually-hidden"> (opens in a new tab)</span>
          </a>
        )}
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {fields.groups && <Notice kind="error">Groups: {fields.groups}</Notice>}
      <div className="grid-2">
        <TextField
          label="Slug"
          value={draft.slug}
          onChange={(e) => setDraft({ ...draft, slug: e.target.value })}
          error={fields.slug}
          hint="Lowercase letters, digits and '-': the page is at /status/<slug>."
          required
          maxLength={64}
        />
        <TextField label="Title" value={draft.title} onChange={(e) => setDraft({ ...draft, title: e.target.value })} error={fields.title} required />
      </div>
      <TextAreaField
        label="Description"
        value={draft.description}
        onChange={(e) => setDraft({ ...draft, description: e.target.value })}
        error={fields.description}
        rows={3}
      />
      <TextField
        label="Logo URL"
        type="url"
        value={draft.logo_url ?? ""}
        onChange={(e) => setDraft({ ...draft, logo_url: e.target.value })}
        error={fields.logo_url}
        hint="Optional; http or https."
      />
      <h3>Groups</h3>
      {draft.groups.length === 0 && <p className="muted">No groups: the page shows no monitors.</p>}
      {draft.groups.map((group, g) => {
        const prefix = `groups.${g}.`;
        shown.push(`${prefix}name`, `groups.${g}`, `${prefix}monitors`);
        const choices = monitors.filter((m) => !onPage.has(m.id));
        return (
          <fieldset key={g} className="sp-group" aria-label={`Group ${g + 1}`}>
            <div className="sp-group-head">
              <TextField
                label={`Group ${g + 1} name`}
                value={group.name}
                onChange={(e) => setGroup(g, (x) => ({ ...x, name: e.target.value }))}
                error={fields[`${prefix}name`]}
              />
              <div className="row-actions">
                <button type="button" className="button small" aria-label={`Move group ${g + 1} up`} disabled={g === 0} onClick={() => setDraft((d) => ({ ...d, groups: move(d.groups, g, g - 1) }))}>
                  ↑
                </button>
                <button
                  type="button"
                  className="button small"
                  aria-label={`Move group ${g + 1} down`}
                  disabled={g === draft.groups.length - 1}
                  onClick={() => setDraft((d) => ({ ...d, groups: move(d.groups, g, g + 1) }))}
                >
                  ↓
                </button>
                <button type="button" className="button small danger" onClick={() => setDraft((d) => ({ ...d, groups: d.groups.filter((_, i) => i !== g) }))}>
                  Remove group {g + 1}
                </button>
              </div>
            </div>
            {(fields[`groups.${g}`] || fields[`${prefix}monitors`]) && (
              <div className="field-error" role="alert">
                {fields[`groups.${g}`] ?? fields[`${prefix}monitors`]}
              </div>
            )}
            {group.monitors.length === 0 && <p className="muted small">No monitors in this group yet.</p>}
            <ol className="sp-monitors">
              {group.monitors.map((m, i) => {
                const rowPrefix = `${prefix}monitors.${i}.`;
                const rowErrors = Object.entries(fields).filter(([k]) => k === `${prefix}monitors.${i}` || k.startsWith(rowPrefix));
                rowErrors.forEach(([k]) => shown.push(k));
                const name = names.get(m.monitor_id)?.name ?? `Monitor ${m.monitor_id}`;
                const setRow = (change: Partial<typeof m>) =>
                  setGroup(g, (x) => ({ ...x, monitors: x.monitors.map((row, j) => (j === i ? { ...row, ...change } : row)) }));
                return (
                  <li key={m.monitor_id} className={`sp-monitor${rowErrors.length ? " has-error" : ""}`} data-testid={`sp-monitor-${m.monitor_id}`}>
                    <div className="sp-monitor-name">
                      <strong>{name}</strong>
                      {names.get(m.monitor_id) && <span className="muted small"> {names.get(m.monitor_id)?.target}</span>}
                    </div>
                    <TextField
                      label={`Display name for ${name}`}
                      value={m.display_name ?? ""}
                      placeholder={name}
                      onChange={(e) => setRow({ display_name: e.target.value })}
                      error={fields[`${rowPrefix}display_name`]}
                    />
                    <Checkbox label={`Show target of ${name}`} checked={m.show_target} onChange={(e) => setRow({ show_target: e.target.checked })} />
                    <div className="row-actions">
                      <button type="button" className="button small" aria-label={`Move ${name} up`} disabled={i === 0} onClick={() => setGroup(g, (x) => ({ ...x, monitors: move(x.monitors, i, i - 1) }))}>
                        ↑
                      </button>
                      <button
                        type="button"
                        className="button small"
                        aria-label={`Move ${name} down`}
                        disabled={i === group.monitors.length - 1}
                        onClick={() => setGroup(g, (x) => ({ ...x, monitors: move(x.monitors, i, i + 1) }))}
                      >
                        ↓
                      </button>
                      <button type="button" className="button small danger" aria-label={`Remove ${name}`} onClick={() => setGroup(g, (x) => ({ ...x, monitors: x.monitors.filter((_, j) => j !== i) }))}>
                        Remove
                      </button>
                    </div>
                    {rowErrors
                      .filter(([k]) => k !== `${rowPrefix}display_name`)
                      .map(([k, message]) => (
                        <div key={k} className="field-error" role="alert">
                          {name}: {message}
                        </div>
                      ))}
                  </li>
                );
              })}
            </ol>
            <div className="sp-add">
              <SelectField
                label={`Add a monitor to group ${g + 1}`}
                value={picks[g] ?? ""}
                onChange={(e) => setPicks({ ...picks, [g]: e.target.value })}
              >
                <option value="">Choose a monitor…</option>
                {choices.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name}
                  </option>
                ))}
              </SelectField>
              <button
                type="button"
                className="button small"
                disabled={!picks[g]}
                onClick={() => {
                  const monitorId = Number(picks[g]);
                  if (!monitorId || onPage.has(monitorId)) return;
                  setGroup(g, (x) => ({ ...x, monitors: [...x.monitors, { monitor_id: monitorId, display_name: null, show_target: false }] }));
                  setPicks({ ...picks, [g]: "" });
                }}
              >
                Add to group
              </button>
            </div>
          </fieldset>
        );
      })}
      <button type="button" className="button small" onClick={() => setDraft((d) => ({ ...d, groups: [...d.groups, { name: `Group ${d.groups.length + 1}`, monitors: [] }] }))}>
        Add group
      </button>
      <OtherErrors fields={fields} shown={shown} />
      <div className="actions form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Saving…" : id === null ? "Create page" : "Save page"}
        </button>
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}

const SEVERITIES: AnnouncementSeverity[] = ["info", "warning", "critical", "maintenance"];

interface AnnouncementDraft {
  title: string;
  body: string;
  severity: AnnouncementSeverity;
  starts: string;
  ends: string;
}

const NEW_ANNOUNCEMENT: AnnouncementDraft = { title: "", body: "", severity: "info", starts: "", ends: "" };

function Announcements({ pageId }: { pageId: number }) {
  const [items, setItems] = useState<Announcement[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ id: number | null; draft: AnnouncementDraft } | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState<Announcement | null>(null);

  useEffect(() => {
    api
      .announcements(pageId)
      .then(setItems)
      .catch((err) => setError(messageOf(err)));
  }, [pageId]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!editing) return;
    setBusy(true);
    setFields({});
    setError(null);
    const d = editing.draft;
    const body: AnnouncementInput = { title: d.title, body: d.body, severity: d.severity, ends_at: fromLocalInput(d.ends) };
    const starts = fromLocalInput(d.starts);
    if (starts) body.starts_at = starts;
    try {
      const saved = editing.id === null ? await api.createAnnouncement(pageId, body) : await api.updateAnnouncement(pageId, editing.id, body);
      setItems((list) => [saved, ...(list ?? []).filter((a) => a.id !== saved.id)].sort((a, b) => b.starts_at.localeCompare(a.starts_at)));
      setEditing(null);
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
      await api.deleteAnnouncement(pageId, deleting.id);
      setItems((list) => (list ?? []).filter((a) => a.id !== deleting.id));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setDeleting(null);
      setBusy(false);
    }
  };

  const set = (change: Partial<AnnouncementDraft>) => setEditing((e) => (e ? { ...e, draft: { ...e.draft, ...change } } : e));

  return (
    <section className="panel" aria-labelledby="announcements-title">
      <div className="panel-head">
        <h2 id="announcements-title">Announcements</h2>
        <button type="button" className="button small" onClick={() => { setFields({}); setEditing({ id: null, draft: NEW_ANNOUNCEMENT }); }}>
          Add announcement
        </button>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {items && items.length === 0 && <p className="muted">No announcements on this page.</p>}
      {items && items.length > 0 && (
        <ul className="announcement-list">
          {items.map((a) => (
            <li key={a.id}>
              <span className={`pill sev-${a.severity}`}>{a.severity}</span> <strong>{a.title}</strong>{" "}
              <span className="muted small">
                {formatDateTime(a.starts_at)} – {a.ends_at ? formatDateTime(a.ends_at) : "until deleted"}
              </span>
              <div className="row-actions">
                <button
                  type="button"
                  className="button small"
                  aria-label={`Edit announcement ${a.title}`}
                  onClick={() => {
                    setFields({});
                    setEditing({ id: a.id, draft: { title: a.title, body: a.body, severity: a.severity, starts: toLocalInput(a.starts_at), ends: toLocalInput(a.ends_at) } });
                  }}
                >
                  Edit
                </button>
                <button type="button" className="button small danger" aria-label={`Delete announcement ${a.title}`} onClick={() => setDeleting(a)}>
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {editing && (
        <form className="form announcement-form" onSubmit={submit} noValidate aria-label={editing.id === null ? "New announcement" : "Edit announcement"}>
          <TextField label="Announcement title" value={editing.draft.title} onChange={(e) => set({ title: e.target.value })} error={fields.title} />
          <TextAreaField label="Text (markdown)" rows={4} value={editing.draft.body} onChange={(e) => set({ body: e.target.value })} error={fields.body} />
          <div className="grid-2">
            <SelectField label="Severity" value={editing.draft.severity} onChange={(e) => set({ severity: e.target.value as AnnouncementSeverity })} error={fields.severity}>
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </SelectField>
            <div />
            <TextField label="Starts" type="datetime-local" value={editing.draft.starts} onChange={(e) => set({ starts: e.target.value })} error={fields.starts_at} hint="Empty: now." />
            <TextField label="Ends" type="datetime-local" value={editing.draft.ends} onChange={(e) => set({ ends: e.target.value })} error={fields.ends_at} hint="Empty: until deleted." />
          </div>
          <OtherErrors fields={fields} shown={["title", "body", "severity", "starts_at", "ends_at"]} />
          <div className="actions">
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? "Saving…" : "Save announcement"}
            </button>
            <button type="button" className="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the announcement ${deleting.title}?`}
          confirmLabel="Delete announcement"
          danger
          busy={busy}
          onConfirm={() => void remove()}
          onCancel={() => setDeleting(null)}
        >
          <p>It disappears from the public page.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
