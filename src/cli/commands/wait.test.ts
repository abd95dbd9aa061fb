import { describe, expect, it } from "vitest";
import { parseTimeout, parseWaitState } from "./wait.js";

describe("wait flags", () => {
  it("--timeout takes Go durations; --state one of the four", () => {
    expect(parseTimeout("10s")).toBe(10_000);
    expect(parseTimeout("500ms")).toBe(500);
    expect(parseTimeout("1m30s")).toBe(90_000);
    expect(parseTimeout("0")).toBe(0);
    expect(() => parseTimeout("10")).toThrow(/--timeout: invalid value "10": time: missing unit/);
    expect(() => parseTimeout("-1s")).toThrow(/must not be negative/);
    expect(parseWaitState("paused")).toBe("paused");
    expect(() => parseWaitState("creating")).toThrow(/--state: invalid value "creating"; give one of created, running, paused, stopped/);
    expect(() => parseWaitState(undefined)).toThrow(/--state/);
  });
});
