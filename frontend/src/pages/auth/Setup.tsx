import { useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { ApiError, api, fieldsOf, messageOf } from "../../lib/api";
import { useAuth } from "../../lib/auth";
import { OtherErrors, TextField } from "../../components/Field";
import { Notice } from "../../components/Notice";

export const MIN_PASSWORD = 10;

/** First start: no account exists. The setup code proves that whoever is here also runs the server. */
export function Setup() {
  const { signedIn, toSignIn } = useAuth();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [focusErrors, setFocusErrors] = useState(0);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    if (focusErrors) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [focusErrors]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const own: Record<string, string> = {};
    if (!username.trim()) own.username = "Choose a username.";
    if (password.length < MIN_PASSWORD) own.password = `Too short: at least ${MIN_PASSWORD} characters.`;
    else if (confirm !== password) own.confirm = "The two passwords are not the same.";
    if (!code.trim()) own.setup_code = "Enter the setup code from the server.";
    setError(null);
    setFields(own);
    if (Object.keys(own).length) {
      setFocusErrors((n) => n + 1);
      return;
    }
    setBusy(true);
    try {
      signedIn(await api.setup(username.trim(), password, code.trim()));
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 409) {
        toSignIn("already_set_up");
        return;
      }
      const wrongCode = err instanceof ApiError && err.status === 403;
      setFields(wrongCode ? { setup_code: "Not the current setup code: copy it again from the server.", ...fieldsOf(err) } : fieldsOf(err));
      setError(messageOf(err));
      setFocusErrors((n) => n + 1);
    }
  };

  return (
    <section className="auth-page" aria-labelledby="setup-title">
      <form ref={form} className="panel form auth-card" onSubmit={submit} noValidate>
        <h1 id="setup-title">Create the owner account</h1>
        <p className="muted">
          Welcome to OnlineTracker. Nobody has an account yet: the first one is an admin, who can then add other users in Settings › Users.
        </p>
        {error && (
          <Notice kind="error">
            {error}
            <OtherErrors fields={fields} shown={["username", "password", "confirm", "setup_code"]} />
          </Notice>
        )}
        <TextField label="Username" name="username" autoComplete="username" autoCapitalize="off" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} error={fields.username} autoFocus />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fields.password}
          hint={`At least ${MIN_PASSWORD} characters. A passphrase of a few words is easy to type and hard to guess.`}
        />
        <TextField label="Confirm password" name="confirm" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} error={fields.confirm} />
        <TextField
          label="Setup code"
          name="setup_code"
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={fields.setup_code}
          hint={
            <>
              Printed in the server's log at start and kept in <code>DATA_DIR/setup_code</code>. It proves you run this server. On a
              server without a browser, create the account there instead: <code>onlinetracker create-user NAME --role admin</code>.
            </>
          }
        />
        <div className="actions form-actions">
          <button type="submit" className="button primary wide" disabled={busy}>
            {busy ? "Creating…" : "Create account"}
          </button>
        </div>
      </form>
    </section>
  );
}
