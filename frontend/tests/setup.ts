import "@testing-library/jest-dom/vitest";
import { afterEach, vi } from "vitest";
import { cleanup, configure } from "@testing-library/react";

// findBy… waits up to 3 s: a busy machine (e2e tests running alongside) must not fail a test.
configure({ asyncUtilTimeout: 3000 });

// jsdom has no canvas: a recording stand-in, so bars "draw" and tests can count the calls.
const calls: string[] = [];
(globalThis as unknown as { __canvasCalls: string[] }).__canvasCalls = calls;
HTMLCanvasElement.prototype.getContext = vi.fn(function () {
  return {
    clearRect: () => calls.push("clearRect"),
    fillRect: () => calls.push("fillRect"),
    strokeRect: () => calls.push("strokeRect"),
    set fillStyle(_v: string) {},
    set strokeStyle(_v: string) {},
    set lineWidth(_v: number) {},
  };
}) as unknown as typeof HTMLCanvasElement.prototype.getContext;

afterEach(() => {
  cleanup();
  calls.length = 0;
  vi.restoreAllMocks();
});
