// Shapes of the admin API (../shared/API.md; the live contract is GET /api/openapi.json).

/** What one check, one result or one history bucket says. */
export type CheckStatus = "ok" | "degraded" | "down" | "unknown";
/**
 * What a monitor is now: a check's status, ``maintenance`` inside a maintenance window (whatever
 * its checks say), or ``stale`` when its location recorded nothing for 3
 * intervals plus the timeout (workers, beat or the agent not running). Computed by the server on read.
 */
export type Status = CheckStatus | "stale" | "maintenance";
export type MonitorType = "ping" | "http" | "https" | "ssl" | "tcp" | "dns" | "heartbeat";

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
/** The methods an HTTP check may send a body with (the API refuses one with GET, HEAD, OPTIONS). */
export const BODY_METHODS: readonly HttpMethod[] = ["POST", "PUT", "PATCH", "DELETE"];
export const DNS_RECORD_TYPES = ["A", "AAAA", "CNAME", "MX", "TXT", "NS"] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

/** An HTTP(S) monitor's request and assertions as read: defaults filled in, the password never. */
export interface HttpOptions {
  method: HttpMethod;
  headers: Record<string, string>;
  body: string | null;
  expected_status: string;
  follow_redirects: boolean;
  verify_tls: boolean;
  keyword: string | null;
  keyword_mode: "present" | "absent";
  json_path: string | null;
  json_expected: string | null;
  basic_auth: { username: string; password_set: boolean } | null;
}

/**
 * The same as sent: the password is write-only (left out: the stored one is kept; ``basic_auth:
 * null`` removes it). On PUT nested fields merge with the stored ones, so the form sends them all.
 */
export type HttpOptionsInput = Omit<HttpOptions, "basic_auth"> & { basic_auth: { username: string; password?: string } | null };

export interface DnsOptions {
  record_type: DnsRecordType;
  /** ``host``, ``host:port`` or ``[v6]:port``; null: the system resolver. */
  server: string | null;
  /** Values that must all be in the answer; null: any answer is OK. */
  expected: string[] | null;
}

export interface Thresholds {
  ok_ms: number | null;
  degraded_ms: number | null;
  ping_count: number | null;
  ssl_ok_days: number | null;
  ssl_warning_days: number | null;
}

export interface Monitor extends Partial<MonitorNotifications> {
  id: number;
  name: string;
  type: MonitorType;
  target: string;
  interval_seconds: number;
  timeout_seconds: number;
  enabled: boolean;
  agent_id: number | null;
  /** The agent's name (viewers can't list agents); null for the server. */
  agent_name?: string | null;
  thresholds: Thresholds;
  /** HTTP(S) monitors only (else null). */
  http?: HttpOptions | null;
  /** DNS monitors only (else null). */
  dns?: DnsOptions | null;
  /** Heartbeats: how late past the period a ping may be before the monitor is down. */
  grace_seconds?: number;
  /** Heartbeats: the secret URL the job calls (null for other types). */
  push_url?: string | null;
  /** Public badges (/badge/<key>/<kind>.svg) on or off. */
  badges?: boolean;
  /** The badge key while badges are on (else null). */
  badge_key?: string | null;
  /** The status badge's absolute URL while badges are on (else null). */
  badge_url?: string | null;
  status: Status;
  last_checked_at: string | null;
  last_latency_ms: number | null;
  last_details: string | null;
}

/**
 * A monitor as sent. ``timeout_seconds`` left out follows the interval (min(10, interval − 1));
 * a heartbeat's ``target`` is "" and its ``interval_seconds`` the period the job pings in.
 */
export type MonitorInput = Pick<Monitor, "name" | "type" | "target" | "enabled" | "agent_id" | "thresholds"> & {
  interval_seconds?: number;
  timeout_seconds?: number;
  http?: HttpOptionsInput | null;
  dns?: DnsOptions | null;
  grace_seconds?: number;
} & Partial<MonitorNotifications>;

export interface Defaults {
  ok_ms: number;
  degraded_ms: number;
  ping_count: number;
  ssl_ok_days: number;
  ssl_warning_days: number;
  interval_seconds: number;
  timeout_seconds: number;
  grace_seconds?: number;
}

export interface OverviewMonitor {
  id: number;
  name: string;
  type: MonitorType;
  target: string;
  status: Status;
  enabled?: boolean;
  last_checked_at: string | null;
  last_latency_ms: number | null;
  agent_id: number | null;
  agent_name?: string | null;
  /** Not in the overview today; a heartbeat's row shows its period when it is. */
  interval_seconds?: number;
}

export interface Overview {
  total: number;
  ok: number;
  degraded: number;
  down: number;
  unknown: number;
  stale: number;
  /** Monitors inside a maintenance window now. */
  maintenance?: number;
  monitors: OverviewMonitor[];
}

export interface Bucket {
  start: string;
  ok: number;
  degraded: number;
  down: number;
  /** Checks inside a maintenance window (counted apart); a bucket of only those is "maintenance". */
  maintenance?: number;
  status: CheckStatus | "maintenance";
  avg_latency_ms: number | null;
}

/** One monitor's bars in the batch answer: one entry per bucket of ``BatchHistory.starts``. */
export interface HistoryColumns {
  ok: number[];
  degraded: number[];
  down: number[];
  /** Checks inside a maintenance window (newer servers). */
  maintenance?: number[];
  avg_latency_ms: (number | null)[];
}

/** GET /api/monitors/history: columnar, so 1,000 monitors × 288 buckets stay a few MB. */
export interface BatchHistory {
  bucket_seconds: number;
  starts: string[];
  monitors: Record<string, HistoryColumns>;
}

export interface MonitorHistory {
  bucket_seconds: number;
  buckets: Bucket[];
}

export interface CheckOutcome {
  status: CheckStatus;
  latency_ms: number | null;
  details: string;
  days_left?: number | null;
  checked_at: string;
  duration_ms?: number;
}

export interface ResultRow {
  id: number;
  checked_at: string;
  status: CheckStatus;
  latency_ms: number | null;
  details: string;
  agent_id: number | null;
}

export interface ResultsPage {
  items: ResultRow[];
  page: number;
  per_page: number;
  total: number;
}

export type UptimePeriod = "24h" | "week" | "month" | "90d" | "year";

/** GET /api/monitors/<id>/uptime: by ``period``, or between ``from`` and ``to`` (whole UTC days). */
export interface Uptime {
  /** Set for a period; a from/to span has from, to, first_day and last_day instead. */
  period?: UptimePeriod;
  from?: string;
  to?: string;
  first_day?: string;
  last_day?: string;
  uptime: number | null;
  checks?: number;
  /** Results inside maintenance windows (counted neither way). */
  maintenance?: number;
  bucket_seconds?: number;
  buckets: { start: string; uptime: number | null; checks: number }[];
}

export interface Agent {
  id: number;
  uuid: string;
  name: string;
  approved: boolean;
  address?: string | null;
  last_seen_at: string | null;
  online: boolean;
  monitor_count: number;
}

/** The events ``GET /api/alerts`` knows; an unknown one is shown as it comes. */
export type AlertEventKind = "down" | "degraded" | "up" | "ssl_expiring" | "stale" | "agent_offline" | "agent_online";
/** Per channel: sent, failed (gave up), skipped (channel not configured) or pending (still trying). */
export type DeliveryState = "pending" | "sent" | "failed" | "skipped";

/**
 * One alert event (``GET /api/alerts``, newest first). For ``agent_offline`` / ``agent_online``
 * ``type`` is "agent", ``monitor`` the agent's name and ``monitor_id`` null.
 */
export interface AlertEvent {
  id: number;
  monitor_id: number | null;
  monitor: string;
  type: MonitorType | "agent" | (string & {});
  target: string;
  event: AlertEventKind | (string & {});
  details: string;
  agent_id: number | null;
  agent: string;
  created_at: string;
  webhook_state: DeliveryState | (string & {});
  email_state: DeliveryState | (string & {});
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  /** Per channel (newer servers); without it, webhook_state and email_state are all there is. */
  deliveries?: Delivery[];
}

export interface PendingAgent {
  uuid: string;
  name: string;
  address: string | null;
  first_seen_at: string;
  last_seen_at: string;
}

export interface MonitoringSettings {
  ok_ms: number;
  degraded_ms: number;
  ping_count: number;
  ssl_ok_days: number;
  ssl_warning_days: number;
}

export interface AlertSettings {
  alert_type: "once" | "repeated" | "none";
  repeat_minutes: number;
  alert_on_restored: boolean;
  include_history: "event" | "24h";
  webhook_url: string;
  smtp_host: string;
  smtp_port: number;
  smtp_username: string;
  smtp_password_set: boolean;
  smtp_use_tls: boolean;
  smtp_from: string;
  alert_email: string;
}

export interface AgentSettings {
  allowed_agent_uuids: string[];
  shared_secret_set: boolean;
}

export interface Settings {
  monitoring: MonitoringSettings;
  alerts: AlertSettings;
  agents: AgentSettings;
}

export interface ChannelResult {
  ok: boolean;
  error: string | null;
  skipped: boolean;
}

// Access control (accounts, sessions, API tokens, two-factor, audit).

export type Role = "admin" | "viewer";

/** GET /api/auth/me (and the answer of login and setup): who is signed in, and the CSRF token for writes. */
export interface Me {
  id: number;
  username: string;
  role: Role;
  csrf_token: string;
  totp_enabled: boolean;
}

export interface User {
  id: number;
  username: string;
  role: Role;
  active: boolean;
  totp_enabled: boolean;
  created_at: string;
  last_login_at: string | null;
}

export type UserChange = Partial<{ role: Role; password: string; active: boolean; totp_enabled: false }>;

export type TokenScope = "read" | "write";

export interface ApiToken {
  id: number;
  name: string;
  scope: TokenScope;
  owner: string | null;
  owner_id: number | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

/** The answer of POST /api/tokens: the only time the secret is shown. */
export interface NewApiToken extends ApiToken {
  token: string;
}

export interface TotpSetup {
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  user: string | null;
  address: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditPage {
  items: AuditEntry[];
  next_before: number | null;
}

// Status pages (public /status/<slug>) and their announcements.

export interface StatusPageMonitor {
  monitor_id: number;
  /** Shown instead of the monitor's name; null: the monitor's name. */
  display_name: string | null;
  show_target: boolean;
}

export interface StatusPageGroup {
  name: string;
  monitors: StatusPageMonitor[];
}

export interface StatusPageInput {
  slug: string;
  title: string;
  description: string;
  logo_url: string | null;
  groups: StatusPageGroup[];
}

export interface StatusPage extends StatusPageInput {
  id: number;
  /** The public address, "/status/<slug>". */
  url: string;
  created_at: string;
  updated_at: string;
}

export type AnnouncementSeverity = "info" | "warning" | "critical" | "maintenance";

export interface AnnouncementInput {
  title: string;
  /** Markdown (rendered without raw HTML on the public page). */
  body: string;
  severity: AnnouncementSeverity;
  /** Omitted: now. */
  starts_at?: string | null;
  /** null: until deleted. */
  ends_at: string | null;
}

export interface Announcement extends AnnouncementInput {
  id: number;
  page_id: number;
  starts_at: string;
  created_at: string;
}

// Maintenance windows (/api/maintenance).

export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

/** A recurring window: ``cron`` (5 fields, local time) or ``weekdays`` + ``time`` ("HH:MM"), in ``timezone``. */
export interface MaintenanceRecurrence {
  cron?: string;
  weekdays?: Weekday[];
  time?: string;
  duration_minutes: number;
  timezone: string;
}

export interface MaintenanceInput {
  title: string;
  /** null with ``all_monitors``. */
  monitor_ids: number[] | null;
  all_monitors: boolean;
  /** One-off windows; null for recurring ones. */
  start: string | null;
  end: string | null;
  recurrence: MaintenanceRecurrence | null;
}

export interface MaintenanceWindow extends MaintenanceInput {
  id: number;
  /** Inside the window now. */
  active: boolean;
  /** The next occurrences (up to 3; the current one first while active). */
  next: { start: string; end: string }[];
  created_at: string;
  updated_at: string;
}

// Notification channels (issue 14; docs/channels-contract.md).

export type ChannelKind = "webhook" | "email" | "apprise";
/** The events a channel can be given; a channel gets the subset it lists. */
export type ChannelEvent = "down" | "degraded" | "up" | "ssl_expiring";
export const CHANNEL_EVENTS: readonly ChannelEvent[] = ["down", "degraded", "up", "ssl_expiring"];
/** ok; failing: retrying; failed: gave up after 24 h of retries; unused: nothing sent yet. */
export type ChannelHealthState = "ok" | "failing" | "failed" | "unused";

export interface ChannelHealth {
  state: ChannelHealthState | (string & {});
  last_sent_at: string | null;
  last_error: string | null;
  failed_at: string | null;
}

/** webhook and apprise: ``url`` (answered masked); email: ``to`` (comma-separated, not masked). */
export interface ChannelConfig {
  url?: string;
  to?: string;
}

export interface Channel {
  id: number;
  name: string;
  kind: ChannelKind;
  config: ChannelConfig;
  events: ChannelEvent[];
  default: boolean;
  monitor_count: number;
  /** The service's name ("Slack", "Webhook", "Email", …). */
  service: string;
  /** The two channels mirrored from Settings > Alerts say which; else null. */
  from_settings: "webhook" | "email" | null;
  health: ChannelHealth;
  created_at: string;
  updated_at: string;
}

/** A channel as sent: a ``config.url`` equal to the masked one keeps the stored secret. */
export interface ChannelInput {
  name: string;
  kind: ChannelKind;
  config: ChannelConfig;
  events: ChannelEvent[];
  default: boolean;
  /** On create: also give it to every existing monitor. */
  apply_to_existing?: boolean;
}

/** POST /api/channels/test and /api/channels/<id>/test: whether the service accepted the message. */
export interface ChannelTestResult {
  ok: boolean;
  error: string | null;
}

/** One alert event's delivery to one channel (``channel_id`` null once the channel is deleted). */
export interface Delivery {
  channel_id: number | null;
  channel: string;
  kind: ChannelKind | (string & {});
  state: DeliveryState | (string & {});
  attempts: number;
  last_error: string | null;
  sent_at: string | null;
}

/** A monitor's channels and its alert policy; null follows Settings > Alerts. */
export interface MonitorNotifications {
  channel_ids: number[];
  alert_type: "once" | "repeated" | "none" | null;
  repeat_minutes: number | null;
  alert_on_restored: boolean | null;
  /** Alert only after this many consecutive failing checks (1–20). */
  confirm_checks: number;
}

// --- The dashboard at 10,000 monitors (issue 15): the overview filtered and paged on the server ---

/** What the list filters by: a status, or "paused" (monitors turned off). */
export type ListStatus = Status | "paused";

/** The dashboard list's filter, sent to the server as ``q`` and ``status``. */
export interface ListFilter {
  q: string;
  status: ListStatus | "all";
}

/** GET /api/status/overview with q, status, limit or offset: a page of the matching monitors. */
export interface OverviewPage extends Overview {
  /** Monitors turned off (their status reads as it was, usually unknown). */
  paused?: number;
  /** Monitors matching q and status: the length of the list this page is part of. */
  matched: number;
  offset: number;
  limit: number | null;
}

/** An overview page's counts without its monitors. */
export type OverviewSummary = Omit<OverviewPage, "monitors">;
