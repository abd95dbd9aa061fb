import { describe, expect, it } from "vitest";
import { RLIMITS, RLIM_INFINITY, isRlimitKnown, rlimitNumber, rlimitValue } from "./rlimits.js";

describe("rlimits", () => {
  it("maps names to Linux resource numbers", () => {
    expect(RLIMITS.RLIMIT_CPU).toBe(0);
    expect(RLIMITS.RLIMIT_CORE).toBe(4);
    expect(RLIMITS.RLIMIT_NPROC).toBe(6);
    expect(RLIMITS.RLIMIT_NOFILE).toBe(7);
    expect(RLIMITS.RLIMIT_AS).toBe(9);
    expect(RLIMITS.RLIMIT_RTTIME).toBe(15);
    expect(Object.keys(RLIMITS)).toHaveLength(16);
    expect(isRlimitKnown("NOFILE")).toBe(false);
  });

  it("throws for unknown types at the JSON path", () => {
    expect(() => rlimitNumber("RLIMIT_FOO", "process.rlimits[0].type")).toThrowError(/process\.rlimits\[0\]\.type.*RLIMIT_FOO/);
  });

  it("converts values, mapping 2^64-1 and -1 to RLIM_INFINITY", () => {
    expect(rlimitValue(1024, "x")).toBe(1024n);
    expect(rlimitValue(0, "x")).toBe(0n);
    expect(rlimitValue(18446744073709551615, "x")).toBe(RLIM_INFINITY);
    expect(rlimitValue(-1, "x")).toBe(RLIM_INFINITY);
    expect(RLIM_INFINITY).toBe(2n ** 64n - 1n);
    expect(() => rlimitValue(-5, "p.soft")).toThrowError(/p\.soft/);
    expect(() => rlimitValue(1.5, "p.soft")).toThrowError(/p\.soft/);
  });
});
