// Display helpers. Times are shown in the browser's local time zone; the API speaks UTC.
import type { AlertEventKind, DeliveryState, MonitorType, Status } from "./types";

export const STATUS_LABEL: Record<Status, string> = {
  ok: "OK",
  degraded: "Degraded",
  down: "Down",
  unknown: "No data",
  stale: "Stale",
  maintenance: "Maintenance",
};

/** Why a monitor is ``stale``: its tooltip, and the explanation on its page and the dashboard. */
export const STALE_EXPLANATION = "No result for 3 intervals — are the workers, beat or the agent running?";

/** What ``maintenance`` means (its tooltip). */
export const MAINTENANCE_EXPLANATION = "In a planned maintenance window: alerts are held back and uptime leaves this time out.";

export const ALERT_EVENT_LABEL: Record<AlertEventKind, string> = {
  down: "Down",
  degraded: "Degraded",
  up: "Back up",
  ssl_expiring: "SSL certificate expiring",
  stale: "Stale",
  agent_offline: "Agent offline",
  agent_online: "Agent back online",
};

/** An alert event in words; one this page does not know yet reads as its name ("some_event" → "Some event"). */
export function alertEventLabel(event: string): string {
  const known = (ALERT_EVENT_LABEL as Record<string, string>)[event];
  if (known) return known;
  const words = event.replace(/_/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : "—";
}

/** The icon of an alert event: the status it reports (silence is the stale clock). */
export function alertEventStatus(event: string): Status {
  switch (event) {
    case "down":
      return "down";
    case "degraded":
    case "ssl_expiring":
      return "degraded";
    case "up":
    case "agent_online":
      return "ok";
    case "stale":
    case "agent_offline":
      return "stale";
    default:
      return "unknown";
  }
}

export const DELIVERY_LABEL: Record<DeliveryState, string> = {
  pending: "pending",
  sent: "sent",
  failed: "failed",
  skipped: "not configured",
};

export const TYPE_LABEL: Record<MonitorType, string> = {
  ping: "Ping",
  http: "HTTP",
  https: "HTTPS",
  ssl: "SSL",
  tcp: "TCP",
  dns: "DNS",
  heartbeat: "Heartbeat",
};

export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms < 1) return "<1 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

export function formatPercent(fraction: number | null | undefined, digits = 2): string {
  if (fraction === null || fraction === undefined) return "—";
  const value = fraction * 100;
  if (value === 100) return "100%";
  return `${value.toFixed(digits)}%`;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});
const dateTimeSeconds = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateOnly = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

export function formatDateTime(value: string | number | null | undefined, seconds = false): string {
  if (value === null || value === undefined) return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "—";
  return (seconds ? dateTimeSeconds : dateTime).format(date);
}

export function formatTime(value: number): string {
  return timeOnly.format(new Date(value));
}

export function formatDate(value: string | number): string {
  return dateOnly.format(new Date(value));
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function timeAgo(value: string | null | undefined, now = Date.now()): string {
  if (!value) return "never";
  const seconds = Math.max(0, Math.round((now - Date.parse(value)) / 1000));
  if (seconds < 10) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function formatInterval(seconds: number): string {
  if (seconds >= 86400 && seconds % 86400 === 0) return seconds === 86400 ? "1 day" : `${seconds / 86400} days`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** The units a period can be typed in (the heartbeat form's "Expected every"). */
export const PERIOD_UNITS = [
  { key: "seconds", label: "seconds", seconds: 1 },
  { key: "minutes", label: "minutes", seconds: 60 },
  { key: "hours", label: "hours", seconds: 3600 },
  { key: "days", label: "days", seconds: 86400 },
] as const;
export type PeriodUnit = (typeof PERIOD_UNITS)[number]["key"];

/** Seconds as the largest unit that divides them evenly: 86400 → [1, "days"], 90 → [90, "seconds"]. */
export function splitPeriod(seconds: number): [number, PeriodUnit] {
  for (const unit of [...PERIOD_UNITS].reverse()) {
    if (seconds >= unit.seconds && seconds % unit.seconds === 0) return [seconds / unit.seconds, unit.key];
  }
  return [seconds, "seconds"];
}

/** A number of a unit in seconds (null when not a number). */
export function periodSeconds(value: string, unit: PeriodUnit): number | null {
  if (value.trim() === "") return null;
  const n = Number(value);
  if (!Number.isFinite(n)) return null;
  const factor = PERIOD_UNITS.find((u) => u.key === unit)?.seconds ?? 1;
  return Math.round(n * factor);
}
