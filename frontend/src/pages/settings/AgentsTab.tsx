import { useCallback, useEffect, useState } from "react";
import type { FormEvent } from "react";
import { api, messageOf } from "../../lib/api";
import type { Agent, PendingAgent } from "../../lib/types";
import { formatDateTime, timeAgo } from "../../lib/format";
import { usePolling } from "../../lib/usePolling";
import { TextField } from "../../components/Field";
import { Notice } from "../../components/Notice";
import { ConfirmDialog } from "../../components/Dialog";
import { useSection } from "./useSection";

/** Shared secret, allowed UUIDs, pending connection requests and the agents list. */
export function AgentsTab() {
  const section = useSection("agents");
  const [secret, setSecret] = useState("");
  const [newUuid, setNewUuid] = useState("");
  const [pending, setPending] = useState<PendingAgent[] | null>(null);
  const [agents, setAgents] = useState<Agent[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Agent | null>(null);
  const [pendingOpen, setPendingOpen] = useState(false);

  const loadLists = useCallback(async () => {
    try {
      const [p, a] = await Promise.all([api.pendingAgents(), api.agents()]);
      setPending(p);
      setAgents(a);
      setListError(null);
    } catch (err) {
      setListError(messageOf(err));
    }
  }, []);
  useEffect(() => {
    void loadLists();
  }, [loadLists]);
  usePolling(loadLists, 5_000);

  const { draft, fields } = section;
  if (!draft) return section.error ? <Notice kind="error">{section.error}</Notice> : <p role="status">Loading…</p>;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body: Record<string, unknown> = { allowed_agent_uuids: draft.allowed_agent_uuids };
    if (secret) body.shared_secret = secret;
    const saved = await section.save(body, secret ? "Shared secret and allowed agents saved." : "Allowed agents saved.");
    if (saved) setSecret("");
  };

  const addUuid = () => {
    const value = newUuid.trim().toLowerCase();
    if (!value || draft.allowed_agent_uuids.includes(value)) return setNewUuid("");
    section.setDraft({ ...draft, allowed_agent_uuids: [...draft.allowed_agent_uuids, value] });
    setNewUuid("");
  };

  const act = async (key: string, work: () => Promise<unknown>, done: string) => {
    setBusy(key);
    setMessage(null);
    setListError(null);
    try {
      await work();
      setMessage(done);
      await loadLists();
    } catch (err) {
      setListError(messageOf(err));
    } finally {
      setBusy(null);
    }
  };

  const approvePending = (p: PendingAgent) =>
    act(
      `approve-${p.uuid}`,
      async () => {
        await api.approvePending(p.uuid);
        // The UUID is on the allowed list now; show it without losing unsaved edits of the list.
        const list = section.draft!.allowed_agent_uuids;
        const savedList = section.saved!.allowed_agent_uuids;
        section.setSaved({ ...section.saved!, allowed_agent_uuids: savedList.includes(p.uuid) ? savedList : [...savedList, p.uuid] });
        section.setDraft({ ...section.draft!, allowed_agent_uuids: list.includes(p.uuid) ? list : [...list, p.uuid] });
      },
      `Approved ${p.name || p.uuid}: it registers on its next attempt (within about 30 seconds).`,
    );

  const secretSet = draft.shared_secret_set;

  return (
    <div className="agents-tab">
      <form onSubmit={submit} className="panel form" noValidate aria-labelledby="agent-auth-title">
        <h2 id="agent-auth-title">Agent authentication</h2>
        <p className="muted">An agent must know the shared secret and its UUID must be allowed before it can register.</p>
        {section.error && <Notice kind="error">{section.error}</Notice>}
        {section.notice && <Notice kind="success">{section.notice}</Notice>}
        <TextField
          label={
            <>
              Shared secret
              <span className={`pill secret-state${secretSet ? " pill-ok" : ""}`} data-testid="secret-state">
                {secretSet ? "set" : "not set"}
              </span>
            </>
          }
          type="password"
          autoComplete="new-password"
          value={secret}
          onChange={(e) => setSecret(e.target.value)}
          placeholder={secretSet ? "•••••••• (type to replace)" : "at least 8 characters"}
          hint={
            secretSet
              ? "Agents use it as SHARED_SECRET. Type a new one to replace it: every agent must then use the new one."
              : "No agent can connect until a secret is set (8 characters or more)."
          }
          error={fields.shared_secret}
        />

        <fieldset className={`field${fields.allowed_agent_uuids ? " has-error" : ""}`}>
          <legend>Allowed Agent UUIDs</legend>
          {draft.allowed_agent_uuids.length === 0 ? (
            <p className="muted">None yet. Approve a pending request below, or add a UUID from the agent's log banner.</p>
          ) : (
            <ul className="uuid-list">
              {draft.allowed_agent_uuids.map((uuid) => (
                <li key={uuid}>
                  <code>{uuid}</code>
                  <button type="button" className="button subtle small" aria-label={`Remove ${uuid}`} onClick={() => section.setDraft({ ...draft, allowed_agent_uuids: draft.allowed_agent_uuids.filter((u) => u !== uuid) })}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div className="inline-add">
            <label className="visually-hidden" htmlFor="new-uuid">
              Agent UUID to allow
            </label>
            <input
              id="new-uuid"
              value={newUuid}
              onChange={(e) => setNewUuid(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  addUuid();
                }
              }}
              placeholder="e.g. 3f2b8c1e-…"
              spellCheck={false}
            />
            <button type="button" className="button" onClick={addUuid}>
              Add
            </button>
          </div>
          {fields.allowed_agent_uuids && (
            <div className="field-error" role="alert">
              {fields.allowed_agent_uuids}
            </div>
          )}
        </fieldset>
        <div className="actions form-actions">
          <button type="submit" className="button primary" disabled={section.saving}>
            {section.saving ? "Saving…" : "Save"}
          </button>
          {(section.dirty || secret) && <span className="muted">Unsaved changes</span>}
        </div>
      </form>

      {listError && <Notice kind="error">{listError}</Notice>}
      {message && <Notice kind="success">{message}</Notice>}

      <details className="panel pending" open={pendingOpen} onToggle={(e) => setPendingOpen((e.target as HTMLDetailsElement).open)}>
        <summary>
          <h2>Pending Connection Requests</h2>
          <span className={`pill${pending?.length ? " pill-attention" : ""}`} data-testid="pending-count">
            {pending === null ? "…" : pending.length}
          </span>
        </summary>
        <p className="muted">Agents that know the shared secret but whose UUID is not allowed yet. Approve adds the UUID to the allowed list.</p>
        {pending && pending.length === 0 && <p>No pending requests.</p>}
        {pending && pending.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">Address</th>
                  <th scope="col">First seen</th>
                  <th scope="col">Last attempt</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {pending.map((p) => (
                  <tr key={p.uuid} data-uuid={p.uuid}>
                    <td>
                      <strong>{p.name || "unnamed"}</strong>
                      <br />
                      <code className="uuid">{p.uuid}</code>
                    </td>
                    <td>{p.address ?? "—"}</td>
                    <td>{formatDateTime(p.first_seen_at)}</td>
                    <td>{timeAgo(p.last_seen_at)}</td>
                    <td>
                      <div className="row-actions">
                      <button type="button" className="button primary small" disabled={busy !== null} onClick={() => approvePending(p)} aria-label={`Approve ${p.name || p.uuid}`}>
                        Approve
                      </button>
                      <button type="button" className="button small" disabled={busy !== null} onClick={() => act(`dismiss-${p.uuid}`, () => api.dismissPending(p.uuid), `Dismissed ${p.name || p.uuid}.`)} aria-label={`Dismiss ${p.name || p.uuid}`}>
                        Dismiss
                      </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>

      <section className="panel" aria-labelledby="agents-title">
        <h2 id="agents-title">Agents</h2>
        {agents === null && <p role="status">Loading…</p>}
        {agents && agents.length === 0 && <p className="muted">No agent has registered yet.</p>}
        {agents && agents.length > 0 && (
          <div className="table-wrap">
            <table className="agents" aria-labelledby="agents-title">
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">State</th>
                  <th scope="col">Address</th>
                  <th scope="col" className="num">
                    Monitors
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {agents.map((a) => (
                  <tr key={a.id} data-agent-id={a.id}>
                    <td>
                      <strong>{a.name || "unnamed"}</strong>
                      <br />
                      <code className="uuid">{a.uuid}</code>
                    </td>
                    <td>
                      <span className={`badge ${a.online ? "s-ok" : "s-offline"}`} title={a.online ? undefined : "Nothing heard from it for 90 seconds or more"}>
                        <span className={`dot ${a.online ? "on" : "off"}`} aria-hidden="true" />
                        {a.online ? "Online" : "Offline"}
                      </span>
                      {!a.approved && <span className="badge s-down">Rejected</span>}
                      <div className="muted small">last seen {timeAgo(a.last_seen_at)}</div>
                      {!a.online && a.approved && a.monitor_count > 0 && (
                        <div className="offline-note small">
                          Its {a.monitor_count === 1 ? "monitor is" : `${a.monitor_count} monitors are`} not checked: is the agent running?
                        </div>
                      )}
                    </td>
                    <td>{a.address ?? "—"}</td>
                    <td className="num">{a.monitor_count}</td>
                    <td>
                      <div className="row-actions">
                      {a.approved ? (
                        <button type="button" className="button small" disabled={busy !== null} onClick={() => act(`reject-${a.id}`, () => api.setAgentApproved(a.id, false), `Rejected ${a.name || a.uuid}.`)}>
                          Reject
                        </button>
                      ) : (
                        <button type="button" className="button small primary" disabled={busy !== null} onClick={() => act(`approve-${a.id}`, () => api.setAgentApproved(a.id, true), `Approved ${a.name || a.uuid}.`)}>
                          Approve
                        </button>
                      )}
                      <button type="button" className="button small danger" disabled={busy !== null} onClick={() => setDeleting(a)}>
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

      {deleting && (
        <ConfirmDialog
          title="Delete this agent?"
          confirmLabel="Delete agent"
          danger
          busy={busy !== null}
          onCancel={() => setDeleting(null)}
          onConfirm={() =>
            act(`delete-${deleting.id}`, () => api.deleteAgent(deleting.id), `Deleted ${deleting.name || deleting.uuid}. Its monitors are checked by the server again.`).then(() => setDeleting(null))
          }
        >
          <p>
            “{deleting.name || deleting.uuid}” is removed and its UUID taken off the allowed list. Its {deleting.monitor_count} monitor(s) return to the server.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
