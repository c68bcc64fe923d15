import { useCallback, useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { ApiError, api, fieldsOf, messageOf } from "../../lib/api";
import { ROLE_LABEL, useUser } from "../../lib/auth";
import type { Role, User, UserChange } from "../../lib/types";
import { formatDateTime, timeAgo } from "../../lib/format";
import { OtherErrors, SelectField, TextField } from "../../components/Field";
import { Notice } from "../../components/Notice";
import { ConfirmDialog } from "../../components/Dialog";
import { Modal } from "../../components/Modal";
import { FOCUSABLE } from "../../components/useModal";
import { StatusIcon } from "../../components/StatusBadge";
import { MIN_PASSWORD } from "../auth/Setup";

const LAST_ADMIN = "The last active admin can't be removed, demoted or deactivated: make another user an admin first.";

/** The API's message, or the plain one for the last-admin rule. */
function problem(err: unknown): string {
  if (err instanceof ApiError && err.code === "last_admin") return LAST_ADMIN;
  return messageOf(err);
}

const ROLES: Role[] = ["viewer", "admin"];
const ROLE_HINT = "Viewers see monitors and their history; admins also change monitors, settings, users and tokens.";

/** Accounts: who can sign in, with which role; add, change, reset, deactivate, sign out, delete. */
export function UsersTab() {
  const me = useUser();
  const [users, setUsers] = useState<User[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [managing, setManaging] = useState<User | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setUsers(await api.users());
      setLoadError(null);
    } catch (err) {
      setLoadError(messageOf(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const replace = (changed: User) => {
    setUsers((list) => list?.map((u) => (u.id === changed.id ? changed : u)) ?? null);
    setManaging((current) => (current?.id === changed.id ? changed : current));
  };

  const remove = async () => {
    if (!deleting) return;
    setBusy(true);
    setDeleteError(null);
    try {
      await api.deleteUser(deleting.id);
      setMessage(`Deleted ${deleting.username}.`);
      setUsers((list) => list?.filter((u) => u.id !== deleting.id) ?? null);
      setDeleting(null);
    } catch (err) {
      setDeleteError(problem(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="users-tab">
      <section className="panel" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <p className="muted">Admins change everything; viewers only see monitors and their history. Each person should have their own account.</p>
        {loadError && <Notice kind="error">{loadError}</Notice>}
        {message && <Notice kind="success">{message}</Notice>}
        {users === null && !loadError && <p role="status">Loading…</p>}
        {users && (
          <div className="table-wrap">
            <table className="users" aria-labelledby="users-title">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col">State</th>
                  <th scope="col">Two-factor</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.id} data-user-id={u.id}>
                    <td>
                      <strong>{u.username}</strong>
                      {u.id === me.id && <span className="muted"> (you)</span>}
                    </td>
                    <td>{ROLE_LABEL[u.role] ?? u.role}</td>
                    <td>
                      <span className="state">
                        <StatusIcon status={u.active ? "ok" : "unknown"} />
                        {u.active ? "Active" : "Deactivated"}
                      </span>
                    </td>
                    <td>{u.totp_enabled ? "On" : "Off"}</td>
                    <td title={formatDateTime(u.last_login_at, true)}>{u.last_login_at ? timeAgo(u.last_login_at) : "never"}</td>
                    <td>{formatDateTime(u.created_at)}</td>
                    <td>
                      <div className="row-actions">
                        <button type="button" className="button small" onClick={() => setManaging(u)} aria-label={`Manage ${u.username}`}>
                          Manage
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

      <AddUser
        onAdded={(user) => {
          setUsers((list) => [...(list ?? []), user]);
          setMessage(`Added ${user.username} (${ROLE_LABEL[user.role] ?? user.role}). Tell them their password; they can change it after signing in.`);
        }}
      />

      {managing && (
        <ManageUser
          user={managing}
          self={managing.id === me.id}
          onChanged={replace}
          onClose={() => setManaging(null)}
          onDelete={() => {
            setDeleteError(null);
            setDeleting(managing);
            setManaging(null);
          }}
        />
      )}

      {deleting && (
        <ConfirmDialog title={`Delete ${deleting.username}?`} confirmLabel="Delete user" danger busy={busy} onConfirm={remove} onCancel={() => setDeleting(null)}>
          <p>
            “{deleting.username}” can no longer sign in, and their API tokens stop working. The audit log keeps their name. This cannot be undone; to
            keep the account for later, deactivate it instead.
          </p>
          {deleteError && <Notice kind="error">{deleteError}</Notice>}
        </ConfirmDialog>
      )}
    </div>
  );
}

function AddUser({ onAdded }: { onAdded: (user: User) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("viewer");
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
    const own: Record<string, string> = {};
    if (!username.trim()) own.username = "Enter a username.";
    if (password.length < MIN_PASSWORD) own.password = `Too short: at least ${MIN_PASSWORD} characters.`;
    setFields(own);
    setError(null);
    if (Object.keys(own).length) {
      setTick((n) => n + 1);
      return;
    }
    setBusy(true);
    try {
      onAdded(await api.createUser(username.trim(), password, role));
      setUsername("");
      setPassword("");
      setRole("viewer");
    } catch (err) {
      setFields(fieldsOf(err));
      setError(messageOf(err));
      setTick((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form ref={form} className="panel form" onSubmit={submit} noValidate aria-labelledby="add-user-title">
      <h2 id="add-user-title">Add a user</h2>
      {error && (
        <Notice kind="error">
          {error}
          <OtherErrors fields={fields} shown={["username", "password", "role"]} />
        </Notice>
      )}
      <div className="grid-3">
        <TextField label="Username" autoComplete="off" autoCapitalize="off" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} error={fields.username} />
        <TextField label="Password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} error={fields.password} hint={`At least ${MIN_PASSWORD} characters.`} />
        <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)} error={fields.role} hint={ROLE_HINT}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABEL[r]}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="actions form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Adding…" : "Add user"}
        </button>
      </div>
    </form>
  );
}

interface ManageProps {
  user: User;
  self: boolean;
  onChanged: (user: User) => void;
  onClose: () => void;
  onDelete: () => void;
}

/** One user's changes, each its own small request, with the answer shown in the dialog. */
function ManageUser({ user, self, onChanged, onClose, onDelete }: ManageProps) {
  const [role, setRole] = useState<Role>(user.role);
  const [password, setPassword] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const area = useRef<HTMLDivElement>(null);
  const trigger = useRef<HTMLElement | null>(null);

  // A clicked button is disabled while its request runs, which drops focus; give it back after.
  useEffect(() => {
    if (busy !== null || !trigger.current) return;
    const active = document.activeElement;
    if (active && active !== document.body && area.current?.contains(active)) return;
    const target = trigger.current.isConnected ? trigger.current : area.current?.querySelector<HTMLElement>(FOCUSABLE);
    target?.focus();
    trigger.current = null;
  }, [busy]);

  const run = async (key: string, work: () => Promise<string>) => {
    trigger.current = document.activeElement as HTMLElement | null;
    setBusy(key);
    setError(null);
    setNotice(null);
    setFields({});
    try {
      setNotice(await work());
    } catch (err) {
      setFields(fieldsOf(err));
      setError(problem(err));
    } finally {
      setBusy(null);
    }
  };
  const change = (key: string, body: UserChange, done: (u: User) => string) =>
    run(key, async () => {
      const changed = await api.updateUser(user.id, body);
      onChanged(changed);
      return done(changed);
    });

  const savePassword = (event: FormEvent) => {
    event.preventDefault();
    if (password.length < MIN_PASSWORD) {
      setFields({ password: `Too short: at least ${MIN_PASSWORD} characters.` });
      return;
    }
    return change("password", { password }, (u) => {
      setPassword("");
      return `New password set for ${u.username}.`;
    });
  };

  return (
    <Modal
      title={`Manage ${user.username}`}
      onClose={onClose}
      wide
      footer={
        <button type="button" className="button danger" onClick={onDelete} disabled={busy !== null}>
          Delete user…
        </button>
      }
    >
      <div ref={area}>
        {self && <p className="muted">This is your own account.</p>}
        <div role="status" aria-live="polite">
          {notice && <Notice kind="success">{notice}</Notice>}
        </div>
        {error && (
          <Notice kind="error">
            {error}
            <OtherErrors fields={fields} shown={["role", "password"]} />
          </Notice>
        )}

        <div className="manage-row">
          <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)} error={fields.role}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </SelectField>
          <button type="button" className="button" disabled={busy !== null || role === user.role} onClick={() => change("role", { role }, (u) => `${u.username} is now ${ROLE_LABEL[u.role] ?? u.role}.`)}>
            Change role
          </button>
        </div>

        <form className="manage-row" onSubmit={savePassword} noValidate>
          <TextField label="New password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} error={fields.password} hint={`At least ${MIN_PASSWORD} characters. ${self ? "You are" : "They are"} then signed out everywhere.`} />
          <button type="submit" className="button" disabled={busy !== null}>
            Reset password
          </button>
        </form>

        <div className="manage-actions">
          <div>
            <strong>Account</strong>
            <span className="state">
              <StatusIcon status={user.active ? "ok" : "unknown"} /> {user.active ? "Active" : "Deactivated"}
            </span>
            <button
              type="button"
              className={`button small${user.active ? " danger" : ""}`}
              disabled={busy !== null}
              onClick={() => change("active", { active: !user.active }, (u) => (u.active ? `${u.username} can sign in again.` : `${u.username} is deactivated: they can't sign in and their sessions ended.`))}
            >
              {user.active ? "Deactivate" : "Activate"}
            </button>
          </div>
          <div>
            <strong>Two-factor</strong>
            <span>{user.totp_enabled ? "On" : "Off"}</span>
            {user.totp_enabled && (
              <button type="button" className="button small" disabled={busy !== null} onClick={() => change("totp", { totp_enabled: false }, (u) => `Two-factor authentication is off for ${u.username}: they sign in with the password only and can set it up again.`)}>
                Turn off two-factor
              </button>
            )}
          </div>
          <div>
            <strong>Sessions</strong>
            <span className="muted">Signed-in browsers</span>
            <button
              type="button"
              className="button small"
              disabled={busy !== null}
              onClick={() =>
                run("sessions", async () => {
                  const { ended } = await api.endSessions(user.id);
                  return `Signed ${user.username} out everywhere (${ended} session${ended === 1 ? "" : "s"} ended).`;
                })
              }
            >
              Sign out everywhere
            </button>
          </div>
        </div>
      </div>
    </Modal>
  );
}
