import type { Uptime } from "../lib/types";
import { formatDate, formatDateTime, formatPercent } from "../lib/format";

export function uptimeLevel(value: number | null): "ok" | "degraded" | "down" | "unknown" {
  if (value === null) return "unknown";
  if (value >= 0.999) return "ok";
  if (value >= 0.95) return "degraded";
  return "down";
}

function label(start: string, bucketSeconds: number): string {
  return bucketSeconds < 86400 ? formatDateTime(start) : formatDate(start);
}

/** One column per bucket: its height is the uptime, its colour and tooltip say the same in words. */
export function UptimeHistogram({ data }: { data: Uptime }) {
  const width = 100;
  const height = 40;
  const n = data.buckets.length;
  const step = width / Math.max(1, n);
  const gap = n > 60 ? 0.15 : 0.4;
  const seconds = data.bucket_seconds ?? 3600;
  const first = data.buckets[0];
  const last = data.buckets[n - 1];
  return (
    <figure className="uptime-histogram">
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={`Uptime per ${seconds < 86400 ? "hour" : seconds === 86400 ? "day" : "week"}, ${formatPercent(data.uptime)} overall`}>
        {data.buckets.map((b, i) => {
          const level = uptimeLevel(b.uptime);
          const h = b.uptime === null ? 3 : Math.max(2, b.uptime * height);
          return (
            <rect key={b.start} className={`fill-${level}`} x={i * step + gap / 2} y={height - h} width={Math.max(0.2, step - gap)} height={h}>
              <title>{`${label(b.start, seconds)}: ${b.uptime === null ? "no checks" : `${formatPercent(b.uptime)} up, ${b.checks} checks`}`}</title>
            </rect>
          );
        })}
      </svg>
      {first && last && (
        <figcaption className="axis">
          <span>{label(first.start, seconds)}</span>
          <span>{label(last.start, seconds)}</span>
        </figcaption>
      )}
    </figure>
  );
}
