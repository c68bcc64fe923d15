// The dashboard's list at scale, as pure functions: which pages of rows a window of the list needs,
// which monitors' bars to fetch whole and which only to refresh. The hooks (useMonitorPages, useBars)
// hold the state and do the fetching; these decide.
import type { ListFilter, OverviewMonitor } from "./types";

/** Rows asked for per overview request: a screenful is about 10, so a page lasts a few screens. */
export const PAGE_SIZE = 100;
/** Lists this short render every row (the browser's find-in-page works); longer ones are windowed. */
export const RENDER_ALL_UP_TO = 100;
/** Rows rendered above and below the screen: keyboard focus and quick scrolling land on real rows. */
export const OVERSCAN = 6;
/** A row's height before it is measured (a desktop row is about this). */
export const ROW_ESTIMATE_PX = 105;
/** A cached bar older than this is fetched whole again: the 1-hour refresh would leave a gap. */
export const MERGE_MAX_AGE_MS = 45 * 60 * 1000;

/** Rows of one page, and the refresh they came with (older ones are shown, and fetched again). */
export interface RowPage {
  rows: OverviewMonitor[];
  generation: number;
}

/** The cache key of a filter: the same search and status share their pages. */
export function filterKey(filter: ListFilter): string {
  return `${filter.status}\u0000${filter.q.trim().toLowerCase()}`;
}

/** The pages holding rows ``first`` to ``last`` (inclusive); none for an empty range. */
export function pagesCovering(first: number, last: number, pageSize = PAGE_SIZE): number[] {
  if (last < first || last < 0) return [];
  const pages = [];
  for (let p = Math.floor(Math.max(0, first) / pageSize); p <= Math.floor(last / pageSize); p++) pages.push(p);
  return pages;
}

/** The row at ``index`` of the list, when its page is loaded. */
export function rowAt(pages: ReadonlyMap<number, RowPage>, index: number, pageSize = PAGE_SIZE): OverviewMonitor | undefined {
  return pages.get(Math.floor(index / pageSize))?.rows[index % pageSize];
}

/**
 * The pages a window needs fetched: missing ones, and ones from before the last refresh (``generation``),
 * unless already asked for. Consecutive pages are grouped into runs, each one request.
 */
export function pagesToLoad(
  pages: ReadonlyMap<number, RowPage>,
  first: number,
  last: number,
  generation: number,
  inFlight: ReadonlySet<number>,
  pageSize = PAGE_SIZE,
): number[][] {
  const wanted = pagesCovering(first, last, pageSize).filter((p) => !inFlight.has(p) && (pages.get(p)?.generation ?? -1) < generation);
  const runs: number[][] = [];
  for (const p of wanted) {
    const run = runs[runs.length - 1];
    if (run && run[run.length - 1] === p - 1) run.push(p);
    else runs.push([p]);
  }
  return runs;
}

/** Ids of the loaded rows from ``first`` to ``last``, in list order. */
export function idsInRange(pages: ReadonlyMap<number, RowPage>, first: number, last: number, pageSize = PAGE_SIZE): number[] {
  const ids = [];
  for (let i = Math.max(0, first); i <= last; i++) {
    const row = rowAt(pages, i, pageSize);
    if (row) ids.push(row.id);
  }
  return ids;
}

/** Of ``ids``, those with no bars yet and none on the way: fetched whole (72 hours). */
export function barsMissing(ids: number[], fetchedAt: ReadonlyMap<number, number>, inFlight: ReadonlySet<number>): number[] {
  return ids.filter((id) => !fetchedAt.has(id) && !inFlight.has(id));
}

/**
 * A refresh of the bars on screen: those fetched within ``maxAge`` take the last hour, folded in;
 * older or missing ones are fetched whole. Bars off screen are left as they are (cached, not refreshed).
 */
export function barsRefreshPlan(
  ids: number[],
  fetchedAt: ReadonlyMap<number, number>,
  inFlight: ReadonlySet<number>,
  now: number,
  maxAge = MERGE_MAX_AGE_MS,
): { whole: number[]; recent: number[] } {
  const whole: number[] = [];
  const recent: number[] = [];
  for (const id of ids) {
    if (inFlight.has(id)) continue;
    const at = fetchedAt.get(id);
    if (at !== undefined && now - at <= maxAge) recent.push(id);
    else whole.push(id);
  }
  return { whole, recent };
}

/**
 * The server's filter (GET /api/status/overview ``q`` and ``status``) for one row, used only on an
 * answer from a server that does not filter (one from before it could: every monitor, no ``matched``).
 */
export function matchesFilter(m: OverviewMonitor, filter: ListFilter): boolean {
  if (filter.status === "paused" ? m.enabled !== false : filter.status !== "all" && m.status !== filter.status) return false;
  const q = filter.q.trim().toLowerCase();
  if (!q) return true;
  const where = m.agent_id ? (m.agent_name ?? "") : "server";
  const shown = m.type === "heartbeat" ? "push" : m.target;
  return `${m.name}\n${shown}\n${m.type}\n${where}`.toLowerCase().includes(q);
}
