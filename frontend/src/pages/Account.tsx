import { useEffect, useRef, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import { Link } from "react-router";
import { ApiError, api, fieldsOf, messageOf } from "../lib/api";
import { ROLE_LABEL, useAuth, useUser } from "../lib/auth";
import type { TotpSetup } from "../lib/types";
import { OtherErrors, TextField } from "../components/Field";
import { Notice } from "../components/Notice";
import { CopyButton } from "../components/CopyButton";
import { StatusIcon } from "../components/StatusBadge";
import { MIN_PASSWORD } from "./auth/Setup";

function AccountPage({ title, children }: { title: string; children: ReactNode }) {
  const user = useUser();
  return (
    <section aria-labelledby="account-title" className="account">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/">Dashboard</Link> <span aria-hidden="true">/</span> <span>Your account</span> <span aria-hidden="true">/</span> <span aria-current="page">{title}</span>
      </nav>
      <h1 id="account-title">{title}</h1>
      <p className="muted">
        Signed in as <strong>{user.username}</strong> ({ROLE_LABEL[user.role] ?? user.role}).
      </p>
      {children}
    </section>
  );
}

/** Moves focus to the first field in error each time ``tick`` changes. */
function useFocusErrors(form: React.RefObject<HTMLFormElement | null>, tick: number) {
  useEffect(() => {
    if (tick) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [form, tick]);
}

export function ChangePassword() {
  const { update } = useAuth();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const form = useRef<HTMLFormElement>(null);
  useFocusErrors(form, tick);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const own: Record<string, string> = {};
    if (!current) own.current_password = "Enter your current password.";
    if (next.length < MIN_PASSWORD) own.new_password = `Too short: at least ${MIN_PASSWORD} characters.`;
    else if (confirm !== next) own.confirm = "The two passwords are not the same.";
    setFields(own);
    setError(null);
    setDone(false);
    if (Object.keys(own).length) {
      setTick((n) => n + 1);
      return;
    }
    setBusy(true);
    try {
      const answer = await api.changePassword(current, next);
      if (answer && typeof answer === "object" && answer.csrf_token) update(answer);
      setCurrent("");
      setNext("");
      setConfirm("");
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError && err.code === "wrong_password") setFields({ current_password: "This is not your current password." });
      else setFields(fieldsOf(err));
      setError(messageOf(err));
      setTick((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AccountPage title="Change password">
      <form ref={form} className="panel form narrow" onSubmit={submit} noValidate>
        {done && <Notice kind="success">Password changed. Your other sessions were signed out; this one goes on.</Notice>}
        {error && (
          <Notice kind="error">
            {error}
            <OtherErrors fields={fields} shown={["current_password", "new_password", "confirm"]} />
          </Notice>
        )}
        <TextField label="Current password" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} error={fields.current_password} />
        <TextField label="New password" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} error={fields.new_password} hint={`At least ${MIN_PASSWORD} characters.`} />
        <TextField label="Confirm new password" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} error={fields.confirm} />
        <div className="actions form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? "Saving…" : "Change password"}
          </button>
        </div>
      </form>
    </AccountPage>
  );
}

/**
 * The server's SVG as a standalone image document: an SVG made for inline HTML has no namespace,
 * without which a browser draws nothing as an image.
 */
export function svgDocument(svg: string): string {
  const text = svg.trim();
  return /^<svg\b[^>]*\sxmlns=/.test(text) ? text : text.replace(/^<svg\b/, '<svg xmlns="http://www.w3.org/2000/svg"');
}

/** The QR code as an image: the server made the SVG from its own data, and an <img> runs no script in it. */
function QrCode({ svg }: { svg: string }) {
  return <img className="qr" src={`data:image/svg+xml;utf8,${encodeURIComponent(svgDocument(svg))}`} alt="QR code to scan with an authenticator app" />;
}

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP": easier to type; apps ignore the spaces. */
function grouped(secret: string) {
  return secret.replace(/(.{4})/g, "$1 ").trim();
}

export function TwoFactor() {
  const user = useUser();
  const { update } = useAuth();
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [codes, setCodes] = useState<string[] | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const form = useRef<HTMLFormElement>(null);
  const codesHeading = useRef<HTMLHeadingElement>(null);
  useFocusErrors(form, tick);
  useEffect(() => {
    if (codes) codesHeading.current?.focus();
  }, [codes]);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setFields({});
    setNotice(null);
    try {
      await work();
    } catch (err) {
      const f = fieldsOf(err);
      if (err instanceof ApiError && err.code === "wrong_password") f.password = "This is not your password.";
      if (err instanceof ApiError && err.code === "totp_invalid" && !f.code) f.code = "That code is not right. Check that the device's clock is correct.";
      setFields(f);
      setError(messageOf(err));
      setTick((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  const begin = () => run(async () => setSetup(await api.beginTotp()));

  const confirmSetup = (event: FormEvent) => {
    event.preventDefault();
    if (!/^\d{6}$/.test(code.replace(/\s+/g, ""))) {
      setFields({ code: "Enter the 6 digits the app shows." });
      setTick((n) => n + 1);
      return;
    }
    return run(async () => {
      const answer = await api.confirmTotp(code.replace(/\s+/g, ""));
      setCodes(answer.recovery_codes);
      setSetup(null);
      setCode("");
      update({ totp_enabled: true });
    });
  };

  const turnOff = (event: FormEvent) => {
    event.preventDefault();
    if (!password) {
      setFields({ password: "Enter your password." });
      setTick((n) => n + 1);
      return;
    }
    return run(async () => {
      await api.disableTotp(password);
      setPassword("");
      update({ totp_enabled: false });
      setNotice("Two-factor authentication is off. Signing in needs only your password now.");
    });
  };

  return (
    <AccountPage title="Two-factor authentication">
      <div className="panel narrow">
        <p className="twofactor-state" data-testid="totp-state">
          <StatusIcon status={user.totp_enabled ? "ok" : "unknown"} />
          <span>
            Two-factor authentication is <strong>{user.totp_enabled ? "on" : "off"}</strong>.
          </span>
        </p>
        {notice && <Notice kind="success">{notice}</Notice>}
        {error && !setup && !user.totp_enabled && <Notice kind="error">{error}</Notice>}

        {codes && (
          <section className="recovery" aria-labelledby="recovery-title">
            <h2 id="recovery-title" ref={codesHeading} tabIndex={-1}>
              Your recovery codes
            </h2>
            <Notice kind="info">
              Store these codes somewhere safe, apart from your phone: each one signs you in once if you lose the authenticator. They are shown
              only now.
            </Notice>
            <ul className="recovery-codes" aria-label="Recovery codes">
              {codes.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ul>
            <div className="actions">
              <CopyButton text={codes.join("\n")} label="Copy codes" />
              <a className="button small" download="onlinetracker-recovery-codes.txt" href={`data:text/plain;charset=utf-8,${encodeURIComponent(codes.join("\n") + "\n")}`}>
                Download
              </a>
              <button type="button" className="button small primary" onClick={() => setCodes(null)}>
                I have stored them
              </button>
            </div>
          </section>
        )}

        {!user.totp_enabled && !setup && (
          <>
            <p>
              With two-factor authentication, signing in needs your password and a 6-digit code from an authenticator app on your phone (for
              example Aegis, Google Authenticator, 1Password). A stolen password alone is then not enough.
            </p>
            <button type="button" className="button primary" onClick={begin} disabled={busy}>
              {busy ? "Starting…" : "Set up"}
            </button>
          </>
        )}

        {!user.totp_enabled && setup && (
          <form ref={form} onSubmit={confirmSetup} noValidate className="form totp-setup">
            <h2>1. Add OnlineTracker to your authenticator app</h2>
            <div className="totp-pair">
              <QrCode svg={setup.qr_svg} />
              <div>
                <p>Scan the QR code with the app.</p>
                <p>
                  Can't scan it? Enter this key in the app instead:
                  <br />
                  <code className="totp-secret" data-testid="totp-secret">
                    {grouped(setup.secret)}
                  </code>{" "}
                  <CopyButton text={setup.secret} what="key" />
                </p>
                {setup.otpauth_uri.startsWith("otpauth://") && (
                  <p className="small">
                    On this phone? <a href={setup.otpauth_uri}>Open it in the authenticator app</a>.
                  </p>
                )}
              </div>
            </div>
            <h2>2. Enter the code it shows</h2>
            {error && <Notice kind="error">{error}</Notice>}
            <TextField label="Authentication code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} value={code} onChange={(e) => setCode(e.target.value)} error={fields.code} hint="6 digits; a new one every 30 seconds." fieldClass="code-field" />
            <div className="actions form-actions">
              <button type="submit" className="button primary" disabled={busy}>
                {busy ? "Checking…" : "Turn on"}
              </button>
              <button type="button" className="button subtle" onClick={() => setSetup(null)}>
                Cancel
              </button>
            </div>
          </form>
        )}

        {user.totp_enabled && !codes && (
          <form ref={form} onSubmit={turnOff} noValidate className="form">
            <h2>Turn off</h2>
            <p className="muted">Signing in will need only your password. Your recovery codes stop working.</p>
            {error && <Notice kind="error">{error}</Notice>}
            <TextField label="Password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} error={fields.password} hint="Your password confirms that it is you." />
            <div className="actions form-actions">
              <button type="submit" className="button danger" disabled={busy}>
                {busy ? "Turning off…" : "Turn off two-factor"}
              </button>
            </div>
          </form>
        )}
      </div>
    </AccountPage>
  );
}
