import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router";
import { api, messageOf } from "../../lib/api";
import type { AlertEvent, Delivery as AlertEventDelivery, DeliveryState, MonitorType } from "../../lib/types";
import { DELIVERY_LABEL, TYPE_LABEL, alertEventLabel, alertEventStatus, formatDateTime, formatTime } from "../../lib/format";
import { usePolling } from "../../lib/usePolling";
import { StatusIcon } from "../../components/StatusBadge";
import { Notice } from "../../components/Notice";

const LIMIT = 50;
const REFRESH_MS = 15_000;

function typeLabel(type: string): string {
  if (type === "agent") return "Agent";
  return TYPE_LABEL[type as MonitorType] ?? type.toUpperCase();
}

/** Where an event points: the monitor's page, the agents tab for an agent, plain text for a deleted monitor. */
function Subject({ event: e }: { event: AlertEvent }) {
  const name = e.monitor || "—";
  if (e.type === "agent") return <Link to="/settings/agents">{name}</Link>;
  if (e.monitor_id !== null) return <Link to={`/monitors/${e.monitor_id}`}>{name}</Link>;
  return (
    <>
      {name} <span className="muted small">(deleted)</span>
    </>
  );
}

/** Each channel's delivery (newer servers), else the webhook and email states of before. */
function Delivery({ event: e }: { event: AlertEvent }) {
  if (e.deliveries) return <ChannelDeliveries deliveries={e.deliveries} />;
  const channels: [string, string][] = [
    ["Webhook", e.webhook_state],
    ["Email", e.email_state],
  ];
  const pending = channels.some(([, state]) => state === "pending");
  return (
    <>
      <ul className="delivery">
        {channels.map(([name, state]) => (
          <li key={name} className={`delivery-${state}`}>
            {name}: {DELIVERY_LABEL[state as DeliveryState] ?? state}
          </li>
        ))}
      </ul>
      {pending && e.attempts > 0 && (
        <div className="muted small">
          {e.attempts} {e.attempts === 1 ? "attempt" : "attempts"}
          {e.next_attempt_at ? `, next at ${formatTime(Date.parse(e.next_attempt_at))}` : ""}
        </div>
      )}
      {e.last_error && <div className="delivery-error small">{e.last_error}</div>}
    </>
  );
}

function ChannelDeliveries({ deliveries }: { deliveries: AlertEventDelivery[] }) {
  if (!deliveries.length) return <span className="muted small">no channels</span>;
  return (
    <ul className="delivery">
      {deliveries.map((d, i) => (
        <li key={d.channel_id ?? `gone-${i}`} className={`delivery-${d.state}`} data-channel={d.channel}>
          {d.channel}: {d.state === "skipped" ? "skipped" : (DELIVERY_LABEL[d.state as DeliveryState] ?? d.state)}
          {d.state === "pending" && d.attempts > 0 && (
            <span className="muted small">
              {" "}
              ({d.attempts} {d.attempts === 1 ? "attempt" : "attempts"})
            </span>
          )}
          {d.channel_id === null && <span className="muted small"> (deleted)</span>}
          {d.last_error && d.state !== "sent" && <div className="delivery-error small">{d.last_error}</div>}
        </li>
      ))}
    </ul>
  );
}

/** The last 50 alert events, newest first, with each channel's delivery; refreshed every 15 s. */
export function AlertHistory() {
  const [items, setItems] = useState<AlertEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setItems((await api.alerts(LIMIT)).items);
      setError(null);
    } catch (err) {
      setError(messageOf(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  usePolling(load, REFRESH_MS);

  return (
    <section className="panel" aria-labelledby="alert-history-title">
      <h2 id="alert-history-title">Recent alerts</h2>
      <p className="muted">
        The last {LIMIT} alerts, newest first: a monitor down, degraded, back up, stale or its certificate expiring, and an agent going offline or coming back.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {items === null && !error && <p role="status">Loading…</p>}
      {items && items.length === 0 && <p className="muted">No alerts yet.</p>}
      {items && items.length > 0 && (
        <div className="table-wrap">
          <table className="alert-history" aria-labelledby="alert-history-title">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Monitor or agent</th>
                <th scope="col">Details</th>
                <th scope="col">Delivery</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => {
                const status = alertEventStatus(e.event);
                return (
                  <tr key={e.id} data-alert-id={e.id} data-event={e.event}>
                    <td className="nowrap" title={formatDateTime(e.created_at, true)}>
                      {formatDateTime(e.created_at)}
                    </td>
                    <td>
                      <span className={`event s-${status}`}>
                        <StatusIcon status={status} />
                        {alertEventLabel(e.event)}
                      </span>
                    </td>
                    <td className="alert-subject">
                      <Subject event={e} />
                      <div className="row-meta">
                        <span className="type-tag">{typeLabel(e.type)}</span>
                        {e.type !== "agent" && <span>from {e.agent_id ? e.agent : "Server"}</span>}
                      </div>
                    </td>
                    <td className="alert-details">{e.details || <span className="muted">—</span>}</td>
                    <td>
                      <Delivery event={e} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
