import { describe, expect, it } from "vitest";
import { BerthError } from "../errors.js";
import { parseGoDuration, parseInterval } from "./events.js";

describe("Go durations", () => {
  it("parses what time.ParseDuration accepts", () => {
    expect(parseGoDuration("5s")).toBe(5_000_000_000n);
    expect(parseGoDuration("500ms")).toBe(500_000_000n);
    expect(parseGoDuration("1m30s")).toBe(90_000_000_000n);
    expect(parseGoDuration("1h")).toBe(3_600_000_000_000n);
    expect(parseGoDuration("1.5h")).toBe(5_400_000_000_000n);
    expect(parseGoDuration(".5s")).toBe(500_000_000n);
    expect(parseGoDuration("5.s")).toBe(5_000_000_000n);
    expect(parseGoDuration("100us")).toBe(100_000n);
    expect(parseGoDuration("100\u00b5s")).toBe(100_000n);
    expect(parseGoDuration("10ns")).toBe(10n);
    expect(parseGoDuration("0")).toBe(0n);
    expect(parseGoDuration("+2s")).toBe(2_000_000_000n);
    expect(parseGoDuration("-2s")).toBe(-2_000_000_000n);
    expect(parseGoDuration("1h2m3s4ms")).toBe(3_723_004_000_000n);
  });

  it("rejects what Go rejects, in Go's words", () => {
    expect(() => parseGoDuration("")).toThrow('time: invalid duration ""');
    expect(() => parseGoDuration("5")).toThrow('time: missing unit in duration "5"');
    expect(() => parseGoDuration("5x")).toThrow('time: unknown unit "x" in duration "5x"');
    expect(() => parseGoDuration("abc")).toThrow("time: invalid duration");
    expect(() => parseGoDuration(".s")).toThrow("time: invalid duration");
    expect(() => parseGoDuration("s")).toThrow("time: invalid duration");
    expect(() => parseGoDuration("3000000h")).toThrow("time: invalid duration");
  });

  it("--interval: milliseconds, errors naming the flag, and runc's message for zero or less", () => {
    expect(parseInterval("1s")).toBe(1000);
    expect(parseInterval("250ms")).toBe(250);
    expect(parseInterval("10us")).toBe(1);
    const bad = (() => { try { parseInterval("abc"); } catch (e) { return e; } })() as BerthError;
    expect(bad).toBeInstanceOf(BerthError);
    expect(bad.path).toBe("--interval");
    expect(bad.message).toMatch(/--interval.*invalid value "abc"/);
    expect(() => parseInterval("0")).toThrow(/duration interval must be greater than 0/);
    expect(() => parseInterval("-1s")).toThrow(/duration interval must be greater than 0/);
  });
});
