import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { HistoryBar } from "../src/components/HistoryBar";
import { fromBuckets } from "../src/lib/series";
import { buckets } from "./mockApi";

describe("HistoryBar", () => {
  const series = fromBuckets(buckets([{ ok: 12, degraded: 2, down: 1, avg_latency_ms: 87.4 }, { ok: 15, avg_latency_ms: 40 }]), 288);

  it("is a labelled slider whose value text tells the newest bucket in words", () => {
    render(<HistoryBar series={series} label="API Server" />);
    const bar = screen.getByRole("slider", { name: "72-hour history of API Server" });
    expect(bar).toHaveAttribute("aria-valuemax", "287");
    expect(bar.getAttribute("aria-valuetext")).toMatch(/OK, 15 checks \(15 ok, 0 degraded, 0 down\), average 40 ms/);
  });

  it("shows a tooltip with time, counts and average latency, moved with the arrow keys", () => {
    render(<HistoryBar series={series} label="API Server" />);
    const bar = screen.getByRole("slider");
    fireEvent.focus(bar);
    expect(screen.getByRole("tooltip")).toHaveTextContent("15 ok · 0 degraded · 0 down");
    fireEvent.keyDown(bar, { key: "ArrowLeft" });
    const tip = screen.getByRole("tooltip");
    expect(tip).toHaveTextContent("Down");
    expect(tip).toHaveTextContent("12 ok · 2 degraded · 1 down");
    expect(tip).toHaveTextContent("avg 87 ms");
    expect(bar).toHaveAttribute("aria-valuenow", "286");
    fireEvent.keyDown(bar, { key: "Home" });
    expect(screen.getByRole("tooltip")).toHaveTextContent("No data");
    fireEvent.keyDown(bar, { key: "Escape" });
    expect(screen.queryByRole("tooltip")).toBeNull();
  });

  it("draws each status with one pass of rectangles, and a placeholder while loading", () => {
    const calls = (globalThis as unknown as { __canvasCalls: string[] }).__canvasCalls;
    vi.spyOn(HTMLElement.prototype, "getBoundingClientRect").mockReturnValue({ width: 600, height: 30 } as DOMRect);
    const { rerender } = render(<HistoryBar series={undefined} label="x" />);
    expect(screen.getByRole("slider")).toHaveAttribute("aria-busy", "true");
    rerender(<HistoryBar series={series} label="x" />);
    expect(calls.filter((c) => c === "fillRect").length).toBeGreaterThanOrEqual(288);
  });
});
