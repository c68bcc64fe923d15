import { useCallback, useEffect, useState } from "react";
import { api, messageOf } from "../../lib/api";
import type { AuditEntry } from "../../lib/types";
import { formatDateTime } from "../../lib/format";
import { Notice } from "../../components/Notice";

const PAGE = 50;

function value(v: unknown, nested = false): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  // {"changes": {"role": ["viewer", "admin"]}} reads "role: viewer → admin".
  if (nested && Array.isArray(v) && v.length === 2) return `${value(v[0])} → ${value(v[1])}`;
  if (!nested && typeof v === "object" && !Array.isArray(v)) {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, inner]) => `${k}: ${value(inner, true)}`)
      .join(", ");
  }
  return JSON.stringify(v);
}

/** An entry's details as "key: value" pairs on one line. */
export function Details({ details }: { details: AuditEntry["details"] }) {
  const pairs = details && typeof details === "object" ? Object.entries(details) : [];
  if (!pairs.length) return <span className="muted">—</span>;
  return (
    <ul className="audit-details">
      {pairs.map(([k, v]) => (
        <li key={k}>
          <span className="muted">{k}:</span> {value(v)}
        </li>
      ))}
    </ul>
  );
}

/** Who did what, newest first, 50 at a time ("Load older" follows next_before). */
export function AuditTab() {
  const [items, setItems] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async (before: number | null) => {
    setLoading(true);
    setError(null);
    try {
      const page = await api.audit(before, PAGE);
      setItems((prev) => (before === null || !prev ? page.items : [...prev, ...page.items]));
      setNext(page.next_before);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => {
    void load(null);
  }, [load]);

  return (
    <section className="panel audit-panel" aria-labelledby="audit-title">
      <div className="panel-head">
        <h2 id="audit-title">Audit log</h2>
        <button type="button" className="button small" onClick={() => load(null)} disabled={loading}>
          Refresh
        </button>
      </div>
      <p className="muted">Sign-ins, failed sign-ins and every change: monitors, settings, agents, users and tokens.</p>
      {error && <Notice kind="error">{error}</Notice>}
      {items === null && !error && <p role="status">Loading…</p>}
      {items && items.length === 0 && <p className="muted">Nothing recorded yet.</p>}
      {items && items.length > 0 && (
        <div className="table-wrap">
          <table className="audit" aria-labelledby="audit-title">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
                <th scope="col">Address</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id} data-audit-id={e.id}>
                  <td className="nowrap">{formatDateTime(e.at, true)}</td>
                  <td>{e.user ?? <span className="muted">—</span>}</td>
                  <td>
                    <code className={`action${e.action.endsWith("_failed") ? " failed" : ""}`}>{e.action}</code>
                  </td>
                  <td>{e.target ?? <span className="muted">—</span>}</td>
                  <td>
                    <Details details={e.details} />
                  </td>
                  <td>{e.address ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {items && next !== null && (
        <div className="actions pager">
          <button type="button" className="button" onClick={() => load(next)} disabled={loading}>
            {loading ? "Loading…" : "Load older"}
          </button>
        </div>
      )}
      <p className="visually-hidden" role="status">
        {items ? `${items.length} entries shown` : ""}
      </p>
    </section>
  );
}
