import { describe, expect, it } from "vitest";
import { BerthError } from "../errors.js";
import { parseDurationMs, parseGoDuration, parseIntValue, parseRamSize } from "./values.js";

const parseInterval = (text: string): number => parseDurationMs("events", "interval", text);

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
    const bad = (() => {
      try {
        parseInterval("abc");
      } catch (e) {
        return e;
      }
    })() as BerthError;
    expect(bad).toBeInstanceOf(BerthError);
    expect(bad.path).toBe("--interval");
    expect(bad.message).toMatch(/--interval.*invalid value "abc"/);
    expect(() => parseInterval("0")).toThrow(/duration interval must be greater than 0/);
    expect(() => parseInterval("-1s")).toThrow(/duration interval must be greater than 0/);
  });
});

describe("memory sizes", () => {
  it("reads bytes and binary units as runc does", () => {
    expect(parseRamSize("1048576")).toBe(1048576);
    expect(parseRamSize("100M")).toBe(100 * 1024 * 1024);
    expect(parseRamSize("1g")).toBe(1024 ** 3);
    expect(parseRamSize("512k")).toBe(512 * 1024);
    expect(parseRamSize("512KiB")).toBe(512 * 1024);
    expect(parseRamSize("2mb")).toBe(2 * 1024 * 1024);
    expect(parseRamSize("1.5G")).toBe(1.5 * 1024 ** 3);
    expect(parseRamSize("64 m")).toBe(64 * 1024 * 1024);
    expect(parseRamSize("-1")).toBe(-1);
  });

  it("rejects other spellings, naming the flag", () => {
    expect(() => parseRamSize("1x", "memory")).toThrow(/--memory.*"1x"/);
    expect(() => parseRamSize("-2", "memory-swap")).toThrow(/--memory-swap/);
    expect(() => parseRamSize("1.2.3")).toThrow(/not a memory size/);
    expect(() => parseRamSize("M")).toThrow(/not a memory size/);
  });
});

describe("integers", () => {
  it("reads signed and unsigned integers with a bound, naming the flag", () => {
    expect(parseIntValue("update", "cpu-quota", "-1", true)).toBe(-1);
    expect(parseIntValue("update", "blkio-weight", "300", false, 65535)).toBe(300);
    expect(() => parseIntValue("update", "cpu-period", "-5")).toThrow(/--cpu-period: invalid value "-5": not a non-negative integer/);
    expect(() => parseIntValue("update", "cpu-quota", "1.5", true)).toThrow(/--cpu-quota/);
    expect(() => parseIntValue("update", "blkio-weight", "70000", false, 65535)).toThrow(/--blkio-weight.*from 0 to 65535/);
    expect(() => parseIntValue("create", "preserve-fds", "x")).toThrow(/^create --preserve-fds/);
  });
});
