import { useCallback, useEffect, useId, useRef, useState } from "react";
import { createPortal } from "react-dom";
import type { CSSProperties, KeyboardEvent, MouseEvent } from "react";
import { bucketAt, countByStatus, uptimeOf, type BucketView, type Series } from "../lib/series";
import { observe } from "../lib/observe";
import { STATUS_LABEL, formatDateTime, formatLatency, formatPercent, formatTime } from "../lib/format";
import { StatusIcon } from "./StatusBadge";

// Bar colours come from the stylesheet (light and dark themes), read once per theme.
let palette: Record<string, string> | null = null;
function colours(): Record<string, string> {
  if (!palette) {
    const css = getComputedStyle(document.documentElement);
    const read = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    palette = {
      ok: read("--ok", "#16a34a"),
      degraded: read("--degraded", "#d97706"),
      down: read("--down", "#dc2626"),
      unknown: read("--nodata", "#d4d4d8"),
      maintenance: read("--maint", "#2b7bb9"),
      loading: read("--skeleton", "#e4e4e7"),
      focus: read("--text", "#18181b"),
    };
  }
  return palette;
}
if (typeof window !== "undefined" && window.matchMedia) {
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener?.("change", () => {
    palette = null;
  });
}

function draw(canvas: HTMLCanvasElement, width: number, height: number, series: Series | undefined, active: number | null) {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(width * ratio));
  const h = Math.round(height * ratio);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const c = colours();
  ctx.clearRect(0, 0, w, h);
  if (!series) {
    ctx.fillStyle = c.loading;
    ctx.fillRect(0, 0, w, h);
    return;
  }
  const n = series.length;
  const step = w / n;
  const gap = step >= 3 * ratio ? Math.max(1, Math.round(ratio)) : 0;
  const names = ["unknown", "ok", "degraded", "down", "maintenance"];
  // One fillStyle change per status, not per bar.
  for (let code = 0; code < names.length; code++) {
    ctx.fillStyle = c[names[code]];
    for (let i = 0; i < n; i++) {
      if (series.status[i] !== code) continue;
      const x = Math.round(i * step);
      const next = Math.round((i + 1) * step);
      ctx.fillRect(x, 0, Math.max(1, next - x - gap), h);
    }
  }
  if (active !== null) {
    const x = Math.round(active * step);
    const next = Math.round((active + 1) * step);
    ctx.strokeStyle = c.focus;
    ctx.lineWidth = Math.max(1, ratio);
    ctx.strokeRect(x + 0.5, 0.5, Math.max(1, next - x - gap) - 1, h - 1);
  }
}

export function describeBucket(b: BucketView): string {
  const checks = b.ok + b.degraded + b.down;
  const when = `${formatDateTime(b.start)} – ${formatTime(b.end)}`;
  if (!checks) return b.maintenance ? `${when}: Maintenance, ${b.maintenance} ${b.maintenance === 1 ? "check" : "checks"} in a maintenance window` : `${when}: no data`;
  const latency = b.avgLatencyMs === null ? "" : `, average ${formatLatency(b.avgLatencyMs)}`;
  return `${when}: ${STATUS_LABEL[b.status]}, ${checks} ${checks === 1 ? "check" : "checks"} (${b.ok} ok, ${b.degraded} degraded, ${b.down} down)${latency}`;
}

/** "down in 3 periods · degraded in 1" — the incidents of the window in words; "" when there were none. */
export function incidents(series: Series): string {
  const counts = countByStatus(series);
  const parts = [];
  if (counts.down) parts.push(`down in ${counts.down} ${counts.down === 1 ? "period" : "periods"}`);
  if (counts.degraded) parts.push(`degraded in ${counts.degraded}`);
  return parts.join(" · ");
}

export function summarise(series: Series): string {
  const counts = countByStatus(series);
  const parts = [`${formatPercent(uptimeOf(series))} uptime`];
  const found = incidents(series);
  if (found) parts.push(found);
  if (counts.maintenance) parts.push(`maintenance in ${counts.maintenance}`);
  if (counts.unknown) parts.push(`no data in ${counts.unknown} of ${series.length}`);
  return parts.join(", ");
}

interface Props {
  series: Series | undefined;
  /** What the bar belongs to, for its accessible name. */
  label: string;
  height?: number;
}

/**
 * The 72-hour bar: one canvas of 288 fifteen-minute buckets, drawn only while near the screen.
 * Hover or focus it and use the arrow keys to read a bucket (time, counts, average latency).
 */
export function HistoryBar({ series, label, height = 30 }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const seen = useRef({ visible: false, width: 0 });
  const [active, setActive] = useState<number | null>(null);
  const [rect, setRect] = useState<DOMRect | null>(null);
  const tipId = useId();

  const paint = useCallback(() => {
    const { visible, width } = seen.current;
    if (!visible || !canvas.current || !width) return;
    draw(canvas.current, width, height, series, active);
  }, [series, active, height]);

  const paintRef = useRef(paint);
  paintRef.current = paint;

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    return observe(el, (visible, width) => {
      seen.current = { visible, width };
      paintRef.current();
    });
  }, []);

  useEffect(() => {
    paint();
  }, [paint]);

  // The tooltip is fixed-positioned on <body>, so no row (rows use paint containment) can clip it.
  const show = (index: number | null) => {
    setActive(index);
    setRect(index === null ? null : (wrap.current?.getBoundingClientRect() ?? null));
  };
  useEffect(() => {
    if (active === null) return;
    const hide = () => show(null);
    window.addEventListener("scroll", hide, { passive: true, capture: true });
    return () => window.removeEventListener("scroll", hide, { capture: true });
  }, [active]);

  const n = series?.length ?? 0;
  const indexAt = (event: MouseEvent) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const i = Math.floor(((event.clientX - rect.left) / rect.width) * n);
    return Math.min(n - 1, Math.max(0, i));
  };
  const onKey = (event: KeyboardEvent) => {
    if (!n) return;
    const current = active ?? n - 1;
    const moves: Record<string, number> = {
      ArrowLeft: current - 1,
      ArrowRight: current + 1,
      ArrowDown: current - 1,
      ArrowUp: current + 1,
      PageDown: current - 4,
      PageUp: current + 4,
      Home: 0,
      End: n - 1,
    };
    if (event.key === "Escape") {
      show(null);
      return;
    }
    if (!(event.key in moves)) return;
    event.preventDefault();
    show(Math.min(n - 1, Math.max(0, moves[event.key])));
  };

  const bucket = series && active !== null ? bucketAt(series, active) : null;
  const current = series ? bucketAt(series, active ?? series.length - 1) : null;
  let tipStyle: CSSProperties | undefined;
  if (rect && active !== null && n) {
    const half = 128;
    const x = rect.left + ((active + 0.5) / n) * rect.width;
    const below = rect.top < 110;
    tipStyle = {
      left: Math.min(window.innerWidth - half - 8, Math.max(half + 8, x)),
      top: below ? rect.bottom + 8 : rect.top - 8,
      transform: below ? "translateX(-50%)" : "translate(-50%, -100%)",
    };
  }

  return (
    <div
      ref={wrap}
      className="history-bar"
      role="slider"
      tabIndex={0}
      aria-label={`72-hour history of ${label}`}
      aria-valuemin={0}
      aria-valuemax={Math.max(0, n - 1)}
      aria-valuenow={active ?? Math.max(0, n - 1)}
      aria-valuetext={current ? describeBucket(current) : "loading"}
      aria-busy={!series}
      title={series ? undefined : "Loading history…"}
      onMouseMove={(e) => {
        if (!n) return;
        const i = indexAt(e);
        if (i !== active) show(i);
      }}
      onMouseLeave={() => show(null)}
      onBlur={() => show(null)}
      onFocus={() => n && show(n - 1)}
      onKeyDown={onKey}
      data-loaded={series ? "true" : "false"}
    >
      <canvas ref={canvas} style={{ height }} aria-hidden="true" />
      {bucket &&
        tipStyle &&
        createPortal(
        <div id={tipId} role="tooltip" className="bar-tooltip" style={tipStyle}>
          <div className="tip-time">
            {formatDateTime(bucket.start)} – {formatTime(bucket.end)}
          </div>
          {bucket.ok + bucket.degraded + bucket.down === 0 && bucket.maintenance > 0 ? (
            <div className="tip-status s-maintenance">
              <StatusIcon status="maintenance" size={12} /> Maintenance · {bucket.maintenance} {bucket.maintenance === 1 ? "check" : "checks"} not counted
            </div>
          ) : bucket.ok + bucket.degraded + bucket.down === 0 ? (
            <div className="tip-status s-unknown">
              <StatusIcon status="unknown" size={12} /> No data
            </div>
          ) : (
            <>
              <div className={`tip-status s-${bucket.status}`}>
                <StatusIcon status={bucket.status} size={12} /> {STATUS_LABEL[bucket.status]}
              </div>
              <div className="tip-counts">
                {bucket.ok} ok · {bucket.degraded} degraded · {bucket.down} down
                {bucket.maintenance > 0 && ` · ${bucket.maintenance} in maintenance`}
              </div>
              <div className="tip-latency">{bucket.avgLatencyMs === null ? "no latency measured" : `avg ${formatLatency(bucket.avgLatencyMs)}`}</div>
            </>
          )}
        </div>,
          document.body,
        )}
    </div>
  );
}

/** The line under a 72-hour bar: its two ends, and ``middle`` (a summary of the bar) between them. */
export function BarAxis({ middle }: { middle: string }) {
  return (
    <div className="bar-axis" aria-hidden="true">
      <span>72 h ago</span>
      <span>{middle}</span>
      <span>now</span>
    </div>
  );
}
