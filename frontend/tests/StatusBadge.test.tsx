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
  ])("tells %s with a word and an icon, not colour alone", (status, word) => {
    const { container } = render(<StatusBadge status={status as Status} />);
    expect(container.textContent).toBe(word);
    expect(container.querySelector("svg[aria-hidden='true']")).not.toBeNull();
  });
});
