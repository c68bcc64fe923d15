// Timings the dashboard records about itself (ms since navigation start), read by the e2e
// performance test and visible to anyone in the browser console as `window.__onlinetracker`.
export interface DashboardMetrics {
  overviewMs?: number;
  firstBarsMs?: number;
  overviewRequests?: number;
  lastRefreshMs?: number;
  monitors?: number;
  historyRequests?: number;
  refreshes?: number;
}

declare global {
  interface Window {
    __onlinetracker?: DashboardMetrics;
  }
}

export function metrics(): DashboardMetrics {
  if (typeof window === "undefined") return {};
  window.__onlinetracker ??= {};
  return window.__onlinetracker;
}
