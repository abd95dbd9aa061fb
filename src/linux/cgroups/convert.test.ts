import { describe, expect, it } from "vitest";
import {
  blkioWeightToIoWeight,
  formatPageSize,
  hugePageSizeName,
  intStr,
  isCpuList,
  sharesToWeight,
  swapToV2,
  v2Limit,
} from "./convert.js";

describe("sharesToWeight", () => {
  it("maps the v1 range onto 1..10000 like runc", () => {
    expect(sharesToWeight(0)).toBe(0);
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(512)).toBe(20);
    expect(sharesToWeight(262144)).toBe(10000);
  });
});

describe("blkioWeightToIoWeight", () => {
  it("maps 10..1000 onto 1..10000 like runc", () => {
    expect(blkioWeightToIoWeight(0)).toBe(0);
    expect(blkioWeightToIoWeight(10)).toBe(1);
    expect(blkioWeightToIoWeight(100)).toBe(910);
    expect(blkioWeightToIoWeight(300)).toBe(2930);
    expect(blkioWeightToIoWeight(500)).toBe(4950);
    expect(blkioWeightToIoWeight(1000)).toBe(10000);
  });
});

describe("swapToV2", () => {
  it("keeps -1 and 0 as they are", () => {
    expect(swapToV2(-1, 100)).toEqual({ ok: true, value: -1 });
    expect(swapToV2(0, 100)).toEqual({ ok: true, value: 0 });
    expect(swapToV2(undefined, undefined)).toEqual({ ok: true, value: 0 });
  });
  it("makes swap unlimited when the memory is unlimited and swap unset", () => {
    expect(swapToV2(undefined, -1)).toEqual({ ok: true, value: -1 });
  });
  it("subtracts the memory limit", () => {
    expect(swapToV2(300, 200)).toEqual({ ok: true, value: 100 });
    expect(swapToV2(200, 200)).toEqual({ ok: true, value: 0 });
  });
  it("refuses swap without a limit or below it", () => {
    expect(swapToV2(300, undefined)).toMatchObject({ ok: false });
    expect(swapToV2(300, -1)).toMatchObject({ ok: false });
    expect(swapToV2(100, 200)).toEqual({ ok: false, reason: "swap (100) must be at least the memory limit (200)" });
  });
});

describe("formatting", () => {
  it("v2Limit: 0 unset, -1 max", () => {
    expect(v2Limit(undefined)).toBeUndefined();
    expect(v2Limit(0)).toBeUndefined();
    expect(v2Limit(-1)).toBe("max");
    expect(v2Limit(4096)).toBe("4096");
  });
  it("intStr never uses exponents and clamps to int64", () => {
    expect(intStr(1e21)).toBe("9223372036854775807");
    expect(intStr(9223372036854775807)).toBe("9223372036854775807");
    expect(intStr(-1)).toBe("-1");
    expect(intStr(268435456)).toBe("268435456");
  });
  it("hugepage names", () => {
    expect(hugePageSizeName("hugepages-2048kB")).toBe("2MB");
    expect(hugePageSizeName("hugepages-1048576kB")).toBe("1GB");
    expect(hugePageSizeName("hugepages-64kB")).toBe("64KB");
    expect(hugePageSizeName("hugepages-32768kB")).toBe("32MB");
    expect(hugePageSizeName("other")).toBeUndefined();
    expect(formatPageSize(1536 * 1024)).toBe("1536KB");
  });
  it("cpu lists", () => {
    for (const ok of ["0", "0-3", "0-3,7", "1,2,3", "0-0"]) expect(isCpuList(ok)).toBe(true);
    for (const bad of ["", "a", "3-1", "0-", "-1", "0,,1", "0 1"]) expect(isCpuList(bad)).toBe(false);
  });
});
