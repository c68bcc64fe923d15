import { useCallback, useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { api, fieldsOf, messageOf } from "../../lib/api";
import type { ApiToken, NewApiToken, TokenScope } from "../../lib/types";
import { formatDateTime, timeAgo } from "../../lib/format";
import { OtherErrors, TextField } from "../../components/Field";
import { Notice } from "../../components/Notice";
import { ConfirmDialog } from "../../components/Dialog";
import { CopyButton } from "../../components/CopyButton";

export const SCOPE_LABEL: Record<TokenScope, string> = { read: "Read only", write: "Read and write" };

const SCOPES: { value: TokenScope; hint: string }[] = [
  { value: "read", hint: "GET requests only: status, monitors, history. For dashboards and scripts that only look." },
  { value: "write", hint: "Also adds, changes and deletes monitors and settings, like an admin." },
];

/** The end of the chosen day in the browser's time zone, as ISO 8601 UTC ("2026-03-01T22:59:59Z"). */
export function endOfDay(date: string): string {
  return new Date(`${date}T23:59:59`).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function isoDay(offsetDays: number): string {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** API tokens for scripts and other programs: created here, shown once, revoked here. */
export function TokensTab() {
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [created, setCreated] = useState<NewApiToken | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [revokeError, setRevokeError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const createdHeading = useRef<HTMLHeadingElement>(null);

  const load = useCallback(async () => {
    try {
      setTokens(await api.tokens());
      setLoadError(null);
    } catch (err) {
      setLoadError(messageOf(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (created) createdHeading.current?.focus();
  }, [created]);

  const revoke = async () => {
    if (!revoking) return;
    setBusy(true);
    setRevokeError(null);
    try {
      await api.revokeToken(revoking.id);
      setTokens((list) => list?.filter((t) => t.id !== revoking.id) ?? null);
      setMessage(`Revoked “${revoking.name}”: programs using it are refused from now on.`);
      if (created?.id === revoking.id) setCreated(null);
      setRevoking(null);
    } catch (err) {
      setRevokeError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const example = created ? `curl -H "Authorization: Bearer ${created.token}" ${window.location.origin}/api/monitors` : "";

  return (
    <div className="tokens-tab">
      {created && (
        <section className="panel new-token" aria-labelledby="new-token-title" data-testid="new-token">
          <h2 id="new-token-title" ref={createdHeading} tabIndex={-1}>
            New token “{created.name}”
          </h2>
          <Notice kind="info">
            <strong>Copy it now: you won't see it again.</strong> OnlineTracker keeps only a hash of it. If it is lost, revoke it and create another.
          </Notice>
          <div className="token-value">
            <label className="visually-hidden" htmlFor="new-token-value">
              The new API token
            </label>
            <input id="new-token-value" readOnly value={created.token} onFocus={(e) => e.currentTarget.select()} spellCheck={false} />
            <CopyButton text={created.token} what="token" />
          </div>
          <p className="muted small">Send it in the Authorization header, for example:</p>
          <pre className="example">
            <code>{example}</code>
          </pre>
          <div className="actions">
            <CopyButton text={example} label="Copy example" />
            <button type="button" className="button primary small" onClick={() => setCreated(null)}>
              Done, I copied it
            </button>
          </div>
        </section>
      )}

      <section className="panel" aria-labelledby="tokens-title">
        <h2 id="tokens-title">API tokens</h2>
        <p className="muted">
          For scripts and other programs: send <code>Authorization: Bearer &lt;token&gt;</code>. A token works with its scope until it expires or is
          revoked.
        </p>
        {loadError && <Notice kind="error">{loadError}</Notice>}
        {message && <Notice kind="success">{message}</Notice>}
        {tokens === null && !loadError && <p role="status">Loading…</p>}
        {tokens && tokens.length === 0 && <p className="muted">No tokens yet.</p>}
        {tokens && tokens.length > 0 && (
          <div className="table-wrap">
            <table className="tokens" aria-labelledby="tokens-title">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Made by</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => {
                  const expired = t.expires_at !== null && Date.parse(t.expires_at) <= Date.now();
                  return (
                    <tr key={t.id} data-token-id={t.id}>
                      <td>
                        <strong>{t.name}</strong>
                      </td>
                      <td>
                        <span className={`pill${t.scope === "write" ? " pill-attention" : ""}`}>{SCOPE_LABEL[t.scope] ?? t.scope}</span>
                      </td>
                      <td>{t.owner ?? "—"}</td>
                      <td>{formatDateTime(t.created_at)}</td>
                      <td title={formatDateTime(t.last_used_at, true)}>{timeAgo(t.last_used_at)}</td>
                      <td>{t.expires_at === null ? "never" : expired ? <span className="pill">expired</span> : formatDateTime(t.expires_at)}</td>
                      <td>
                        <div className="row-actions">
                          <button
                            type="button"
                            className="button small danger"
                            onClick={() => {
                              setRevokeError(null);
                              setRevoking(t);
                            }}
                            aria-label={`Revoke ${t.name}`}
                          >
                            Revoke
                          </button>
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <CreateToken
        onCreated={(token) => {
          setMessage(null);
          setCreated(token);
          const { token: _secret, ...listed } = token;
          setTokens((list) => [listed, ...(list ?? [])]);
        }}
      />

      {revoking && (
        <ConfirmDialog title={`Revoke “${revoking.name}”?`} confirmLabel="Revoke token" danger busy={busy} onConfirm={revoke} onCancel={() => setRevoking(null)}>
          <p>Programs using this token are refused from the next request on. This cannot be undone.</p>
          {revokeError && <Notice kind="error">{revokeError}</Notice>}
        </ConfirmDialog>
      )}
    </div>
  );
}

function CreateToken({ onCreated }: { onCreated: (token: NewApiToken) => void }) {
  const [name, setName] = useState("");
  const [scope, setScope] = useState<TokenScope>("read");
  const [expires, setExpires] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (tick) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [tick]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (!name.trim()) {
      setFields({ name: "Name it after what uses it, e.g. “Grafana” or “backup script”." });
      setTick((n) => n + 1);
      return;
    }
    setFields({});
    setBusy(true);
    try {
      onCreated(await api.createToken(name.trim(), scope, expires ? endOfDay(expires) : null));
      setName("");
      setScope("read");
      setExpires("");
    } catch (err) {
      setFields(fieldsOf(err));
      setError(messageOf(err));
      setTick((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form ref={form} className="panel form" onSubmit={submit} noValidate aria-labelledby="create-token-title">
      <h2 id="create-token-title">Create a token</h2>
      {error && (
        <Notice kind="error">
          {error}
          <OtherErrors fields={fields} shown={["name", "scope", "expires_at"]} />
        </Notice>
      )}
      <div className="grid-2">
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} maxLength={100} placeholder="Grafana" />
        <TextField label="Expires (optional)" type="date" min={isoDay(1)} value={expires} onChange={(e) => setExpires(e.target.value)} error={fields.expires_at} hint="At the end of that day. Empty: until revoked." />
      </div>
      <fieldset className={`field${fields.scope ? " has-error" : ""}`}>
        <legend>Scope</legend>
        <div className="choices">
          {SCOPES.map((s) => (
            <label key={s.value} className="choice">
              <input type="radio" name="scope" value={s.value} checked={scope === s.value} onChange={() => setScope(s.value)} />
              <span>
                <strong>{SCOPE_LABEL[s.value]}</strong> <span className="muted">{s.hint}</span>
              </span>
            </label>
          ))}
        </div>
        {fields.scope && <div className="field-error">{fields.scope}</div>}
      </fieldset>
      <div className="actions form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Creating…" : "Create token"}
        </button>
      </div>
    </form>
  );
}
