import { useCallback, useRef, useState } from "react";
import { api } from "./api";
import { metrics } from "./metrics";
import { barsMissing, barsRefreshPlan } from "./monitorWindow";
import { BUCKETS_72H, chunk, fromColumns, merge, type Series } from "./series";
import type { BatchHistory, HistoryColumns } from "./types";

/** Ids per history request, so a URL stays short. */
const IDS_PER_REQUEST = 300;

export interface Bars {
  series: ReadonlyMap<number, Series>;
  /** 72 hours of bars for those of ``ids`` not yet fetched (scrolling back fetches nothing again). */
  load: (ids: number[]) => Promise<void>;
  /** The bars of ``ids`` (those on screen) brought up to date: the last hour folded in, or 72 hours anew. */
  refresh: (ids: number[]) => Promise<void>;
}

function counted(data: BatchHistory): BatchHistory {
  const m = metrics();
  m.historyRequests = (m.historyRequests ?? 0) + 1;
  return data;
}

/** The 72-hour bars of the monitors the dashboard shows, cached by monitor id. */
export function useBars(): Bars {
  const [series, setSeries] = useState<Map<number, Series>>(new Map());
  /** When each monitor's bars were last complete up to now. */
  const fetchedAt = useRef(new Map<number, number>());
  const inFlight = useRef(new Set<number>());

  /**
   * One history request: each monitor's answer folded into its bars by ``fold``. The ids are marked as
   * on their way meanwhile, so that nothing asks for them twice.
   */
  const fetchBars = useCallback(async (hours: number, ids: number[], fold: (old: Series | undefined, first: number, columns: HistoryColumns) => Series | undefined) => {
    ids.forEach((id) => inFlight.current.add(id));
    try {
      const at = Date.now();
      const data = counted(await api.history(hours, ids));
      ids.forEach((id) => fetchedAt.current.set(id, at));
      if (!data.starts.length) return;
      const first = Date.parse(data.starts[0]);
      setSeries((prev) => {
        const copy = new Map(prev);
        for (const [key, columns] of Object.entries(data.monitors)) {
          const next = fold(prev.get(Number(key)), first, columns);
          if (next) copy.set(Number(key), next);
        }
        return copy;
      });
    } finally {
      ids.forEach((id) => inFlight.current.delete(id));
    }
  }, []);

  const whole = useCallback(
    async (ids: number[]) => {
      for (const group of chunk(ids, IDS_PER_REQUEST)) await fetchBars(72, group, (_, first, columns) => fromColumns(first, columns, BUCKETS_72H));
    },
    [fetchBars],
  );
  const recent = useCallback((ids: number[]) => fetchBars(1, ids, (old, first, columns) => old && merge(old, first, columns)), [fetchBars]);

  const load = useCallback(
    async (ids: number[]) => {
      const missing = barsMissing(ids, fetchedAt.current, inFlight.current);
      if (missing.length) await whole(missing);
    },
    [whole],
  );

  const refresh = useCallback(
    async (ids: number[]) => {
      const plan = barsRefreshPlan(ids, fetchedAt.current, inFlight.current, Date.now());
      await Promise.all([plan.whole.length ? whole(plan.whole) : null, plan.recent.length ? recent(plan.recent) : null]);
    },
    [whole, recent],
  );

  return { series, load, refresh };
}
