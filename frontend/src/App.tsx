import { Link, NavLink, Navigate, Route, Routes, useLocation, useSearchParams } from "react-router";
import { useEffect, useRef } from "react";
import type { ReactNode } from "react";
import { AuthProvider, safeNext, useAuth, useCanEdit } from "./lib/auth";
import { Dashboard } from "./pages/Dashboard";
import { MonitorDetail } from "./pages/MonitorDetail";
import { MonitorForm } from "./pages/MonitorForm";
import { Settings } from "./pages/Settings";
import { SignIn } from "./pages/auth/SignIn";
import { Setup } from "./pages/auth/Setup";
import { ChangePassword, TwoFactor } from "./pages/Account";
import { UserMenu } from "./components/UserMenu";
import { Notice } from "./components/Notice";

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing lives at this address. <Link to="/">Go to the dashboard</Link>.
      </p>
    </section>
  );
}

/** What a viewer sees at an address for changing things: the controls are not there, and this says why. */
function ViewOnly() {
  return (
    <section aria-labelledby="viewonly-title">
      <h1 id="viewonly-title">View only</h1>
      <p>Your account can only view monitors and their history. An admin can add and change monitors and settings.</p>
      <p>
        <Link to="/">Go to the dashboard</Link>
      </p>
    </section>
  );
}

function AdminOnly({ children }: { children: ReactNode }) {
  return useCanEdit() ? children : <ViewOnly />;
}

/** Moves focus to the page's main heading area after each navigation, for keyboard and screen-reader users. */
function useFocusOnNavigate() {
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    // Unless the new page already put focus somewhere inside (e.g. an autofocused field).
    if (!main.current?.contains(document.activeElement)) main.current?.focus({ preventScroll: true });
  }, [location.pathname]);
  return main;
}

/** Signed out: to /signin, remembering where the user was (unless they signed out on purpose). */
function ToSignIn() {
  const { state } = useAuth();
  const location = useLocation();
  const here = `${location.pathname}${location.search}`;
  const remember = !(state.status === "signin" && state.reason === "signed_out") && safeNext(here) !== "/";
  return <Navigate to={remember ? `/signin?next=${encodeURIComponent(here)}` : "/signin"} replace />;
}

/** Signed in at /signin or /setup: on to ?next= (or the dashboard). */
function AfterSignIn() {
  const [params] = useSearchParams();
  return <Navigate to={safeNext(params.get("next"))} replace />;
}

function Brand() {
  return (
    <Link to="/" className="brand" aria-label="OnlineTracker dashboard">
      <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
        <rect x="1" y="13" width="4" height="10" rx="1" fill="var(--ok)" />
        <rect x="7" y="8" width="4" height="15" rx="1" fill="var(--ok)" />
        <rect x="13" y="11" width="4" height="12" rx="1" fill="var(--degraded)" />
        <rect x="19" y="3" width="4" height="20" rx="1" fill="var(--ok)" />
      </svg>
      <span>OnlineTracker</span>
    </Link>
  );
}

function SignedInBar() {
  const canEdit = useCanEdit();
  return (
    <>
      <nav aria-label="Main" className="mainnav">
        <NavLink to="/" end>
          Dashboard
        </NavLink>
        {canEdit && <NavLink to="/settings">Settings</NavLink>}
      </nav>
      <div className="topbar-actions">
        {canEdit && (
          <Link to="/monitors/new" className="button primary add-button">
            <span aria-hidden="true">+</span> Add Monitor
          </Link>
        )}
        <UserMenu />
      </div>
    </>
  );
}

function SignedInRoutes() {
  return (
    <Routes>
      <Route path="/" element={<Dashboard />} />
      <Route
        path="/monitors/new"
        element={
          <AdminOnly>
            <MonitorForm key="new" />
          </AdminOnly>
        }
      />
      <Route path="/monitors/:id" element={<MonitorDetail />} />
      <Route
        path="/monitors/:id/edit"
        element={
          <AdminOnly>
            <MonitorForm key="edit" />
          </AdminOnly>
        }
      />
      <Route
        path="/settings"
        element={
          <AdminOnly>
            <Settings />
          </AdminOnly>
        }
      />
      <Route
        path="/settings/:tab"
        element={
          <AdminOnly>
            <Settings />
          </AdminOnly>
        }
      />
      <Route path="/account/password" element={<ChangePassword />} />
      <Route path="/account/two-factor" element={<TwoFactor />} />
      <Route path="/signin" element={<AfterSignIn />} />
      <Route path="/setup" element={<AfterSignIn />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

function Shell() {
  const main = useFocusOnNavigate();
  const { state, reload } = useAuth();
  let content: ReactNode;
  switch (state.status) {
    case "loading":
      content = (
        <p className="muted" role="status">
          Loading…
        </p>
      );
      break;
    case "unreachable":
      content = (
        <section>
          <h1>OnlineTracker</h1>
          <Notice kind="error">{state.message}</Notice>
          <button type="button" className="button" onClick={reload}>
            Try again
          </button>
        </section>
      );
      break;
    case "setup":
      content = (
        <Routes>
          <Route path="/setup" element={<Setup />} />
          <Route path="*" element={<Navigate to="/setup" replace />} />
        </Routes>
      );
      break;
    case "signin":
      content = (
        <Routes>
          <Route path="/signin" element={<SignIn />} />
          <Route path="*" element={<ToSignIn />} />
        </Routes>
      );
      break;
    case "ready":
      content = <SignedInRoutes />;
      break;
  }
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Brand />
          {state.status === "ready" && <SignedInBar />}
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {content}
      </main>
    </>
  );
}

export function App() {
  return (
    <AuthProvider>
      <Shell />
    </AuthProvider>
  );
}
