import { useState } from "react";
import type { FormEvent } from "react";
import type { MonitoringSettings } from "../../lib/types";
import { TextField } from "../../components/Field";
import { Notice } from "../../components/Notice";
import { useSection } from "./useSection";

const FIELDS: { key: keyof MonitoringSettings; label: string; hint: string; min: number; max: number; step?: string }[] = [
  { key: "ok_ms", label: "OK threshold (ms)", hint: "Ping and HTTP/HTTPS: OK when latency is at most this.", min: 1, max: 600000, step: "any" },
  { key: "degraded_ms", label: "Degraded threshold (ms)", hint: "Degraded up to this latency; slower is Down.", min: 1, max: 600000, step: "any" },
  { key: "ping_count", label: "Ping count", hint: "Pings per check, 1–10. More pings: a steadier average, a longer check.", min: 1, max: 10 },
  { key: "ssl_ok_days", label: "SSL OK threshold (days)", hint: "SSL: OK while the certificate is valid for at least this many days.", min: 0, max: 3650 },
  { key: "ssl_warning_days", label: "SSL warning threshold (days)", hint: "Warning (Degraded) down to this many days; fewer, or expired, is Down.", min: 0, max: 3650 },
];

type Text = Record<keyof MonitoringSettings, string>;

/** System-wide default thresholds; monitors with empty threshold fields follow them. */
export function MonitoringTab() {
  const section = useSection("monitoring");
  const [text, setText] = useState<Text | null>(null);
  if (section.draft && !text) setText(Object.fromEntries(FIELDS.map((f) => [f.key, String(section.draft![f.key])])) as Text);
  if (!text) return section.error ? <Notice kind="error">{section.error}</Notice> : <p role="status">Loading…</p>;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body: Record<string, number | string> = {};
    for (const f of FIELDS) body[f.key] = text[f.key].trim() === "" ? "" : Number(text[f.key]);
    const saved = await section.save(body, "Monitoring defaults saved. Monitors without their own thresholds use them from their next check.");
    if (saved) setText(Object.fromEntries(FIELDS.map((f) => [f.key, String(saved[f.key])])) as Text);
  };

  return (
    <form onSubmit={submit} className="panel form" noValidate aria-labelledby="monitoring-title">
      <h2 id="monitoring-title">Default thresholds</h2>
      <p className="muted">Used by every monitor whose own Threshold Settings are empty.</p>
      {section.error && <Notice kind="error">{section.error}</Notice>}
      {section.notice && <Notice kind="success">{section.notice}</Notice>}
      <div className="grid-2">
        {FIELDS.map((f) => (
          <TextField
            key={f.key}
            label={f.label}
            hint={f.hint}
            type="number"
            inputMode="decimal"
            min={f.min}
            max={f.max}
            step={f.step}
            value={text[f.key]}
            onChange={(e) => setText({ ...text, [f.key]: e.target.value })}
            error={section.fields[f.key]}
          />
        ))}
      </div>
      <div className="actions form-actions">
        <button type="submit" className="button primary" disabled={section.saving}>
          {section.saving ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}
