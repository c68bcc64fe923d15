import { useEffect, useId, useRef, useState } from "react";
import { Link, useLocation } from "react-router";
import { ROLE_LABEL, useAuth, useUser } from "../lib/auth";
import { messageOf } from "../lib/api";

/**
 * The signed-in user in the top bar: a button (username and role) opening a small panel with the
 * account pages and Sign out. A disclosure, not an ARIA menu: Tab moves through it, Escape closes it.
 */
export function UserMenu() {
  const user = useUser();
  const { signOut } = useAuth();
  const location = useLocation();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const panelId = useId();

  useEffect(() => setOpen(false), [location.pathname]);
  useEffect(() => {
    if (!open) return;
    const outside = (event: Event) => {
      if (!box.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", outside);
    document.addEventListener("focusin", outside);
    return () => {
      document.removeEventListener("mousedown", outside);
      document.removeEventListener("focusin", outside);
    };
  }, [open]);

  const leave = async () => {
    setBusy(true);
    setError(null);
    try {
      await signOut(); // the app then shows the sign-in page
    } catch (err) {
      setError(`Could not sign out: ${messageOf(err)}`);
      setBusy(false);
    }
  };

  const role = ROLE_LABEL[user.role] ?? user.role;
  return (
    <div
      className="user-menu"
      ref={box}
      onKeyDown={(e) => {
        if (e.key === "Escape" && open) {
          e.stopPropagation();
          setOpen(false);
          button.current?.focus();
        }
      }}
    >
      <button ref={button} type="button" className="user-button" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen(!open)}>
        <span className="avatar" aria-hidden="true">
          {user.username.slice(0, 1).toUpperCase()}
        </span>
        <span className="user-name">{user.username}</span>
        <span className={`pill role-${user.role}`}>{role}</span>
        <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" className="chevron">
          <path d="M2.5 4.5L6 8l3.5-3.5" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
        </svg>
      </button>
      <div id={panelId} className="user-panel" hidden={!open}>
        <p className="user-panel-head">
          Signed in as <strong>{user.username}</strong>
          <br />
          <span className="muted small">{user.role === "admin" ? "Admin: can change everything" : `${role}: can only view`}</span>
        </p>
        <ul>
          <li>
            <Link to="/account/password">Change password</Link>
          </li>
          <li>
            <Link to="/account/two-factor">
              Two-factor authentication <span className="muted small">({user.totp_enabled ? "on" : "off"})</span>
            </Link>
          </li>
          <li>
            <button type="button" onClick={leave} disabled={busy}>
              {busy ? "Signing out…" : "Sign out"}
            </button>
          </li>
        </ul>
      </div>
      {error && (
        <div className="user-menu-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
