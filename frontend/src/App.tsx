import { Link, NavLink, Route, Routes, useLocation } from "react-router";
import { useEffect, useRef } from "react";
import { Dashboard } from "./pages/Dashboard";
import { MonitorDetail } from "./pages/MonitorDetail";
import { MonitorForm } from "./pages/MonitorForm";
import { Settings } from "./pages/Settings";

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

export function App() {
  const main = useFocusOnNavigate();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand" aria-label="OnlineTracker dashboard">
            <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
              <rect x="1" y="13" width="4" height="10" rx="1" fill="var(--ok)" />
              <rect x="7" y="8" width="4" height="15" rx="1" fill="var(--ok)" />
              <rect x="13" y="11" width="4" height="12" rx="1" fill="var(--degraded)" />
              <rect x="19" y="3" width="4" height="20" rx="1" fill="var(--ok)" />
            </svg>
            <span>OnlineTracker</span>
          </Link>
          <nav aria-label="Main" className="mainnav">
            <NavLink to="/" end>
              Dashboard
            </NavLink>
            <NavLink to="/settings">Settings</NavLink>
          </nav>
          <Link to="/monitors/new" className="button primary add-button">
            <span aria-hidden="true">+</span> Add Monitor
          </Link>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Dashboard />} />
          <Route path="/monitors/new" element={<MonitorForm key="new" />} />
          <Route path="/monitors/:id" element={<MonitorDetail />} />
          <Route path="/monitors/:id/edit" element={<MonitorForm key="edit" />} />
          <Route path="/settings" element={<Settings />} />
          <Route path="/settings/:tab" element={<Settings />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </>
  );
}
