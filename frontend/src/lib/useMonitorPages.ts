import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "./api";
import { metrics } from "./metrics";
import { PAGE_SIZE, filterKey, matchesFilter, pagesCovering, pagesToLoad, type RowPage } from "./monitorWindow";
import type { ListFilter, OverviewMonitor, OverviewPage, OverviewSummary } from "./types";

/** Pages asked for in one request at most (a fast scroll may need a few at once). */
const MAX_PAGES_PER_REQUEST = 3;

interface State {
  /** The filter these pages belong to (filterKey); "" before the first answer. */
  key: string;
  pages: Map<number, RowPage>;
  summary: OverviewSummary | null;
}

export interface MonitorPages {
  /** Every monitor's counts and how many match the filter; null until the first answer. */
  summary: OverviewSummary | null;
  pages: ReadonlyMap<number, RowPage>;
  /** The pages shown belong to an older filter: the new one's first page is on its way. */
  stale: boolean;
  /** Fetches the pages rows ``first`` to ``last`` need (missing, or from before the last refresh). */
  ensure: (first: number, last: number) => void;
  /** Fetches those rows' pages again, with fresh counts; every other page is fetched again when next shown. */
  refresh: (first: number, last: number) => Promise<void>;
}

/**
 * An answer as this list reads it. A server from before it could filter answers every monitor and
 * no ``matched``: the filter and the page are then applied here.
 */
export function pageOf(answer: OverviewPage, filter: ListFilter, offset: number, limit: number): { rows: OverviewMonitor[]; summary: OverviewSummary } {
  const { monitors, ...summary } = answer;
  if (summary.matched !== undefined) return { rows: monitors, summary };
  const matching = monitors.filter((m) => matchesFilter(m, filter));
  return { rows: matching.slice(offset, offset + limit), summary: { ...summary, matched: matching.length, offset, limit } };
}

/**
 * The dashboard list's rows, a page of PAGE_SIZE at a time from the server's filtered overview,
 * kept per filter: only the pages a window of the list needs are fetched. A new filter keeps the
 * old rows on screen until its first page arrives (handed to ``onFirstPage`` as it arrives).
 */
export function useMonitorPages(filter: ListFilter, onError: (err: unknown) => void, onFirstPage?: (rows: OverviewMonitor[]) => void): MonitorPages {
  const key = filterKey(filter);
  const [state, setState] = useState<State>({ key: "", pages: new Map(), summary: null });
  const stateRef = useRef(state);
  stateRef.current = state;
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const wanted = useRef(key);
  wanted.current = key;
  const onErrorRef = useRef(onError);
  onErrorRef.current = onError;
  const onFirstPageRef = useRef(onFirstPage);
  onFirstPageRef.current = onFirstPage;
  const generation = useRef(0);
  const inFlight = useRef(new Set<number>());
  // Counts come with every page; the answer to the latest request wins.
  const sent = useRef(0);
  const summarised = useRef(0);

  const fetchRun = useCallback(async (run: number[], gen: number) => {
    const forKey = wanted.current;
    const flying = inFlight.current;
    const seq = ++sent.current;
    run.forEach((p) => flying.add(p));
    try {
      const [filter, offset, limit] = [filterRef.current, run[0] * PAGE_SIZE, run.length * PAGE_SIZE];
      const answer = pageOf(await api.overviewPage(filter, offset, limit), filter, offset, limit);
      const m = metrics();
      m.overviewRequests = (m.overviewRequests ?? 0) + 1;
      if (wanted.current !== forKey) return;
      const newest = seq > summarised.current;
      if (newest) summarised.current = seq;
      // A filter's first page: its caller may start on the rows' bars before they are even drawn.
      if (run[0] === 0 && stateRef.current.key !== forKey) onFirstPageRef.current?.(answer.rows);
      setState((prev) => {
        const pages = prev.key === forKey ? new Map(prev.pages) : new Map<number, RowPage>();
        run.forEach((p, i) => pages.set(p, { rows: answer.rows.slice(i * PAGE_SIZE, (i + 1) * PAGE_SIZE), generation: gen }));
        const summary = newest || prev.key !== forKey || !prev.summary ? answer.summary : prev.summary;
        return { key: forKey, pages, summary };
      });
    } finally {
      run.forEach((p) => flying.delete(p));
    }
  }, []);

  // A new filter: its first page (the list starts at its top again).
  useEffect(() => {
    inFlight.current = new Set();
    fetchRun([0], generation.current).catch((err) => onErrorRef.current(err));
  }, [key, fetchRun]);

  const ensure = useCallback(
    (first: number, last: number) => {
      const current = stateRef.current;
      if (current.key !== wanted.current) return; // the new filter's first page is on its way
      for (const run of pagesToLoad(current.pages, first, last, generation.current, inFlight.current)) {
        for (let i = 0; i < run.length; i += MAX_PAGES_PER_REQUEST) {
          fetchRun(run.slice(i, i + MAX_PAGES_PER_REQUEST), generation.current).catch((err) => onErrorRef.current(err));
        }
      }
    },
    [fetchRun],
  );

  const refresh = useCallback(
    async (first: number, last: number) => {
      const pages = pagesCovering(first, last);
      generation.current += 1;
      await fetchRun(pages.length ? pages.slice(0, MAX_PAGES_PER_REQUEST) : [0], generation.current);
    },
    [fetchRun],
  );

  return { summary: state.summary, pages: state.pages, stale: state.key !== key, ensure, refresh };
}
