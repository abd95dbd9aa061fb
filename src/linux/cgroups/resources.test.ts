// applyResources against fake cgroup directories (plain files stand in for the
// control files: the writers never create files, so a missing one is ENOENT).
// A write does not truncate (cgroupfs needs no O_TRUNC), so files that are
// written start empty.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BerthError } from "../../errors.js";
import type { Resources } from "../../spec/types.js";
import { applyResources } from "./resources.js";
import type { CgroupState } from "./types.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeDir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), "berth-unit-res-"));
  dirs.push(d);
  for (const [f, v] of Object.entries(files)) writeFileSync(join(d, f), v);
  return d;
}

function read(dir: string, f: string): string {
  return readFileSync(join(dir, f), "utf8");
}

const noMount = (): string => {
  throw new Error("not used");
};

function v1State(paths: Record<string, string>): CgroupState {
  return { layout: "hybrid", paths, created: [] };
}

describe("applyResources on v1", () => {
  it("writes nothing without resources and ignores devices", () => {
    const mem = fakeDir({ "memory.limit_in_bytes": "max" });
    applyResources(v1State({ memory: mem }), undefined, noMount);
    applyResources(v1State({ memory: mem }), { devices: [{ allow: false, access: "rwm" }] }, noMount);
    expect(read(mem, "memory.limit_in_bytes")).toBe("max");
  });

  it("writes memory, swap, reservation, swappiness and the OOM switch", () => {
    const mem = fakeDir({
      "memory.limit_in_bytes": "",
      "memory.memsw.limit_in_bytes": "",
      "memory.soft_limit_in_bytes": "",
      "memory.swappiness": "60",
      "memory.oom_control": "",
      "memory.kmem.tcp.limit_in_bytes": "",
    });
    const warnings: string[] = [];
    applyResources(
      v1State({ memory: mem }),
      {
        memory: {
          limit: 200 << 20,
          swap: 400 << 20,
          reservation: 100 << 20,
          swappiness: 10,
          disableOOMKiller: true,
          kernel: 1 << 20,
          kernelTCP: 2 << 20,
        },
      },
      noMount,
      { warn: (m) => warnings.push(m) },
    );
    expect(read(mem, "memory.limit_in_bytes")).toBe(String(200 << 20));
    expect(read(mem, "memory.memsw.limit_in_bytes")).toBe(String(400 << 20));
    expect(read(mem, "memory.soft_limit_in_bytes")).toBe(String(100 << 20));
    expect(read(mem, "memory.swappiness")).toBe("10");
    expect(read(mem, "memory.oom_control")).toBe("1");
    expect(read(mem, "memory.kmem.tcp.limit_in_bytes")).toBe(String(2 << 20));
    expect(warnings).toEqual([expect.stringMatching(/^linux\.resources\.memory\.kernel: /)]);
  });

  it("sets swap unlimited along with an unlimited limit", () => {
    const mem = fakeDir({ "memory.limit_in_bytes": "", "memory.memsw.limit_in_bytes": "" });
    applyResources(v1State({ memory: mem }), { memory: { limit: -1 } }, noMount);
    expect(read(mem, "memory.limit_in_bytes")).toBe("-1");
    expect(read(mem, "memory.memsw.limit_in_bytes")).toBe("-1");
  });

  it("refuses swap below the limit before writing anything", () => {
    const mem = fakeDir({ "memory.limit_in_bytes": "max", "memory.memsw.limit_in_bytes": "max" });
    expect(() => applyResources(v1State({ memory: mem }), { memory: { limit: 20000, swap: 10000 } }, noMount)).toThrow(
      "validate linux.resources.memory.swap: swap (10000) must be at least the memory limit (20000)",
    );
    expect(read(mem, "memory.limit_in_bytes")).toBe("max");
  });

  it("checkBeforeUpdate refuses a limit below current usage on update", () => {
    const mem = fakeDir({ "memory.limit_in_bytes": "9000", "memory.usage_in_bytes": "5000" });
    const r: Resources = { memory: { limit: 4096, checkBeforeUpdate: true } };
    expect(() => applyResources(v1State({ memory: mem }), r, noMount, { update: true })).toThrow(
      /memory\.limit: the new limit 4096 is below the current usage 5000/,
    );
    applyResources(v1State({ memory: mem }), { memory: { limit: 8192, checkBeforeUpdate: true } }, noMount, { update: true });
    expect(read(mem, "memory.limit_in_bytes")).toBe("8192");
  });

  it("writes cpu, cpuset and pids", () => {
    const cpu = fakeDir({
      "cpu.shares": "",
      "cpu.cfs_quota_us": "",
      "cpu.cfs_period_us": "",
      "cpu.cfs_burst_us": "",
      "cpu.rt_period_us": "",
      "cpu.rt_runtime_us": "",
      "cpu.idle": "",
    });
    const cpuset = fakeDir({ "cpuset.cpus": "", "cpuset.mems": "" });
    const pids = fakeDir({ "pids.max": "" });
    writeFileSync(join(cpu, "cpu.shares"), "512");
    applyResources(
      v1State({ cpu, cpuset, pids }),
      {
        cpu: {
          shares: 512,
          quota: 50000,
          period: 200000,
          burst: 10000,
          realtimePeriod: 1000000,
          realtimeRuntime: 5000,
          cpus: "0",
          mems: "0",
          idle: 0,
        },
        pids: { limit: -1 },
      },
      noMount,
    );
    expect(read(cpu, "cpu.cfs_quota_us")).toBe("50000");
    expect(read(cpu, "cpu.cfs_period_us")).toBe("200000");
    expect(read(cpu, "cpu.cfs_burst_us")).toBe("10000");
    expect(read(cpu, "cpu.rt_runtime_us")).toBe("5000");
    expect(read(cpuset, "cpuset.cpus")).toBe("0");
    expect(read(pids, "pids.max")).toBe("max");
  });

  it("uses the BFQ weight files when blkio.weight is absent", () => {
    const blkio = fakeDir({
      "blkio.bfq.weight": "",
      "blkio.bfq.weight_device": "",
      "blkio.throttle.read_bps_device": "",
      "blkio.throttle.write_iops_device": "",
    });
    applyResources(
      v1State({ blkio }),
      {
        blockIO: {
          weight: 300,
          weightDevice: [{ major: 254, minor: 0, weight: 400 }],
          throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1048576 }],
          throttleWriteIOPSDevice: [{ major: 254, minor: 0, rate: 100 }],
        },
      },
      noMount,
    );
    expect(read(blkio, "blkio.bfq.weight")).toBe("300");
    expect(read(blkio, "blkio.bfq.weight_device")).toBe("254:0 400");
    expect(read(blkio, "blkio.throttle.read_bps_device")).toBe("254:0 1048576");
    expect(read(blkio, "blkio.throttle.write_iops_device")).toBe("254:0 100");
  });

  it("names the JSON path when a controller is not mounted", () => {
    expect(() => applyResources(v1State({}), { network: { classID: 7 } }, noMount)).toThrow(
      /linux\.resources\.network\.classID: the net_cls cgroup controller is not mounted/,
    );
    expect(() => applyResources(v1State({}), { rdma: { mlx5_0: { hcaHandles: 1 } } }, noMount)).toThrow(
      /linux\.resources\.rdma\.mlx5_0: the rdma cgroup controller/,
    );
  });

  it("refuses unified on a v1 host", () => {
    expect(() => applyResources(v1State({}), { unified: { "memory.high": "1000" } }, noMount)).toThrow(
      /linux\.resources\.unified: cgroup v2 settings cannot be applied/,
    );
  });

  it("reports a missing cgroup file with the JSON path and the file", () => {
    const mem = fakeDir({});
    try {
      applyResources(v1State({ memory: mem }), { memory: { reservation: 1000 } }, noMount);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BerthError);
      const e = err as BerthError;
      expect(e.path).toBe("linux.resources.memory.reservation");
      expect(e.errno).toBe("ENOENT");
      expect(e.message).toContain(join(mem, "memory.soft_limit_in_bytes"));
    }
  });
});

describe("applyResources on v2", () => {
  function v2(files: Record<string, string>): { root: string; leaf: string; state: CgroupState } {
    const root = fakeDir({ "cgroup.controllers": "cpuset cpu io memory pids", "cgroup.subtree_control": "" });
    const leaf = join(root, "ctr");
    mkdirSync(leaf);
    for (const [f, v] of Object.entries({ "cgroup.controllers": "cpuset cpu io memory pids", ...files })) writeFileSync(join(leaf, f), v);
    return { root, leaf, state: { layout: "v2", paths: { unified: leaf }, created: [] } };
  }

  it("converts and writes memory, cpu, io and pids", () => {
    const { root, leaf, state } = v2({
      "memory.max": "",
      "memory.swap.max": "",
      "memory.low": "",
      "cpu.weight": "",
      "cpu.max": "",
      "cpu.max.burst": "",
      "cpuset.cpus": "",
      "io.weight": "",
      "io.max": "",
      "pids.max": "",
      "memory.high": "",
    });
    applyResources(
      state,
      {
        memory: { limit: 200 << 20, swap: 300 << 20, reservation: 50 << 20 },
        cpu: { shares: 1024, quota: 50000, period: 100000, burst: 1000, cpus: "0" },
        blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 100 }] },
        pids: { limit: 64 },
        unified: { "memory.high": "123456789" },
      },
      () => root,
    );
    expect(read(root, "cgroup.subtree_control")).toBe("+cpuset +cpu +io +memory +pids");
    expect(read(leaf, "memory.max")).toBe(String(200 << 20));
    expect(read(leaf, "memory.swap.max")).toBe(String(100 << 20));
    expect(read(leaf, "memory.low")).toBe(String(50 << 20));
    expect(read(leaf, "cpu.weight")).toBe("39");
    expect(read(leaf, "cpu.max")).toBe("50000 100000");
    expect(read(leaf, "cpu.max.burst")).toBe("1000");
    expect(read(leaf, "cpuset.cpus")).toBe("0");
    expect(read(leaf, "io.weight")).toBe("4950");
    expect(read(leaf, "io.max")).toBe("8:0 rbps=100");
    expect(read(leaf, "pids.max")).toBe("64");
    expect(read(leaf, "memory.high")).toBe("123456789");
  });

  it("enables controllers on every level above the container, only those missing", () => {
    const root = fakeDir({ "cgroup.controllers": "cpu memory pids", "cgroup.subtree_control": "memory" });
    const mid = join(root, "a");
    const leaf = join(mid, "ctr");
    mkdirSync(leaf, { recursive: true });
    writeFileSync(join(mid, "cgroup.controllers"), "cpu memory");
    writeFileSync(join(mid, "cgroup.subtree_control"), "");
    writeFileSync(join(leaf, "cgroup.controllers"), "");
    applyResources({ layout: "v2", paths: { unified: leaf }, created: [] }, undefined, () => root);
    expect(read(root, "cgroup.subtree_control")).toBe("+cpu +pids");
    expect(read(mid, "cgroup.subtree_control")).toBe("+cpu +memory");
    // update never touches the parents
    writeFileSync(join(mid, "cgroup.subtree_control"), "");
    applyResources({ layout: "v2", paths: { unified: leaf }, created: [] }, {}, () => root, { update: true });
    expect(read(mid, "cgroup.subtree_control")).toBe("");
  });

  it("disables swap when swap equals the limit, and quota -1 is max", () => {
    const { root, leaf, state } = v2({ "memory.max": "", "memory.swap.max": "", "cpu.max": "" });
    applyResources(state, { memory: { limit: 4096, swap: 4096 }, cpu: { quota: -1, period: 50000 } }, () => root);
    expect(read(leaf, "memory.swap.max")).toBe("0");
    expect(read(leaf, "cpu.max")).toBe("max 50000");
  });

  it("names a controller that is not available", () => {
    const { root, state } = v2({});
    expect(() => applyResources(state, { hugepageLimits: [], rdma: { mlx4_0: { hcaObjects: 3 } } }, () => root)).toThrow(
      /linux\.resources\.rdma\.mlx4_0: the rdma controller is not available/,
    );
    expect(() => applyResources(state, { unified: { "misc.max": "1" } }, () => root)).toThrow(
      /unified\["misc\.max"\]: the misc controller is not available/,
    );
  });

  it("refuses realtime limits and warns about v1-only settings", () => {
    const { root, leaf, state } = v2({ "memory.max": "" });
    expect(() => applyResources(state, { cpu: { realtimeRuntime: 1000 } }, () => root)).toThrow(
      /cpu\.realtimeRuntime: realtime CPU scheduling limits are not supported on cgroup v2/,
    );
    const warnings: string[] = [];
    applyResources(state, { memory: { limit: 8192, swappiness: 0 }, network: { classID: 3 } }, () => root, {
      warn: (m) => warnings.push(m),
    });
    expect(read(leaf, "memory.max")).toBe("8192");
    expect(warnings).toHaveLength(2);
  });
});
