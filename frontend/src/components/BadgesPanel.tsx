import { useRef, useState } from "react";
import { api, messageOf } from "../lib/api";
import type { Monitor } from "../lib/types";
import { CopyButton, selectAll } from "./CopyButton";
import { ConfirmDialog } from "./Dialog";
import { Notice } from "./Notice";

/** The status badge's URL (absolute when the server sends it; else built on this page's origin). */
export function statusBadgeUrl(monitor: Monitor, origin = window.location.origin): string | null {
  if (!monitor.badges) return null;
  if (monitor.badge_url) return monitor.badge_url;
  return monitor.badge_key ? `${origin}/badge/${monitor.badge_key}/status.svg` : null;
}

/** Another kind of badge of the same key: ``…/status.svg`` → ``…/<kind>.svg``. */
export function badgeKindUrl(statusUrl: string, kind: string): string {
  return statusUrl.replace(/\/status\.svg$/, `/${kind}.svg`);
}

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escapeMd = (text: string) => text.replace(/([\\[\]])/g, "\\$1");

function Snippet({ label, text, id }: { label: string; text: string; id: string }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <div className="snippet">
      <label htmlFor={id}>{label}</label>
      <div className="token-value">
        <input id={id} ref={input} readOnly value={text} spellCheck={false} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={text} what={label} select={() => selectAll(input.current)} />
      </div>
    </div>
  );
}

/**
 * Admins: public read-only badges for READMEs. On/off (off keeps the key: on again, old embeds
 * work again), the status badge as it looks, Markdown and HTML for status and 30-day uptime, and a
 * new badge URL (asked first: the old embeds stop working at once).
 */
export function BadgesPanel({ monitor, onChange }: { monitor: Monitor; onChange: (m: Monitor) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [renewed, setRenewed] = useState(false);
  const url = statusBadgeUrl(monitor);

  const toggle = async (on: boolean) => {
    setBusy(true);
    setError(null);
    setRenewed(false);
    try {
      onChange(await api.setBadges(monitor.id, on));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const renew = async () => {
    setBusy(true);
    setError(null);
    try {
      onChange(await api.regenerateBadgeKey(monitor.id));
      setRenewed(true);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  const uptime = url ? badgeKindUrl(url, "uptime-30d") : null;
  return (
    <section className="panel badges-panel" aria-labelledby="badges-title" data-testid="badges-panel">
      <div className="panel-head">
        <h2 id="badges-title">Badges</h2>
        <label className="inline switch">
          <input type="checkbox" checked={Boolean(monitor.badges)} disabled={busy} onChange={(e) => void toggle(e.target.checked)} /> Public badges
        </label>
      </div>
      <p className="muted">
        Images for a README or wiki that show this monitor's status or uptime to anyone with the URL (no sign-in; nothing else is shown).
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {renewed && <Notice kind="success">New badge URL made: the old badge URLs no longer work. Update the pages that embed them.</Notice>}
      {monitor.badges && url && uptime ? (
        <>
          <p className="badge-preview">
            <img src={url} alt={`${monitor.name} status badge`} /> <img src={uptime} alt={`${monitor.name} 30-day uptime badge`} />
          </p>
          <div className="grid-2">
            <Snippet id="badge-status-md" label="Status, Markdown" text={`![${escapeMd(monitor.name)} status](${url})`} />
            <Snippet id="badge-status-html" label="Status, HTML" text={`<img src="${url}" alt="${escapeHtml(monitor.name)} status">`} />
            <Snippet id="badge-uptime-md" label="Uptime 30 days, Markdown" text={`![${escapeMd(monitor.name)} uptime](${uptime})`} />
            <Snippet id="badge-uptime-html" label="Uptime 30 days, HTML" text={`<img src="${uptime}" alt="${escapeHtml(monitor.name)} uptime">`} />
          </div>
          <p className="muted small">
            Other kinds: replace <code>status.svg</code> with uptime-24h, uptime-7d, uptime-90d, uptime-1y, latency or cert (<code>.json</code> for shields.io).
          </p>
          <button type="button" className="button small danger" onClick={() => setConfirming(true)} disabled={busy}>
            New badge URL
          </button>
        </>
      ) : (
        monitor.badges && <p className="muted">The server did not send a badge URL.</p>
      )}
      {!monitor.badges && <p className="muted">Badges are off: badge URLs answer 404.</p>}
      {confirming && (
        <ConfirmDialog title="Make a new badge URL?" confirmLabel="New badge URL" danger busy={busy} onConfirm={() => void renew()} onCancel={() => setConfirming(false)}>
          <p>Every badge of “{monitor.name}” gets a new address. The old embeds stop working at once and show nothing until they are updated.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
