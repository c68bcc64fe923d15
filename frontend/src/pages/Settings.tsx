import { NavLink, Navigate, useParams } from "react-router";
import { MonitoringTab } from "./settings/MonitoringTab";
import { AlertsTab } from "./settings/AlertsTab";
import { NotificationsTab } from "./settings/NotificationsTab";
import { AgentsTab } from "./settings/AgentsTab";
import { UsersTab } from "./settings/UsersTab";
import { TokensTab } from "./settings/TokensTab";
import { AuditTab } from "./settings/AuditTab";
import { StatusPagesTab } from "./settings/StatusPagesTab";
import { MaintenanceTab } from "./settings/MaintenanceTab";

const TABS = [
  { key: "monitoring", label: "Monitoring", Component: MonitoringTab },
  { key: "alerts", label: "Alerts", Component: AlertsTab },
  { key: "notifications", label: "Notifications", Component: NotificationsTab },
  { key: "agents", label: "Agents", Component: AgentsTab },
  { key: "maintenance", label: "Maintenance", Component: MaintenanceTab },
  { key: "status-pages", label: "Status pages", Component: StatusPagesTab },
  { key: "users", label: "Users", Component: UsersTab },
  { key: "tokens", label: "API tokens", Component: TokensTab },
  { key: "audit", label: "Audit", Component: AuditTab },
];

/** Settings in tabs (admins only), each its own URL (/settings/alerts survives a reload and can be linked). */
export function Settings() {
  const { tab } = useParams();
  const current = TABS.find((t) => t.key === tab);
  if (!current) return <Navigate to="/settings/monitoring" replace />;
  const { Component } = current;
  return (
    <section aria-labelledby="settings-title" className="settings">
      <h1 id="settings-title">Settings</h1>
      <nav className="tabs" aria-label="Settings sections">
        {TABS.map((t) => (
          <NavLink key={t.key} to={`/settings/${t.key}`} className="tab">
            {t.label}
          </NavLink>
        ))}
      </nav>
      <div className="tab-panel">
        <Component />
      </div>
    </section>
  );
}
