import { useEffect, useRef } from "react";

/**
 * Calls ``tick`` every ``ms`` while the page is visible, and once right away when it becomes visible
 * again; never two calls at once, so a slow server is not flooded.
 */
export function usePolling(tick: () => Promise<unknown> | void, ms: number, enabled = true) {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!enabled) return;
    let running = false;
    let stopped = false;
    const run = async () => {
      if (running || stopped || document.visibilityState === "hidden") return;
      running = true;
      try {
        await latest.current();
      } catch {
        // the caller shows its own errors; polling goes on
      } finally {
        running = false;
      }
    };
    const timer = window.setInterval(run, ms);
    const onVisible = () => {
      if (document.visibilityState === "visible") void run();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stopped = true;
      window.clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [ms, enabled]);
}
