import { useState } from "react";
import type { FormEvent } from "react";
import { api, fieldsOf, messageOf } from "../lib/api";
import type { Uptime } from "../lib/types";
import { formatPercent } from "../lib/format";
import { TextField } from "./Field";
import { Notice } from "./Notice";
import { UptimeHistogram } from "./UptimeHistogram";

const DAY_MS = 86_400_000;

/** "YYYY-MM-DD" of a UTC day. */
function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The ``from``/``to`` of a span of whole UTC days, ``to`` inclusive: from the start of the first day
 * to the start of the day after the last (the API counts whole UTC days from its daily rollups).
 */
export function spanOf(fromDay: string, toDay: string): { from: string; to: string } {
  const end = Date.parse(`${toDay}T00:00:00Z`) + DAY_MS;
  return { from: `${fromDay}T00:00:00Z`, to: new Date(end).toISOString().replace(".000Z", "Z") };
}

/** Uptime over any span of days (at most 800, the daily rollups' age), as a daily histogram. */
export function UptimeRange({ monitorId }: { monitorId: number }) {
  const today = utcDay(Date.now());
  const [fromDay, setFromDay] = useState(utcDay(Date.now() - 89 * DAY_MS));
  const [toDay, setToDay] = useState(today);
  const [data, setData] = useState<Uptime | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setFields({});
    if (!fromDay || !toDay) {
      setFields({ ...(fromDay ? {} : { from: "is required" }), ...(toDay ? {} : { to: "is required" }) });
      return;
    }
    if (toDay < fromDay) {
      setFields({ to: "must be on or after From" });
      return;
    }
    setBusy(true);
    try {
      const span = spanOf(fromDay, toDay);
      setData(await api.uptimeSpan(monitorId, span.from, span.to));
    } catch (err) {
      setFields(fieldsOf(err));
      setError(messageOf(err));
      setData(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="uptime-range">
      <form className="range-form" onSubmit={submit} noValidate aria-label="Custom uptime range">
        <TextField label="From (UTC day)" type="date" value={fromDay} max={today} onChange={(e) => setFromDay(e.target.value)} error={fields.from} />
        <TextField label="To (UTC day, included)" type="date" value={toDay} max={today} onChange={(e) => setToDay(e.target.value)} error={fields.to} />
        <button type="submit" className="button" disabled={busy}>
          {busy ? "Loading…" : "Show"}
        </button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {data && (
        <>
          <p data-testid="range-summary">
            <strong>{formatPercent(data.uptime, 3)}</strong> up from {(data.first_day ?? data.from ?? "").slice(0, 10)} to {(data.last_day ?? data.to ?? "").slice(0, 10)} (UTC days)
            {typeof data.checks === "number" && <span className="muted"> · {data.checks} checks</span>}
            {data.maintenance ? <span className="muted"> · {data.maintenance} in maintenance, not counted</span> : null}
          </p>
          <UptimeHistogram data={data} />
        </>
      )}
      {!data && !error && <p className="muted small">Up to 800 days, counted in whole UTC days.</p>}
    </div>
  );
}
