import { useState } from "react";
import type { MouseEvent } from "react";
import { bucketAt, type Series } from "../lib/series";
import { formatDateTime, formatLatency } from "../lib/format";
import { useWidth } from "../lib/useWidth";

interface Props {
  series: Series;
  okMs?: number | null;
  degradedMs?: number | null;
  /** What the line is: "latency", or a heartbeat's "run time". */
  what?: string;
}

const H = 180;
const PAD = { left: 52, right: 8, top: 12, bottom: 24 };

/** Average latency per 15-minute bucket over 72 hours, with the OK and Degraded thresholds drawn in. */
export function LatencyChart({ series, okMs, degradedMs, what = "latency" }: Props) {
  const [hover, setHover] = useState<number | null>(null);
  const [box, W] = useWidth<HTMLElement>();
  const n = series.length;
  let max = 0;
  let points = 0;
  for (let i = 0; i < n; i++) {
    const v = series.latency[i];
    if (!Number.isNaN(v)) {
      max = Math.max(max, v);
      points++;
    }
  }
  // Scaled to the data, so small changes show; a threshold above the data is named, not drawn.
  max = max > 0 ? niceCeil(max * 1.1) : okMs ? niceCeil(okMs) : 100;
  const x = (i: number) => PAD.left + ((i + 0.5) / n) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);

  // Consecutive buckets with a latency form one line segment; gaps stay gaps. A bucket alone
  // between gaps (a heartbeat pinging twice a day) is a dot, or it would not show at all.
  const paths: string[] = [];
  const dots: [number, number][] = [];
  let current = "";
  let run = 0;
  const close = (i: number) => {
    if (run === 1) dots.push([x(i - 1), y(series.latency[i - 1])]);
    else if (current) paths.push(current);
    current = "";
    run = 0;
  };
  for (let i = 0; i < n; i++) {
    const v = series.latency[i];
    if (Number.isNaN(v)) {
      if (run) close(i);
      continue;
    }
    current += `${current ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    run++;
  }
  if (run) close(n);

  const onMove = (event: MouseEvent<SVGSVGElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const px = ((event.clientX - rect.left) / rect.width) * W;
    const i = Math.round(((px - PAD.left) / (W - PAD.left - PAD.right)) * n - 0.5);
    setHover(i >= 0 && i < n ? i : null);
  };
  const ticks = [0, max / 2, max];
  const hovered = hover !== null ? bucketAt(series, hover) : null;

  return (
    <figure className="latency-chart" ref={box}>
      <svg
        width={W}
        height={H}
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={points ? `Average ${what} per 15 minutes over 72 hours, up to ${formatLatency(max)}` : `No ${what} measured in the last 72 hours`}
        onMouseMove={onMove}
        onMouseLeave={() => setHover(null)}
      >
        {ticks.map((t) => (
          <g key={t} className="grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end">
              {axisLabel(t)}
            </text>
          </g>
        ))}
        {okMs && okMs <= max ? <Threshold y={y(okMs)} label={`OK ≤ ${formatLatency(okMs)}`} kind="ok" W={W} /> : null}
        {degradedMs && degradedMs <= max ? <Threshold y={y(degradedMs)} label={`Degraded ≤ ${formatLatency(degradedMs)}`} kind="degraded" W={W} /> : null}
        {paths.map((d, i) => (
          <path key={i} d={d} className="latency-line" />
        ))}
        {dots.map(([cx, cy], i) => (
          <circle key={`dot-${i}`} cx={cx} cy={cy} r={2.5} className="latency-dot" />
        ))}
        {hovered && hovered.avgLatencyMs !== null && (
          <g className="hover">
            <line x1={x(hover!)} x2={x(hover!)} y1={PAD.top} y2={H - PAD.bottom} />
            <circle cx={x(hover!)} cy={y(hovered.avgLatencyMs)} r={3.5} />
          </g>
        )}
        <text x={PAD.left} y={H - 6} className="axis-label">
          72 h ago
        </text>
        <text x={W - PAD.right} y={H - 6} textAnchor="end" className="axis-label">
          now
        </text>
      </svg>
      <figcaption className="chart-readout">
        {hovered
          ? `${formatDateTime(hovered.start)}: ${hovered.avgLatencyMs === null ? "no data" : `average ${formatLatency(hovered.avgLatencyMs)}`}`
          : points
            ? "Average per 15 minutes; hover the chart to read a value."
            : `No ${what} measured in the last 72 hours.`}
        {okMs && degradedMs ? ` Thresholds: OK ≤ ${formatLatency(okMs)}, Degraded ≤ ${formatLatency(degradedMs)}.` : ""}
      </figcaption>
    </figure>
  );
}

function Threshold({ y, label, kind, W }: { y: number; label: string; kind: string; W: number }) {
  return (
    <g className={`threshold t-${kind}`}>
      <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} />
      <text x={W - PAD.right - 4} y={y - 4} textAnchor="end">
        {label}
      </text>
    </g>
  );
}

function axisLabel(ms: number): string {
  if (ms === 0) return "0";
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

function niceCeil(v: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * magnitude) return m * magnitude;
  return 10 * magnitude;
}
