import { describe, expect, it } from "vitest";
import { mergeResources, planUpdate } from "./update.js";

describe("update plan", () => {
  it("drops zeros (unchanged), kernel memory with a warning, and what update cannot change", () => {
    const { patch, warnings } = planUpdate(
      {
        memory: { limit: 0, reservation: 0, swap: 0, kernel: 1024, kernelTCP: 0, swappiness: 10 },
        cpu: { shares: 0, quota: 0, period: 0, cpus: "", mems: "", realtimeRuntime: 0, realtimePeriod: 0 },
        blockIO: { weight: 0 },
        pids: { limit: 0 },
        hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
        devices: [{ allow: false, access: "rwm" }],
      },
      undefined,
    );
    expect(patch).toEqual({});
    expect(warnings).toContain("Kernel memory settings are ignored and will be removed");
    expect(warnings.some((w) => w.includes("linux.resources.memory.swappiness"))).toBe(true);
    expect(warnings.some((w) => w.includes("linux.resources.hugepageLimits"))).toBe(true);
    expect(warnings.some((w) => w.includes("devices"))).toBe(false);
  });

  it("keeps real values, and pairs a lone CPU quota with the recorded period", () => {
    const current = { cpu: { period: 50000, quota: 20000 } };
    expect(planUpdate({ cpu: { quota: 40000 }, memory: { limit: -1 }, unified: { "memory.high": "max" } }, current).patch).toEqual({
      cpu: { quota: 40000, period: 50000 },
      memory: { limit: -1 },
      unified: { "memory.high": "max" },
    });
    expect(planUpdate({ cpu: { period: 100000 } }, {}).patch).toEqual({ cpu: { period: 100000 } });
  });
});

describe("merging into the recorded resources", () => {
  it("overrides given fields, keeps the rest, and upserts per-device block IO entries", () => {
    const base = {
      memory: { limit: 1000, reservation: 500 },
      blockIO: {
        weight: 100,
        throttleReadBpsDevice: [
          { major: 8, minor: 0, rate: 10 },
          { major: 8, minor: 16, rate: 20 },
        ],
      },
      devices: [{ allow: false, access: "rwm" }],
    };
    const merged = mergeResources(base, {
      memory: { limit: 2000 },
      pids: { limit: 5 },
      blockIO: {
        throttleReadBpsDevice: [
          { major: 8, minor: 16, rate: 99 },
          { major: 9, minor: 0, rate: 1 },
        ],
      },
    });
    expect(merged).toEqual({
      memory: { limit: 2000, reservation: 500 },
      blockIO: {
        weight: 100,
        throttleReadBpsDevice: [
          { major: 8, minor: 0, rate: 10 },
          { major: 8, minor: 16, rate: 99 },
          { major: 9, minor: 0, rate: 1 },
        ],
      },
      devices: [{ allow: false, access: "rwm" }],
      pids: { limit: 5 },
    });
    expect(base.memory.limit).toBe(1000);
  });
});
