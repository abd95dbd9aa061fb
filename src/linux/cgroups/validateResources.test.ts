import { describe, expect, it } from "vitest";
import type { Resources } from "../../spec/types.js";
import { hostHugePageSizes, validateResources } from "./validateResources.js";

const ctx = { hugePageSizes: ["2MB", "1GB"] };

function err(r: Resources, update = false): string {
  try {
    validateResources(r, { ...ctx, update });
  } catch (e) {
    return (e as Error).message;
  }
  return "";
}

describe("validateResources", () => {
  it("accepts the spec's examples", () => {
    expect(
      err({
        memory: {
          limit: 536870912,
          reservation: 536870912,
          swap: 536870912,
          kernel: -1,
          kernelTCP: -1,
          swappiness: 0,
          disableOOMKiller: false,
        },
        cpu: {
          shares: 1024,
          quota: 1000000,
          burst: 1000000,
          period: 500000,
          realtimeRuntime: 950000,
          realtimePeriod: 1000000,
          cpus: "2-3",
          mems: "0-7",
          idle: 0,
        },
        blockIO: {
          weight: 10,
          leafWeight: 10,
          weightDevice: [{ major: 8, minor: 0, weight: 500, leafWeight: 300 }],
          throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 600 }],
        },
        hugepageLimits: [{ pageSize: "2MB", limit: 209715200 }],
        network: { classID: 1048577, priorities: [{ name: "eth0", priority: 500 }] },
        pids: { limit: 32771 },
        rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
        unified: { "memory.high": "1000" },
      }),
    ).toBe("");
  });

  it("names the JSON path of each impossible value", () => {
    expect(err({ memory: { limit: 20000, swap: 10000 } })).toBe(
      "validate linux.resources.memory.swap: swap (10000) must be at least the memory limit (20000); linux.resources.memory.swap is the memory+swap limit",
    );
    expect(err({ memory: { swap: 100 } })).toMatch(/^validate linux\.resources\.memory\.swap: a swap limit needs a memory limit/);
    expect(err({ memory: { swappiness: 101 } })).toMatch(/memory\.swappiness: 101 is out of range \(0\.\.100\)/);
    expect(err({ memory: { limit: -2 } })).toMatch(/memory\.limit: /);
    expect(err({ memory: { limit: 100 } })).toMatch(/memory\.limit: 100 is below the kernel's minimum of one page/);
    expect(err({ cpu: { shares: 1 } })).toMatch(/cpu\.shares: 1 is out of range \(2\.\.262144\)/);
    expect(err({ cpu: { shares: 262145 } })).toMatch(/cpu\.shares: /);
    expect(err({ cpu: { period: 500 } })).toMatch(/cpu\.period: 500 is out of range/);
    expect(err({ cpu: { quota: 10 } })).toMatch(/cpu\.quota: 10 is below the kernel's minimum/);
    expect(err({ cpu: { quota: 1000, burst: 2000 } })).toMatch(/cpu\.burst: burst \(2000\) must not exceed quota \(1000\)/);
    expect(err({ cpu: { realtimeRuntime: 2000, realtimePeriod: 1000 } })).toMatch(/cpu\.realtimeRuntime: /);
    expect(err({ cpu: { idle: 2 } })).toMatch(/cpu\.idle: /);
    expect(err({ cpu: { cpus: "1-0" } })).toMatch(/cpu\.cpus: "1-0" is not a list/);
    expect(err({ cpu: { mems: "x" } })).toMatch(/cpu\.mems: /);
    expect(err({ blockIO: { weight: 5 } })).toMatch(/blockIO\.weight: 5 is out of range \(10\.\.1000\)/);
    expect(err({ blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 2000 }] } })).toMatch(/blockIO\.weightDevice\[0\]\.weight: /);
    expect(err({ blockIO: { weightDevice: [{ major: 8, minor: 0 }] } })).toMatch(/blockIO\.weightDevice\[0\]: needs weight or leafWeight/);
    expect(err({ blockIO: { throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: -1 }] } })).toMatch(
      /throttleWriteIOPSDevice\[0\]\.rate: /,
    );
    expect(err({ hugepageLimits: [{ pageSize: "3MB", limit: 1 }] })).toMatch(
      /hugepageLimits\[0\]\.pageSize: hugepage size "3MB" is not supported by this host \(it has: 2MB, 1GB\)/,
    );
    expect(err({ network: { priorities: [{ name: "a b", priority: 1 }] } })).toMatch(/network\.priorities\[0\]\.name: /);
    expect(err({ rdma: { mlx: {} } })).toMatch(/rdma\.mlx: needs hcaHandles or hcaObjects/);
    expect(err({ unified: { "../memory.max": "1" } })).toMatch(/unified\["\.\.\/memory\.max"\]: must be a file name/);
    expect(err({ unified: { "a/b": "1" } })).toMatch(/unified\["a\/b"\]/);
  });

  it("allows swap without a limit on update (the current limit stays)", () => {
    expect(err({ memory: { swap: 100 } }, true)).toBe("");
  });

  it("reads the host's hugepage sizes", () => {
    const sizes = hostHugePageSizes();
    for (const s of sizes) expect(s).toMatch(/^\d+[KMGT]?B$/);
    expect(hostHugePageSizes("/nonexistent")).toEqual([]);
  });
});
