import { describe, expect, it } from "vitest";
import { render } from "@testing-library/react";
import { StatusBadge } from "../src/components/StatusBadge";
import type { Status } from "../src/lib/types";

describe("StatusBadge", () => {
  it.each([
    ["ok", "OK"],
    ["degraded", "Degraded"],
    ["down", "Down"],
    ["unknown", "No data"],
    ["stale", "Stale"],
  ])("tells %s with a word and an icon, not colour alone", (status, word) => {
    const { container } = render(<StatusBadge status={status as Status} />);
    expect(container.textContent).toBe(word);
    expect(container.querySelector("svg[aria-hidden='true']")).not.toBeNull();
  });

  it("draws each status with an icon of its own", () => {
    const statuses: Status[] = ["ok", "degraded", "down", "unknown", "stale"];
    const drawings = statuses.map((s) => render(<StatusBadge status={s} />).container.querySelector("svg")!.innerHTML);
    expect(new Set(drawings).size).toBe(statuses.length);
  });

  it("says why a monitor is stale when hovered; the others carry no tooltip", () => {
    const stale = render(<StatusBadge status="stale" />).container.querySelector(".badge")!;
    expect(stale).toHaveClass("s-stale");
    expect(stale).toHaveAttribute("data-status", "stale");
    expect(stale).toHaveAttribute("title", "No result for 3 intervals — are the workers, beat or the agent running?");
    expect(render(<StatusBadge status="down" />).container.querySelector(".badge")).not.toHaveAttribute("title");
  });
});
