import { vi } from "vitest";
import type { BatchHistory, Bucket, HistoryColumns, Status } from "../src/lib/types";

export interface Call {
  method: string;
  url: string;
  path: string;
  body: unknown;
  headers: Headers;
}

/** The me-body of the default user: an admin. */
export const ADMIN = { id: 1, username: "admin", role: "admin", csrf_token: "csrf-admin-token", totp_enabled: false };
export const VIEWER = { id: 2, username: "vera", role: "viewer", csrf_token: "csrf-viewer-token", totp_enabled: false };

type Reply = unknown | [number, unknown] | ((call: Call) => unknown | [number, unknown]);

/**
 * Replaces fetch with canned API answers, keyed "METHOD /path" (query ignored) or "METHOD /path?query".
 * A reply is a body (200), a [status, body] pair, or a function of the call. Unknown routes answer 404.
 * GET /api/auth/me answers ADMIN unless the routes say otherwise.
 */
export function mockApi(given: Record<string, Reply>) {
  const routes: Record<string, Reply> = { "GET /api/auth/me": ADMIN, ...given };
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const method = (init?.method ?? "GET").toUpperCase();
    const path = url.split("?")[0];
    const call: Call = { method, url, path, body: init?.body ? JSON.parse(String(init.body)) : undefined, headers: new Headers(init?.headers) };
    calls.push(call);
    let reply = routes[`${method} ${url}`] ?? routes[`${method} ${path}`];
    if (typeof reply === "function") reply = (reply as (c: Call) => unknown)(call);
    let status = 200;
    let body = reply;
    if (reply === undefined) {
      status = 404;
      body = { error: "Not found." };
    } else if (Array.isArray(reply) && reply.length === 2 && typeof reply[0] === "number") {
      [status, body] = reply as [number, unknown];
    }
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    const retry = (body as { retry_after?: number } | null)?.retry_after;
    if (status === 429 && retry) headers["Retry-After"] = String(retry);
    return new Response(JSON.stringify(body), { status, headers });
  });
  vi.stubGlobal("fetch", fetchMock);
  return {
    calls,
    called: (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path),
  };
}

/** 288 empty buckets ending now, with ``fill`` applied to the last ones (oldest first). */
export function buckets(fill: Partial<{ ok: number; degraded: number; down: number; avg_latency_ms: number }>[] = [], count = 288): Bucket[] {
  const step = 15 * 60 * 1000;
  const last = Math.floor(Date.now() / step) * step;
  return Array.from({ length: count }, (_, i) => {
    const f = fill[i - (count - fill.length)] ?? {};
    const ok = f.ok ?? 0;
    const degraded = f.degraded ?? 0;
    const down = f.down ?? 0;
    const status: Status = down ? "down" : degraded ? "degraded" : ok ? "ok" : "unknown";
    return {
      start: new Date(last - (count - 1 - i) * step).toISOString().replace(".000Z", "Z"),
      ok,
      degraded,
      down,
      status,
      avg_latency_ms: f.avg_latency_ms ?? null,
    };
  });
}

/** The batch endpoint's columnar answer for monitors given as ``buckets()`` lists of one window. */
export function batch(monitors: Record<string, Bucket[]>): BatchHistory {
  const any = Object.values(monitors)[0] ?? buckets();
  const out: BatchHistory = { bucket_seconds: 900, starts: any.map((b) => b.start), monitors: {} };
  for (const [id, list] of Object.entries(monitors)) out.monitors[id] = columns(list);
  return out;
}

export function columns(list: Bucket[]): HistoryColumns {
  return {
    ok: list.map((b) => b.ok),
    degraded: list.map((b) => b.degraded),
    down: list.map((b) => b.down),
    avg_latency_ms: list.map((b) => b.avg_latency_ms),
  };
}
