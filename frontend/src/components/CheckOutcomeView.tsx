import type { CheckOutcome } from "../lib/types";
import { formatDateTime, formatLatency } from "../lib/format";
import { StatusBadge } from "./StatusBadge";

/** The answer of a "Test" run: status, latency, details. */
export function CheckOutcomeView({ outcome }: { outcome: CheckOutcome }) {
  return (
    <div className={`test-result s-${outcome.status}`} role="status" data-testid="test-result">
      <div className="test-result-head">
        <strong>Test result</strong>
        <StatusBadge status={outcome.status} />
      </div>
      <dl className="facts">
        <div>
          <dt>Latency</dt>
          <dd>{formatLatency(outcome.latency_ms)}</dd>
        </div>
        <div>
          <dt>Details</dt>
          <dd>{outcome.details || "—"}</dd>
        </div>
        {outcome.days_left !== null && outcome.days_left !== undefined && (
          <div>
            <dt>Certificate</dt>
            <dd>{outcome.days_left} days left</dd>
          </div>
        )}
        <div>
          <dt>Checked</dt>
          <dd>{formatDateTime(outcome.checked_at, true)}</dd>
        </div>
      </dl>
    </div>
  );
}
