import { useRef, useState } from "react";
import { api, messageOf } from "../lib/api";
import type { Monitor } from "../lib/types";
import { CopyButton, selectAll } from "./CopyButton";
import { ConfirmDialog } from "./Dialog";
import { Notice } from "./Notice";

/** The crontab line the page suggests: a nightly job that pings only when it succeeded. */
export function crontabExample(pushUrl: string): string {
  return `0 3 * * * /usr/local/bin/backup.sh && curl -fsS -m 10 --retry 3 ${pushUrl}`;
}

/**
 * A heartbeat's secret push URL, for admins: copy it, a crontab example, the /start and /fail
 * variants, and Regenerate (asked first: the old URL stops working at once).
 */
export function PushUrlPanel({ monitor, onChange }: { monitor: Monitor; onChange: (m: Monitor) => void }) {
  const url = monitor.push_url ?? "";
  const input = useRef<HTMLInputElement>(null);
  const example = useRef<HTMLElement>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  const regenerate = async () => {
    setBusy(true);
    setError(null);
    try {
      onChange(await api.regeneratePushUrl(monitor.id));
      setDone(true);
      setConfirming(false);
    } catch (err) {
      setError(messageOf(err));
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  const cron = crontabExample(url);
  return (
    <section className="panel push-panel" aria-labelledby="push-title" data-testid="push-panel">
      <h2 id="push-title">Push URL</h2>
      <p className="muted">
        The job calls this URL each time it has run (GET, HEAD or POST; no sign-in). The URL is the only credential: keep it out of public places.
      </p>
      {done && <Notice kind="success">New push URL made: the old one no longer works. Update the jobs that call it.</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      {url ? (
        <div className="token-value">
          <label className="visually-hidden" htmlFor="push-url">
            Push URL
          </label>
          <input id="push-url" ref={input} readOnly value={url} onFocus={(e) => e.currentTarget.select()} spellCheck={false} data-testid="push-url" />
          <CopyButton text={url} what="push URL" select={() => selectAll(input.current)} />
          <button type="button" className="button small danger" onClick={() => setConfirming(true)}>
            Regenerate URL
          </button>
        </div>
      ) : (
        <p className="muted">The server did not send a push URL.</p>
      )}
      {url && (
        <>
          <p className="muted small">For example, a nightly backup in a crontab that pings only when it succeeded:</p>
          <pre className="example">
            <code ref={example} data-testid="crontab-example">
              {cron}
            </code>
          </pre>
          <CopyButton text={cron} label="Copy example" select={() => selectAll(example.current)} />
          <ul className="push-variants">
            <li>
              <code>{url}/start</code> when the job begins: the time until its ping is the run time (shown, and judged by the thresholds when both are set).
            </li>
            <li>
              <code>{url}/fail</code> when the job failed: the monitor is Down at once instead of after the period and grace.
            </li>
          </ul>
          <p className="muted small">The first line of a POST's body (up to 200 characters) is kept in the result's details.</p>
        </>
      )}
      {confirming && (
        <ConfirmDialog title="Regenerate the push URL?" confirmLabel="Regenerate URL" danger busy={busy} onConfirm={regenerate} onCancel={() => setConfirming(false)}>
          <p>The current URL stops working at once: every job that calls it must be given the new one, or “{monitor.name}” goes Down after its period and grace.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
