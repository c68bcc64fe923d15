import type { Status } from "../lib/types";
import { MAINTENANCE_EXPLANATION, STALE_EXPLANATION, STATUS_LABEL } from "../lib/format";

/** A status told by an icon shape and a word, not colour alone. */
export function StatusIcon({ status, size = 16 }: { status: Status; size?: number }) {
  const common = { width: size, height: size, viewBox: "0 0 16 16", "aria-hidden": true, className: `status-icon s-${status}` } as const;
  switch (status) {
    case "ok":
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="8" fill="currentColor" />
          <path d="M4.5 8.3l2.3 2.2 4.7-5" stroke="#fff" strokeWidth="1.8" fill="none" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      );
    case "degraded":
      return (
        <svg {...common}>
          <path d="M8 .8l7.4 13.4H.6z" fill="currentColor" />
          <path d="M8 5.5v4" stroke="#fff" strokeWidth="1.8" strokeLinecap="round" />
          <circle cx="8" cy="12" r="1" fill="#fff" />
        </svg>
      );
    case "down":
      return (
        <svg {...common}>
          <rect x="0.5" y="0.5" width="15" height="15" rx="3" fill="currentColor" />
          <path d="M5 5l6 6M11 5l-6 6" stroke="#fff" strokeWidth="1.8" strokeLinecap="round" />
        </svg>
      );
    case "stale":
      // A clock: time passed and nothing came.
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="8" fill="currentColor" />
          <path d="M8 3.6V8l3 2" stroke="#fff" strokeWidth="1.8" fill="none" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      );
    case "maintenance":
      // A wrench: planned work, alerts held back.
      return (
        <svg {...common}>
          <rect x="0.5" y="0.5" width="15" height="15" rx="7.5" fill="currentColor" />
          <path d="M10.6 4.2a2.4 2.4 0 0 0-3 3L4.3 10.5a1 1 0 0 0 1.4 1.4L9 8.6a2.4 2.4 0 0 0 3-3l-1.3 1.3-1.4-.3-.3-1.4z" fill="#fff" />
        </svg>
      );
    default:
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="7" fill="none" stroke="currentColor" strokeWidth="2" strokeDasharray="3 2.2" />
        </svg>
      );
  }
}

/** The status as icon and word; a stale one says why when hovered (its pages say it in text too). */
export function StatusBadge({ status }: { status: Status }) {
  return (
    <span className={`badge s-${status}`} data-status={status} title={status === "stale" ? STALE_EXPLANATION : status === "maintenance" ? MAINTENANCE_EXPLANATION : undefined}>
      <StatusIcon status={status} />
      <span>{STATUS_LABEL[status]}</span>
    </span>
  );
}
