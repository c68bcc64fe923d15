import { describe, expect, it } from "vitest";
import { bucketAt, countByStatus, fromColumns, merge } from "../src/lib/series";
import { describeBucket, summarise } from "../src/components/HistoryBar";

describe("maintenance in the 72-hour bars", () => {
  const start = Date.parse("2026-11-25T00:00:00Z");
  const columns = { ok: [4, 0, 0, 0], degraded: [0, 0, 0, 0], down: [0, 0, 1, 0], maintenance: [0, 3, 2, 0], avg_latency_ms: [20, null, 30, null] };

  it("a bucket of only in-window checks is maintenance; one with a result keeps that result", () => {
    const series = fromColumns(start, columns);
    expect([0, 1, 2, 3].map((i) => bucketAt(series, i).status)).toEqual(["ok", "maintenance", "down", "unknown"]);
    expect(bucketAt(series, 1).maintenance).toBe(3);
    expect(countByStatus(series)).toMatchObject({ ok: 1, maintenance: 1, down: 1, unknown: 1 });
    expect(describeBucket(bucketAt(series, 1))).toMatch(/Maintenance, 3 checks in a maintenance window$/);
    expect(summarise(series)).toContain("maintenance in 1");
  });

  it("keeps maintenance counts through a merge, and reads answers without them (older servers)", () => {
    const series = merge(fromColumns(start, columns), start + 4 * 15 * 60_000, { ok: [1], degraded: [0], down: [0], avg_latency_ms: [10] });
    expect(bucketAt(series, 0).status).toBe("maintenance");
    expect(bucketAt(series, 3).status).toBe("ok");
  });
});
