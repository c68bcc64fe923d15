import { describe, expect, it } from "vitest";
import { formatInterval, formatLatency, formatPercent, timeAgo } from "../src/lib/format";

describe("format", () => {
  it.each([
    [null, "—"],
    [0.4, "<1 ms"],
    [41.7, "42 ms"],
    [1534, "1.53 s"],
    [12345, "12.3 s"],
  ])("latency %s → %s", (ms, text) => {
    expect(formatLatency(ms)).toBe(text);
  });

  it("percentages", () => {
    expect(formatPercent(1)).toBe("100%");
    expect(formatPercent(0.99531)).toBe("99.53%");
    expect(formatPercent(null)).toBe("—");
  });

  it("time ago", () => {
    const now = Date.parse("2026-01-26T10:30:00Z");
    expect(timeAgo(null, now)).toBe("never");
    expect(timeAgo("2026-01-26T10:29:58Z", now)).toBe("just now");
    expect(timeAgo("2026-01-26T10:25:00Z", now)).toBe("5 min ago");
    expect(timeAgo("2026-01-26T07:30:00Z", now)).toBe("3 h ago");
    expect(timeAgo("2026-01-23T10:30:00Z", now)).toBe("3 days ago");
  });

  it("intervals", () => {
    expect(formatInterval(10)).toBe("10 s");
    expect(formatInterval(300)).toBe("5 min");
    expect(formatInterval(7200)).toBe("2 h");
  });
});
