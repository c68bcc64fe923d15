import { describe, expect, it } from "vitest";
import { BUCKET_MS, bucketAt, chunk, countByStatus, fromBuckets, fromColumns, merge, uptimeOf } from "../src/lib/series";
import { buckets, columns } from "./mockApi";

describe("series", () => {
  it("reads the API's buckets, oldest first", () => {
    const s = fromBuckets(buckets([{ ok: 14, down: 1, avg_latency_ms: 42 }, { ok: 15 }]), 288);
    expect(s.length).toBe(288);
    const last = bucketAt(s, 287);
    expect(last.status).toBe("ok");
    expect(last.avgLatencyMs).toBeNull();
    const before = bucketAt(s, 286);
    expect(before).toMatchObject({ status: "down", ok: 14, down: 1, avgLatencyMs: 42 });
    expect(before.end - before.start).toBe(BUCKET_MS);
    expect(countByStatus(s)).toEqual({ unknown: 286, ok: 1, degraded: 0, down: 1, maintenance: 0 });
  });

  it("places a shorter answer at the end of the window", () => {
    const s = fromBuckets(buckets([{ ok: 3 }], 4), 288);
    expect(bucketAt(s, 287).ok).toBe(3);
    expect(countByStatus(s).unknown).toBe(287);
  });

  it("reads the batch answer's columns the same way", () => {
    const list = buckets([{ ok: 14, down: 1, avg_latency_ms: 42 }, { degraded: 2, ok: 13 }]);
    const s = fromColumns(Date.parse(list[0].start), columns(list), 288);
    expect(s.start).toBe(fromBuckets(list, 288).start);
    expect(bucketAt(s, 286)).toMatchObject({ status: "down", ok: 14, down: 1, avgLatencyMs: 42 });
    expect(bucketAt(s, 287)).toMatchObject({ status: "degraded", ok: 13, degraded: 2, avgLatencyMs: null });
  });

  it("merges recent buckets in place and shifts when a new bucket starts", () => {
    const old = fromBuckets(buckets([{ ok: 15 }, { ok: 5 }]), 288);
    const recentSame = buckets([{ ok: 15 }, { ok: 9, degraded: 1 }], 4);
    const same = merge(old, Date.parse(recentSame[0].start), columns(recentSame));
    expect(same.start).toBe(old.start);
    expect(bucketAt(same, 287)).toMatchObject({ ok: 9, degraded: 1, status: "degraded" });
    expect(old.ok[287]).toBe(5); // the old series is untouched (React state)

    const lastStart = old.start + 287 * BUCKET_MS;
    const next = { ok: [1], degraded: [0], down: [0], avg_latency_ms: [12] };
    const shifted = merge(old, lastStart + BUCKET_MS, next);
    expect(shifted.start).toBe(old.start + BUCKET_MS);
    expect(bucketAt(shifted, 287)).toMatchObject({ ok: 1, avgLatencyMs: 12, status: "ok" });
    expect(bucketAt(shifted, 286).ok).toBe(5);
    expect(bucketAt(shifted, 285).ok).toBe(15);
  });

  it("computes uptime from checks, not buckets", () => {
    const s = fromBuckets(buckets([{ ok: 9, down: 1 }, { degraded: 10 }]), 288);
    expect(uptimeOf(s)).toBeCloseTo(19 / 20);
    expect(uptimeOf(fromBuckets(buckets([]), 288))).toBeNull();
  });

  it("splits ids into groups that keep a URL short", () => {
    expect(chunk([1, 2, 3], 300)).toEqual([[1, 2, 3]]);
    expect(chunk([], 300)).toEqual([]);
    const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
    const groups = chunk(ids, 300);
    expect(groups.map((g) => g.length)).toEqual([300, 300, 300, 100]);
    expect(groups.flat()).toEqual(ids);
  });
});
