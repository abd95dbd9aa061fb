import { describe, expect, it } from "vitest";
import { mergeResources, parseRamSize, parseResourcesJson, planUpdate, resourcesFromFlags } from "./update.js";

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

describe("flags → resources", () => {
  it("maps every runc flag to its LinuxResources field", () => {
    expect(resourcesFromFlags({
      "blkio-weight": "300", "cpu-period": "100000", "cpu-quota": "-1", "cpu-burst": "1000", "cpu-share": "512",
      "cpu-rt-period": "1000000", "cpu-rt-runtime": "950000", "cpu-idle": "1", "cpuset-cpus": "0-1", "cpuset-mems": "0",
      memory: "100M", "memory-reservation": "50M", "memory-swap": "-1", "kernel-memory": "1M", "kernel-memory-tcp": "1M", "pids-limit": "-1",
    })).toEqual({
      blockIO: { weight: 300 },
      cpu: { period: 100000, quota: -1, burst: 1000, shares: 512, realtimePeriod: 1000000, realtimeRuntime: 950000, idle: 1, cpus: "0-1", mems: "0" },
      memory: { limit: 104857600, reservation: 52428800, swap: -1, kernel: 1048576, kernelTCP: 1048576 },
      pids: { limit: -1 },
    });
  });

  it("leaves out absent and empty flags", () => {
    expect(resourcesFromFlags({})).toEqual({});
    expect(resourcesFromFlags({ "cpuset-cpus": "", memory: "1g" })).toEqual({ memory: { limit: 1024 ** 3 } });
  });

  it("rejects malformed numbers naming the flag, and Intel RDT as unsupported", () => {
    expect(() => resourcesFromFlags({ "cpu-period": "-5" })).toThrow(/--cpu-period/);
    expect(() => resourcesFromFlags({ "cpu-quota": "1.5" })).toThrow(/--cpu-quota/);
    expect(() => resourcesFromFlags({ "pids-limit": "many" })).toThrow(/--pids-limit/);
    expect(() => resourcesFromFlags({ "blkio-weight": "70000" })).toThrow(/--blkio-weight/);
    expect(() => resourcesFromFlags({ "l3-cache-schema": "L3:0=f" })).toThrow(/l3 cache schema is not supported/);
    expect(() => resourcesFromFlags({ "mem-bw-schema": "MB:0=20" })).toThrow(/--mem-bw-schema/);
  });
});

describe("resources JSON", () => {
  it("accepts a LinuxResources document", () => {
    expect(parseResourcesJson('{"memory":{"limit":1048576},"cpu":{"cpus":"0"},"pids":{"limit":10}}', "r.json"))
      .toEqual({ memory: { limit: 1048576 }, cpu: { cpus: "0" }, pids: { limit: 10 } });
    expect(parseResourcesJson('{"pids":{}}', "stdin")).toEqual({ pids: {} });
  });

  it("names the JSON path of a bad value, and the place of a syntax error", () => {
    expect(() => parseResourcesJson('{"memory":{"limit":"x"}}', "r.json")).toThrow(/linux\.resources\.memory\.limit: must be an integer/);
    expect(() => parseResourcesJson('{"cpu":{"shares":-1}}', "stdin")).toThrow(/linux\.resources\.cpu\.shares/);
    expect(() => parseResourcesJson('{"memory":', "r.json")).toThrow(/r\.json: not valid JSON/);
    expect(() => parseResourcesJson("[]", "r.json")).toThrow(/linux\.resources/);
  });
});

describe("update plan", () => {
  it("drops zeros (unchanged), kernel memory with a warning, and what update cannot change", () => {
    const { patch, warnings } = planUpdate({
      memory: { limit: 0, reservation: 0, swap: 0, kernel: 1024, kernelTCP: 0, swappiness: 10 },
      cpu: { shares: 0, quota: 0, period: 0, cpus: "", mems: "", realtimeRuntime: 0, realtimePeriod: 0 },
      blockIO: { weight: 0 },
      pids: { limit: 0 },
      hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
      devices: [{ allow: false, access: "rwm" }],
    }, undefined);
    expect(patch).toEqual({});
    expect(warnings).toContain("Kernel memory settings are ignored and will be removed");
    expect(warnings.some((w) => w.includes("linux.resources.memory.swappiness"))).toBe(true);
    expect(warnings.some((w) => w.includes("linux.resources.hugepageLimits"))).toBe(true);
    expect(warnings.some((w) => w.includes("devices"))).toBe(false);
  });

  it("keeps real values, and pairs a lone CPU quota with the recorded period", () => {
    const current = { cpu: { period: 50000, quota: 20000 } };
    expect(planUpdate({ cpu: { quota: 40000 }, memory: { limit: -1 }, unified: { "memory.high": "max" } }, current).patch)
      .toEqual({ cpu: { quota: 40000, period: 50000 }, memory: { limit: -1 }, unified: { "memory.high": "max" } });
    expect(planUpdate({ cpu: { period: 100000 } }, {}).patch).toEqual({ cpu: { period: 100000 } });
  });
});

describe("merging into the recorded resources", () => {
  it("overrides given fields, keeps the rest, and upserts per-device block IO entries", () => {
    const base = {
      memory: { limit: 1000, reservation: 500 },
      blockIO: { weight: 100, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 10 }, { major: 8, minor: 16, rate: 20 }] },
      devices: [{ allow: false, access: "rwm" }],
    };
    const merged = mergeResources(base, {
      memory: { limit: 2000 },
      pids: { limit: 5 },
      blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 16, rate: 99 }, { major: 9, minor: 0, rate: 1 }] },
    });
    expect(merged).toEqual({
      memory: { limit: 2000, reservation: 500 },
      blockIO: { weight: 100, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 10 }, { major: 8, minor: 16, rate: 99 }, { major: 9, minor: 0, rate: 1 }] },
      devices: [{ allow: false, access: "rwm" }],
      pids: { limit: 5 },
    });
    expect(base.memory.limit).toBe(1000);
  });
});
