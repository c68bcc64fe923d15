// A small typed client for the admin API. Every failure becomes an ApiError carrying the API's
// readable message and its per-field messages (API.md: {"error", "fields"}).
import type {
  Agent,
  BatchHistory,
  ChannelResult,
  CheckOutcome,
  Defaults,
  Monitor,
  MonitorHistory,
  MonitorInput,
  Overview,
  PendingAgent,
  ResultsPage,
  Settings,
  Uptime,
  UptimePeriod,
} from "./types";

export class ApiError extends Error {
  status: number;
  fields: Record<string, string>;

  constructor(status: number, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fields = fields;
  }
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      signal,
      headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
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
    const err = (data ?? {}) as { error?: string; fields?: Record<string, string> };
    throw new ApiError(response.status, err.error ?? `The server answered ${response.status}.`, err.fields ?? {});
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
  results: (id: number, page: number, perPage: number) =>
    request<ResultsPage>("GET", `/api/monitors/${id}/results?page=${page}&per_page=${perPage}`),
  defaults: () => request<Defaults>("GET", "/api/monitors/defaults"),
  createMonitor: (input: MonitorInput) => request<Monitor>("POST", "/api/monitors", input),
  updateMonitor: (id: number, input: MonitorInput) => request<Monitor>("PUT", `/api/monitors/${id}`, input),
  deleteMonitor: (id: number) => request<unknown>("DELETE", `/api/monitors/${id}`),
  testUnsaved: (input: MonitorInput) => request<CheckOutcome>("POST", "/api/monitors/test", input),
  testSaved: (id: number) => request<CheckOutcome>("POST", `/api/monitors/${id}/test`),
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
};

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
