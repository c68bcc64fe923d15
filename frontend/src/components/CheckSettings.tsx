import type { ReactNode } from "react";
import type { Monitor } from "../lib/types";
import { formatInterval } from "../lib/format";

const DEFAULT_STATUS = "200-399";

/** "host:port" / "[v6]:port" → [host, port]. */
export function splitHostPort(target: string): [string, string] {
  const v6 = /^\[(.+)\]:(\d+)$/.exec(target);
  if (v6) return [v6[1], v6[2]];
  const at = target.lastIndexOf(":");
  return at > 0 ? [target.slice(0, at), target.slice(at + 1)] : [target, ""];
}

function bytes(text: string): string {
  const n = new TextEncoder().encode(text).length;
  return n < 1024 ? `${n} bytes` : `${(n / 1024).toFixed(1)} KiB`;
}

/**
 * What a monitor checks beyond its target, compactly: an HTTP request and its assertions, a DNS
 * query, a TCP host and port, a heartbeat's period and grace. Header values are not shown (they
 * often carry tokens); their names are.
 */
export function CheckSettings({ monitor: m }: { monitor: Monitor }) {
  const rows: [string, ReactNode][] = [];
  if ((m.type === "http" || m.type === "https") && m.http) {
    const h = m.http;
    rows.push(["Request", `${h.method}${h.follow_redirects ? ", follows redirects" : ", no redirects"}`]);
    rows.push(["Expected status", h.expected_status || DEFAULT_STATUS]);
    rows.push([
      "TLS certificate",
      h.verify_tls ? (
        "verified"
      ) : (
        <span className="warn-text" data-testid="tls-off">
          ⚠ not verified
        </span>
      ),
    ]);
    const names = Object.keys(h.headers ?? {});
    if (names.length) rows.push(["Headers", names.join(", ")]);
    if (h.body !== null && h.body !== undefined) rows.push(["Body", bytes(h.body)]);
    if (h.keyword !== null && h.keyword !== undefined) rows.push(["Keyword", `“${h.keyword}” must be ${h.keyword_mode}`]);
    if (h.json_path) rows.push(["JSONPath", h.json_expected !== null && h.json_expected !== undefined ? `${h.json_path} = “${h.json_expected}”` : `${h.json_path} matches`]);
    if (h.basic_auth) rows.push(["Basic auth", `${h.basic_auth.username}${h.basic_auth.password_set ? " (password set)" : " (no password)"}`]);
  } else if (m.type === "dns" && m.dns) {
    rows.push(["Record", m.dns.record_type]);
    rows.push(["Server", m.dns.server || "the system's resolver"]);
    rows.push(["Expected", m.dns.expected?.length ? m.dns.expected.join(", ") : "any answer"]);
  } else if (m.type === "tcp") {
    const [host, port] = splitHostPort(m.target);
    rows.push(["Host", host]);
    rows.push(["Port", port]);
  } else if (m.type === "heartbeat") {
    rows.push(["Expected every", formatInterval(m.interval_seconds)]);
    rows.push(["Grace", formatInterval(m.grace_seconds ?? 60)]);
    const { ok_ms, degraded_ms } = m.thresholds;
    rows.push(["Run time", ok_ms !== null && degraded_ms !== null ? `OK ≤ ${ok_ms} ms, Degraded ≤ ${degraded_ms} ms` : "not judged"]);
  } else {
    return null;
  }
  if (m.type !== "heartbeat") rows.push(["Timeout", `${m.timeout_seconds} s`]);
  return (
    <section className="panel" aria-labelledby="settings-title" data-testid="check-settings">
      <h2 id="settings-title">{m.type === "heartbeat" ? "Heartbeat" : "Check"}</h2>
      <dl className="facts options-facts">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
