// The 72-hour bars kept in compact typed arrays: 1,000 monitors × 288 buckets stay small in memory,
// draw fast, and a refresh merges a few recent buckets in place instead of refetching 72 hours.
import type { Bucket, CheckStatus, HistoryColumns } from "./types";

export const BUCKET_MS = 15 * 60 * 1000;
export const BUCKETS_72H = 72 * 4;

/** What a bar shows: a check status, or maintenance for a bucket of only in-window checks. */
export type BarStatus = CheckStatus | "maintenance";
export const STATUS_CODES: BarStatus[] = ["unknown", "ok", "degraded", "down", "maintenance"];

export interface Series {
  /** Epoch ms of the oldest bucket; bucket i starts at start + i * BUCKET_MS. */
  start: number;
  length: number;
  status: Uint8Array;
  ok: Uint32Array;
  degraded: Uint32Array;
  down: Uint32Array;
  /** Checks inside a maintenance window (not counted in uptime). */
  maintenance: Uint32Array;
  /** Average latency in ms; NaN where the bucket had no latency. */
  latency: Float64Array;
}

export interface BucketView {
  start: number;
  end: number;
  status: BarStatus;
  ok: number;
  degraded: number;
  down: number;
  maintenance: number;
  avgLatencyMs: number | null;
}

function empty(start: number, length: number): Series {
  return {
    start,
    length,
    status: new Uint8Array(length),
    ok: new Uint32Array(length),
    degraded: new Uint32Array(length),
    down: new Uint32Array(length),
    maintenance: new Uint32Array(length),
    latency: new Float64Array(length).fill(NaN),
  };
}

function set(series: Series, i: number, ok: number, degraded: number, down: number, latency: number | null, maintenance = 0) {
  series.status[i] = down ? 3 : degraded ? 2 : ok ? 1 : maintenance ? 4 : 0;
  series.maintenance[i] = maintenance;
  series.ok[i] = ok;
  series.degraded[i] = degraded;
  series.down[i] = down;
  series.latency[i] = latency ?? NaN;
}

function put(series: Series, i: number, b: Bucket) {
  set(series, i, b.ok, b.degraded, b.down, b.avg_latency_ms, b.maintenance ?? 0);
}

/** Bucket starts of a window of ``length`` buckets whose last one starts at ``lastStart``. */
function windowEnding(lastStart: number, length: number): Series {
  return empty(lastStart - (length - 1) * BUCKET_MS, length);
}

/** A series from the API's buckets (oldest first, every bucket present: only the ends are parsed). */
export function fromBuckets(buckets: Bucket[], length = buckets.length): Series {
  const last = buckets.length ? Date.parse(buckets[buckets.length - 1].start) : floorBucket(Date.now());
  const series = windowEnding(last, length);
  const offset = length - buckets.length;
  const contiguous = buckets.length > 0 && Date.parse(buckets[0].start) === last - (buckets.length - 1) * BUCKET_MS;
  for (let k = 0; k < buckets.length; k++) {
    const b = buckets[k];
    const i = contiguous ? offset + k : Math.round((Date.parse(b.start) - series.start) / BUCKET_MS);
    if (i >= 0 && i < length) put(series, i, b);
  }
  return series;
}

/** A series from one monitor's columns of the batch answer, whose first bucket starts at ``firstStart``. */
export function fromColumns(firstStart: number, columns: HistoryColumns, length = columns.ok.length): Series {
  const n = columns.ok.length;
  const series = windowEnding(firstStart + (n - 1) * BUCKET_MS, length);
  fold(series, firstStart, columns);
  return series;
}

function fold(series: Series, firstStart: number, columns: HistoryColumns) {
  const offset = Math.round((firstStart - series.start) / BUCKET_MS);
  const { ok, degraded, down, avg_latency_ms: latency, maintenance } = columns;
  for (let k = 0; k < ok.length; k++) {
    const i = offset + k;
    if (i >= 0 && i < series.length) set(series, i, ok[k], degraded[k], down[k], latency[k], maintenance?.[k] ?? 0);
  }
}

export function floorBucket(ms: number): number {
  return ms - (ms % BUCKET_MS);
}

/**
 * The series with recent columns folded in: a bucket already present is replaced, newer ones are
 * appended and the oldest drop off so the window keeps its length. Returns a new object (React state)
 * sharing nothing with the old one.
 */
export function merge(series: Series, firstStart: number, recent: HistoryColumns): Series {
  const n = recent.ok.length;
  if (!n) return series;
  const newest = firstStart + (n - 1) * BUCKET_MS;
  const out = windowEnding(Math.max(series.start + (series.length - 1) * BUCKET_MS, newest), series.length);
  const shift = Math.round((out.start - series.start) / BUCKET_MS);
  for (let i = 0; i < series.length; i++) {
    const j = i - shift;
    if (j < 0 || j >= series.length) continue;
    out.status[j] = series.status[i];
    out.ok[j] = series.ok[i];
    out.degraded[j] = series.degraded[i];
    out.down[j] = series.down[i];
    out.maintenance[j] = series.maintenance[i];
    out.latency[j] = series.latency[i];
  }
  fold(out, firstStart, recent);
  return out;
}

export function bucketAt(series: Series, i: number): BucketView {
  const start = series.start + i * BUCKET_MS;
  const latency = series.latency[i];
  return {
    start,
    end: start + BUCKET_MS,
    status: STATUS_CODES[series.status[i]],
    ok: series.ok[i],
    degraded: series.degraded[i],
    down: series.down[i],
    maintenance: series.maintenance[i],
    avgLatencyMs: Number.isNaN(latency) ? null : latency,
  };
}

/** Share of checks in the window that were not down, or null without checks. */
export function uptimeOf(series: Series): number | null {
  let up = 0;
  let all = 0;
  for (let i = 0; i < series.length; i++) {
    up += series.ok[i] + series.degraded[i];
    all += series.ok[i] + series.degraded[i] + series.down[i];
  }
  return all ? up / all : null;
}

/** Buckets per status, for the bar's text alternative. */
export function countByStatus(series: Series): Record<BarStatus, number> {
  const counts: Record<BarStatus, number> = { unknown: 0, ok: 0, degraded: 0, down: 0, maintenance: 0 };
  for (let i = 0; i < series.length; i++) counts[STATUS_CODES[series.status[i]]]++;
  return counts;
}

/** Split ids into groups of at most ``size`` (an ``ids=`` query must stay a short URL). */
export function chunk(ids: number[], size: number): number[][] {
  const groups = [];
  for (let i = 0; i < ids.length; i += size) groups.push(ids.slice(i, i + size));
  return groups;
}
