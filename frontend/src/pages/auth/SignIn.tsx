import { Fragment, useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { ApiError, api, fieldsOf, messageOf } from "../../lib/api";
import { useAuth } from "../../lib/auth";
import { TextField } from "../../components/Field";
import { Notice } from "../../components/Notice";

const REASON: Record<string, string> = {
  expired: "Your session has ended. Sign in again to continue where you were.",
  signed_out: "You have signed out.",
  already_set_up: "The owner account already exists. Sign in with it.",
};

/**
 * Username and password; when the account has two-factor authentication, a second step asks for
 * the authenticator's code (or a recovery code) and sends all three again.
 */
export function SignIn() {
  const { state, signedIn } = useAuth();
  const reason = state.status === "signin" ? state.reason : undefined;
  const [step, setStep] = useState<"password" | "totp">("password");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [focusErrors, setFocusErrors] = useState(0);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    if (!focusErrors || !form.current) return;
    // The field in error, else the last field (password or code) to try again.
    const target = form.current.querySelector<HTMLElement>('[aria-invalid="true"]') ?? [...form.current.querySelectorAll<HTMLElement>("input")].pop();
    target?.focus();
  }, [focusErrors]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const missing: Record<string, string> = {};
    if (step === "password") {
      if (!username.trim()) missing.username = "Enter your username.";
      if (!password) missing.password = "Enter your password.";
    } else if (!code.trim()) {
      missing.totp = "Enter the code from your authenticator app, or a recovery code.";
    }
    setError(null);
    setFields(missing);
    if (Object.keys(missing).length) {
      setFocusErrors((n) => n + 1);
      return;
    }
    setBusy(true);
    try {
      signedIn(await api.login(username.trim(), password, step === "totp" ? code.replace(/\s+/g, "") : undefined));
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.code === "totp_required") {
        setStep("totp");
        setCode("");
        return;
      }
      if (err instanceof ApiError && err.code === "totp_invalid") {
        setFields({ totp: "That code is not right. Check that the device's clock is correct, or use a recovery code." });
      } else if (err instanceof ApiError && err.code === "invalid_credentials") {
        setStep("password");
        setError("Wrong username or password.");
      } else {
        setError(messageOf(err));
        setFields(fieldsOf(err));
      }
      setFocusErrors((n) => n + 1);
    }
  };

  return (
    <section className="auth-page" aria-labelledby="signin-title">
      <form ref={form} className="panel form auth-card" onSubmit={submit} noValidate>
        {/* Keyed: the code field is a new element (autofocused), not the username field reused. */}
        {step === "password" ? (
          <Fragment key="password">
            <h1 id="signin-title">Sign in</h1>
            {reason && !error && <Notice kind={reason === "signed_out" ? "success" : "info"}>{REASON[reason]}</Notice>}
            {error && <Notice kind="error">{error}</Notice>}
            <TextField label="Username" name="username" autoComplete="username" autoCapitalize="off" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} error={fields.username} autoFocus />
            <TextField label="Password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} error={fields.password} />
            <div className="actions form-actions">
              <button type="submit" className="button primary wide" disabled={busy}>
                {busy ? "Signing in…" : "Sign in"}
              </button>
            </div>
          </Fragment>
        ) : (
          <Fragment key="totp">
            <h1 id="signin-title">Two-factor authentication</h1>
            <p className="muted">
              Signing in as <strong>{username.trim()}</strong>. Open your authenticator app and enter the code it shows for OnlineTracker.
            </p>
            {error && <Notice kind="error">{error}</Notice>}
            <TextField
              label="Authentication code"
              name="totp"
              autoComplete="one-time-code"
              autoCapitalize="off"
              spellCheck={false}
              value={code}
              onChange={(e) => setCode(e.target.value)}
              error={fields.totp}
              hint="6 digits from the app, or one of your recovery codes if you lost the device."
              autoFocus
            />
            <div className="actions form-actions">
              <button type="submit" className="button primary" disabled={busy}>
                {busy ? "Checking…" : "Verify"}
              </button>
              <button
                type="button"
                className="button subtle"
                onClick={() => {
                  setStep("password");
                  setFields({});
                  setError(null);
                }}
              >
                Back
              </button>
            </div>
          </Fragment>
        )}
      </form>
    </section>
  );
}
