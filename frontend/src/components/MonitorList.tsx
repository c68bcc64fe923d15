import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import type { CSSProperties, FocusEvent } from "react";
import { Link } from "react-router";
import { defaultRangeExtractor, useWindowVirtualizer, type Range } from "@tanstack/react-virtual";
import type { OverviewMonitor } from "../lib/types";
import { uptimeOf, type Series } from "../lib/series";
import { OVERSCAN, RENDER_ALL_UP_TO, ROW_ESTIMATE_PX } from "../lib/monitorWindow";
import { TYPE_LABEL, formatInterval, formatLatency, formatPercent, timeAgo } from "../lib/format";
import { BarAxis, HistoryBar, incidents } from "./HistoryBar";
import { StatusBadge } from "./StatusBadge";

interface Props {
  /** Rows in the list (the monitors matching the filter), loaded or not. */
  count: number;
  rowAt: (index: number) => OverviewMonitor | undefined;
  series: ReadonlyMap<number, Series>;
  agentOf: (m: OverviewMonitor) => string;
  /** The rows rendered (on screen and the overscan), whenever they change. */
  onRange: (first: number, last: number) => void;
}

/**
 * The dashboard's monitors as a list windowed over the page's own scrolling: only the rows on
 * screen and a few either side are in the DOM, at their place in a list as tall as all of them.
 * Each row says its place (aria-posinset of aria-setsize) to screen readers; the row holding
 * keyboard focus stays rendered when scrolled away. Lists of up to RENDER_ALL_UP_TO rows render whole.
 */
export function MonitorList({ count, rowAt, series, agentOf, onRange }: Props) {
  const listRef = useRef<HTMLUListElement>(null);
  const [scrollMargin, setScrollMargin] = useState(0);
  const focused = useRef<number | null>(null);
  const contiguous = useRef<[number, number]>([0, -1]);
  const renderAll = count <= RENDER_ALL_UP_TO;
  const overscan = renderAll ? count : OVERSCAN;

  const rangeExtractor = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      contiguous.current = indexes.length ? [indexes[0], indexes[indexes.length - 1]] : [0, -1];
      const f = focused.current;
      if (f !== null && f < range.count && !indexes.includes(f)) return [...indexes, f].sort((a, b) => a - b);
      return indexes;
    },
    [],
  );
  // Rows not drawn yet are taken to be as tall as one drawn (rows are one height on a screen; the
  // very first lacks its top line), so a jump far down lands where the row will be.
  const [rowPx, setRowPx] = useState(ROW_ESTIMATE_PX);
  const estimateSize = useCallback(() => rowPx, [rowPx]);
  const virtualizer = useWindowVirtualizer({
    count,
    estimateSize,
    measureElement: exactHeight,
    overscan,
    scrollMargin,
    rangeExtractor,
  });

  // Where the list starts on the page (the notices above it come and go), and how tall a row is.
  useLayoutEffect(() => {
    const list = listRef.current;
    if (!list) return;
    const top = Math.round(list.getBoundingClientRect().top + window.scrollY + list.clientTop);
    if (top !== scrollMargin) setScrollMargin(top);
    const row = list.querySelector<HTMLElement>("li.monitor-row:not(.placeholder):not([data-index='0'])");
    const drawn = row ? exactHeight(row) : 0;
    if (drawn > 0 && Math.abs(drawn - rowPx) > 0.01) setRowPx(drawn);
  });

  const items = virtualizer.getVirtualItems();
  const [first, last] = contiguous.current;
  useEffect(() => onRange(first, last), [first, last, onRange]);

  const onFocus = (e: FocusEvent<HTMLUListElement>) => {
    const row = (e.target as Element).closest("li[data-index]");
    focused.current = row ? Number(row.getAttribute("data-index")) : null;
  };
  const onBlur = (e: FocusEvent<HTMLUListElement>) => {
    if (!e.currentTarget.contains(e.relatedTarget as Node | null)) focused.current = null;
  };

  return (
    <ul
      ref={listRef}
      className="monitor-list"
      aria-label="Monitors"
      // The list places its rows itself: the browser's scroll anchoring would move the page under them.
      style={{ position: "relative", height: virtualizer.getTotalSize(), overflowAnchor: "none" }}
      onFocus={onFocus}
      onBlur={onBlur}
    >
      {items.map((item) => {
        const m = rowAt(item.index);
        const top = item.start - scrollMargin;
        if (m) return <MonitorRow key={m.id} index={item.index} count={count} top={top} measure={virtualizer.measureElement} monitor={m} series={series.get(m.id)} agent={agentOf(m)} />;
        const place = placed(item.index, count, top);
        return (
          <li key={`row-${item.index}`} ref={virtualizer.measureElement} className="monitor-row placeholder" aria-busy="true" {...place} style={{ ...place.style, height: rowPx }}>
            <span className="muted">Loading…</span>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * A row's height as laid out, fractions of a pixel included. Whole pixels (offsetHeight, or the
 * virtualizer's rounding) come out 104 for one row and 105 for the next as rows sit at fractional
 * offsets, and each such difference above the screen made the list correct the page's scroll.
 */
function exactHeight(element: Element, entry?: ResizeObserverEntry): number {
  return entry?.borderBoxSize?.[0]?.blockSize ?? element.getBoundingClientRect().height;
}

/** What the target column says: the target, or for a heartbeat (no target: the job pushes) "push" and its period when known. */
export function targetText(m: OverviewMonitor): string {
  if (m.type !== "heartbeat") return m.target;
  return m.interval_seconds ? `push · every ${formatInterval(m.interval_seconds)}` : "push";
}

/** A row's place: in the list for screen readers, on the page for the eye. */
function placed(index: number, count: number, top: number) {
  return {
    "data-index": index,
    "aria-setsize": count,
    "aria-posinset": index + 1,
    style: {
      position: "absolute",
      top: 0,
      left: 0,
      width: "100%",
      transform: `translateY(${top}px)`,
      // Measured as drawn: the stylesheet's content-visibility would stand in an estimate off screen.
      contentVisibility: "visible",
      // The stylesheet's :first-child would take the line off whichever row is rendered first
      // (a row 1 px shorter above the screen: the list would correct the page's scroll each time).
      borderTop: index === 0 ? "0" : "1px solid var(--border)",
    } as CSSProperties,
  };
}

interface RowProps {
  index: number;
  count: number;
  top: number;
  measure: (node: Element | null) => void;
  monitor: OverviewMonitor;
  series: Series | undefined;
  agent: string;
}

const MonitorRow = memo(function MonitorRow({ index, count, top, measure, monitor: m, series, agent }: RowProps) {
  const uptime = series ? uptimeOf(series) : null;
  return (
    <li ref={measure} className={`monitor-row s-${m.status}`} data-monitor-id={m.id} {...placed(index, count, top)}>
      <div className="row-head">
        <StatusBadge status={m.status} />
        <div className="row-title">
          <Link to={`/monitors/${m.id}`} className="monitor-name">
            {m.name}
          </Link>
          <span className="row-meta">
            <span className="type-tag">{TYPE_LABEL[m.type] ?? m.type}</span>
            {m.enabled === false && <span className="tag-paused">Paused</span>}
            <span className={`target${m.type === "heartbeat" ? " push" : ""}`} title={m.type === "heartbeat" ? "The job calls this monitor's push URL" : m.target}>
              {targetText(m)}
            </span>
            <span className="agent">
              <span className="visually-hidden">checked from </span>
              {agent}
            </span>
          </span>
        </div>
        <div className="row-figures">
          <span className="latency" title={m.last_checked_at ? `last check ${timeAgo(m.last_checked_at)}` : "never checked"}>
            {formatLatency(m.last_latency_ms)}
          </span>
          <span className="uptime">{series ? `${formatPercent(uptime)} uptime` : " "}</span>
        </div>
      </div>
      <HistoryBar series={series} label={m.name} />
      <BarAxis middle={series ? incidents(series) : ""} />
    </li>
  );
});
