// A small typed client for the admin API. Every failure becomes an ApiError carrying the API's
// readable message, its per-field messages and its machine-readable code (API.md:
// {"error", "fields"?, "code"?}). Writes carry the session's CSRF token; a 401 that means "signed
// out" (or "no account yet") is also reported to the auth layer, which shows the sign-in page.
import type {
  Agent,
  AlertEvent,
  Announcement,
  AnnouncementInput,
  ApiToken,
  AuditPage,
  BatchHistory,
  ChannelResult,
  MaintenanceInput,
  MaintenanceWindow,
  CheckOutcome,
  Defaults,
  Me,
  Monitor,
  MonitorHistory,
  MonitorInput,
  NewApiToken,
  Overview,
  PendingAgent,
  ResultsPage,
  Role,
  Settings,
  StatusPage,
  StatusPageInput,
  TokenScope,
  TotpSetup,
  Uptime,
  UptimePeriod,
  User,
  UserChange,
} from "./types";
import type { Channel, ChannelInput, ChannelTestResult } from "./types";
import type { ListFilter, OverviewPage } from "./types";

export class ApiError extends Error {
  status: number;
  fields: Record<string, string>;
  /** The API's machine-readable reason, e.g. "login_required", "totp_required", "last_admin". */
  code?: string;
  /** Seconds to wait, from a 429's Retry-After header. */
  retryAfter?: number;

  constructor(status: number, message: string, fields: Record<string, string> = {}, code?: string, retryAfter?: number) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fields = fields;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** The codes of a 401 that end the signed-in state. */
export type SignedOutCode = "login_required" | "setup_required";

/**
 * What the auth layer hears from any request: signed out (401), the session changed under this
 * tab (a sign-in in another tab replaced the cookie: the CSRF token was refreshed and the write
 * retried), or a 403 "forbidden" (the role may have changed since the page loaded).
 */
export type AuthEvent = { type: "signed_out"; code: SignedOutCode } | { type: "session"; me: Me } | { type: "forbidden" };

let csrfToken: string | null = null;
let authListener: ((event: AuthEvent) => void) | null = null;

/** The token sent as X-CSRF-Token with every write (from the me, login or setup answer; null when signed out). */
export function setCsrfToken(token: string | null) {
  csrfToken = token;
}

export function onAuthEvent(listener: ((event: AuthEvent) => void) | null) {
  authListener = listener;
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal, retried = false): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const write = method !== "GET" && method !== "HEAD";
  if (write) {
    // Always JSON, with {} for a bodiless write: the server refuses a write of any other type.
    headers["Content-Type"] = "application/json";
    if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      signal,
      headers,
      credentials: "same-origin",
      body: write ? JSON.stringify(body ?? {}) : undefined,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "The server did not answer. Is OnlineTracker running?");
  }
  let data: unknown = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const err = (data ?? {}) as { error?: string; fields?: Record<string, string>; code?: string };
    const retry = Number(response.headers.get("Retry-After"));
    const error = new ApiError(
      response.status,
      err.error ?? `The server answered ${response.status}.`,
      err.fields ?? {},
      err.code,
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    );
    if (response.status === 401 && (err.code === "login_required" || err.code === "setup_required")) {
      authListener?.({ type: "signed_out", code: err.code });
    } else if (response.status === 403 && err.code === "csrf" && write && !retried) {
      // Refused before it ran: safe to send again once with the current session's token.
      const me = await request<Me>("GET", "/api/auth/me").catch(() => null);
      if (me?.csrf_token) {
        csrfToken = me.csrf_token;
        authListener?.({ type: "session", me });
        return request<T>(method, path, body, signal, true);
      }
    } else if (response.status === 403 && err.code === "forbidden") {
      authListener?.({ type: "forbidden" });
    }
    throw error;
  }
  return data as T;
}

export const api = {
  overview: (signal?: AbortSignal) => request<Overview>("GET", "/api/status/overview", undefined, signal),
  history: (hours: number, ids?: number[], signal?: AbortSignal) =>
    request<BatchHistory>(
      "GET",
      `/api/monitors/history?hours=${hours}${ids ? `&ids=${ids.join(",")}` : ""}`,
      undefined,
      signal,
    ),
  monitor: (id: number) => request<Monitor>("GET", `/api/monitors/${id}`),
  monitorHistory: (id: number, hours = 72) =>
    request<MonitorHistory>("GET", `/api/monitors/${id}/history?hours=${hours}`),
  uptime: (id: number, period: UptimePeriod) =>
    request<Uptime>("GET", `/api/monitors/${id}/uptime?period=${period}`),
  /** Uptime between two instants (ISO; whole UTC days from the daily rollups, at most 800 days). */
  uptimeSpan: (id: number, from: string, to: string) =>
    request<Uptime>("GET", `/api/monitors/${id}/uptime?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`),
  results: (id: number, page: number, perPage: number) =>
    request<ResultsPage>("GET", `/api/monitors/${id}/results?page=${page}&per_page=${perPage}`),
  defaults: () => request<Defaults>("GET", "/api/monitors/defaults"),
  createMonitor: (input: MonitorInput) => request<Monitor>("POST", "/api/monitors", input),
  updateMonitor: (id: number, input: MonitorInput) => request<Monitor>("PUT", `/api/monitors/${id}`, input),
  deleteMonitor: (id: number) => request<unknown>("DELETE", `/api/monitors/${id}`),
  testUnsaved: (input: MonitorInput) => request<CheckOutcome>("POST", "/api/monitors/test", input),
  testSaved: (id: number) => request<CheckOutcome>("POST", `/api/monitors/${id}/test`),
  /** Heartbeats: a new secret push URL (the old one stops working at once); answers the monitor. */
  regeneratePushUrl: (id: number) => request<Monitor>("POST", `/api/monitors/${id}/push-token`),
  /** Badges on or off (a partial PUT); answers the monitor with its badge_url when on. */
  setBadges: (id: number, badges: boolean) => request<Monitor>("PUT", `/api/monitors/${id}`, { badges }),
  /** A new badge key: the old badge URLs answer 404 at once; answers the monitor. */
  regenerateBadgeKey: (id: number) => request<Monitor>("POST", `/api/monitors/${id}/badge-key`),
  agents: () => request<Agent[]>("GET", "/api/agents"),
  setAgentApproved: (id: number, approved: boolean) =>
    request<Agent>("PUT", `/api/agents/${id}/approve`, { approved }),
  deleteAgent: (id: number) => request<unknown>("DELETE", `/api/agents/${id}`),
  pendingAgents: () => request<PendingAgent[]>("GET", "/api/agents/pending"),
  approvePending: (uuid: string) =>
    request<unknown>("POST", `/api/agents/pending/${encodeURIComponent(uuid)}/approve`),
  dismissPending: (uuid: string) => request<unknown>("DELETE", `/api/agents/pending/${encodeURIComponent(uuid)}`),
  settings: () => request<Settings>("GET", "/api/settings"),
  updateSettings: (partial: Record<string, Record<string, unknown>>) =>
    request<Settings>("PUT", "/api/settings", partial),
  testAlerts: () => request<Record<string, ChannelResult>>("POST", "/api/settings/alerts/test"),
  alerts: (limit = 50) => request<{ items: AlertEvent[] }>("GET", `/api/alerts?limit=${limit}`),

  // Access control
  me: () => request<Me>("GET", "/api/auth/me"),
  setup: (username: string, password: string, setupCode: string) =>
    request<Me>("POST", "/api/auth/setup", { username, password, setup_code: setupCode }),
  login: (username: string, password: string, totp?: string) =>
    request<Me>("POST", "/api/auth/login", totp === undefined ? { username, password } : { username, password, totp }),
  logout: () => request<unknown>("POST", "/api/auth/logout"),
  changePassword: (currentPassword: string, newPassword: string) =>
    request<Partial<Me> | null>("PUT", "/api/auth/password", { current_password: currentPassword, new_password: newPassword }),
  beginTotp: () => request<TotpSetup>("POST", "/api/auth/totp"),
  confirmTotp: (code: string) => request<{ recovery_codes: string[] }>("POST", "/api/auth/totp/confirm", { code }),
  disableTotp: (password: string) => request<unknown>("DELETE", "/api/auth/totp", { password }),
  users: () => request<User[]>("GET", "/api/users"),
  createUser: (username: string, password: string, role: Role) => request<User>("POST", "/api/users", { username, password, role }),
  updateUser: (id: number, change: UserChange) => request<User>("PUT", `/api/users/${id}`, change),
  deleteUser: (id: number) => request<unknown>("DELETE", `/api/users/${id}`),
  endSessions: (id: number) => request<{ ended: number }>("DELETE", `/api/users/${id}/sessions`),
  tokens: () => request<ApiToken[]>("GET", "/api/tokens"),
  createToken: (name: string, scope: TokenScope, expiresAt: string | null) =>
    request<NewApiToken>("POST", "/api/tokens", expiresAt ? { name, scope, expires_at: expiresAt } : { name, scope }),
  revokeToken: (id: number) => request<unknown>("DELETE", `/api/tokens/${id}`),
  // Maintenance windows
  maintenanceWindows: () => request<MaintenanceWindow[]>("GET", "/api/maintenance"),
  createMaintenance: (input: MaintenanceInput) => request<MaintenanceWindow>("POST", "/api/maintenance", input),
  deleteMaintenance: (id: number) => request<unknown>("DELETE", `/api/maintenance/${id}`),

  // Status pages
  statusPages: () => request<StatusPage[]>("GET", "/api/status-pages"),
  createStatusPage: (input: StatusPageInput) => request<StatusPage>("POST", "/api/status-pages", input),
  updateStatusPage: (id: number, input: StatusPageInput) => request<StatusPage>("PUT", `/api/status-pages/${id}`, input),
  deleteStatusPage: (id: number) => request<unknown>("DELETE", `/api/status-pages/${id}`),
  announcements: (pageId: number) => request<Announcement[]>("GET", `/api/status-pages/${pageId}/announcements`),
  createAnnouncement: (pageId: number, input: AnnouncementInput) =>
    request<Announcement>("POST", `/api/status-pages/${pageId}/announcements`, input),
  updateAnnouncement: (pageId: number, id: number, input: AnnouncementInput) =>
    request<Announcement>("PUT", `/api/status-pages/${pageId}/announcements/${id}`, input),
  deleteAnnouncement: (pageId: number, id: number) =>
    request<unknown>("DELETE", `/api/status-pages/${pageId}/announcements/${id}`),
  audit: (before: number | null, limit = 50) =>
    request<AuditPage>("GET", `/api/audit?limit=${limit}${before !== null ? `&before=${before}` : ""}`),

  // Notification channels (issue 14)
  channels: () => request<{ items: Channel[] }>("GET", "/api/channels"),
  createChannel: (input: ChannelInput) => request<Channel>("POST", "/api/channels", input),
  updateChannel: (id: number, input: ChannelInput) => request<Channel>("PUT", `/api/channels/${id}`, input),
  deleteChannel: (id: number) => request<unknown>("DELETE", `/api/channels/${id}`),
  /** Sends a test message through an unsaved channel. */
  testChannel: (input: ChannelInput) => request<ChannelTestResult>("POST", "/api/channels/test", input),
  /** Through a saved channel, with the form's unsaved edits when given (a masked URL keeps the secret). */
  testSavedChannel: (id: number, input?: ChannelInput) => request<ChannelTestResult>("POST", `/api/channels/${id}/test`, input),

  // The dashboard at 10,000 monitors (issue 15)
  /** ``limit`` monitors from ``offset`` of those matching the filter, with every monitor's counts. */
  overviewPage: (filter: ListFilter, offset: number, limit: number, signal?: AbortSignal) =>
    request<OverviewPage>("GET", `/api/status/overview?${overviewQuery(filter, offset, limit)}`, undefined, signal),
};

/** The overview's query string for one page of the list: q and status only when they filter. */
export function overviewQuery(filter: ListFilter, offset: number, limit: number): string {
  const params = new URLSearchParams();
  const q = filter.q.trim();
  if (q) params.set("q", q);
  if (filter.status !== "all") params.set("status", filter.status);
  params.set("limit", String(limit));
  params.set("offset", String(offset));
  return params.toString();
}

/** Per-field messages of one section, with the "<section>." prefix taken off. */
export function fieldsOf(err: unknown, prefix = ""): Record<string, string> {
  if (!(err instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  for (const [key, message] of Object.entries(err.fields)) {
    if (!prefix) out[key] = message;
    else if (key.startsWith(prefix)) out[key.slice(prefix.length)] = message;
  }
  return out;
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
