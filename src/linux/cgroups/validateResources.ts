// Checks of linux.resources that need no cgroup write, so an impossible or
// unsupported value is refused before the container starts, with its JSON path.
// The kernel still has the last word; see limitFiles.ts for its errors.

import { readdirSync } from "node:fs";
import type { BlockIOResources, CpuResources, MemoryResources, Resources, ThrottleDevice } from "../../spec/types.js";
import { hugePageSizeName, isCpuList, swapToV2 } from "./convert.js";
import { invalid } from "./limitFiles.js";

const R = "linux.resources";

export interface ValidateContext {
  /** Hugepage sizes this host has ("2MB", "1GB"); see hostHugePageSizes(). */
  hugePageSizes: string[];
  /** For `berth update`: values not given keep their current setting. */
  update?: boolean;
}

/** The hugepage sizes the kernel supports, named like pageSize ("2MB"). */
export function hostHugePageSizes(dir = "/sys/kernel/mm/hugepages"): string[] {
  try {
    return readdirSync(dir)
      .map(hugePageSizeName)
      .filter((s): s is string => s !== undefined);
  } catch {
    return [];
  }
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

/** An optional integer in [min, max]; 0 and undefined are accepted when `zeroUnset`. */
function intIn(path: string, v: unknown, min: number, max: number, zeroUnset = false): void {
  if (v === undefined || v === null) return;
  if (!isInt(v)) throw invalid(path, `${JSON.stringify(v)} is not an integer`);
  if (zeroUnset && v === 0) return;
  if (v < min || v > max) throw invalid(path, `${v} is out of range (${min}..${max})`);
}

/** A byte limit: -1 (unlimited), 0 (unset) or positive. */
function byteLimit(path: string, v: unknown): void {
  if (v === undefined || v === null) return;
  if (!isInt(v) || v < -1) throw invalid(path, `${JSON.stringify(v)} is not a byte count or -1 (unlimited)`);
}

const UINT32 = 0xffffffff;
/** A memory limit below one page leaves no room for any page at all. */
const MIN_MEMORY = 4096;

function validateMemory(m: MemoryResources, ctx: ValidateContext): void {
  const p = `${R}.memory`;
  for (const k of ["limit", "reservation", "swap", "kernel", "kernelTCP"] as const) byteLimit(`${p}.${k}`, m[k]);
  if (isInt(m.limit) && m.limit > 0 && m.limit < MIN_MEMORY) {
    throw invalid(
      `${p}.limit`,
      `${m.limit} is below the kernel's minimum of one page (${MIN_MEMORY} bytes)`,
      "use a larger limit, or -1 for none",
    );
  }
  const sw = m.swappiness;
  if (sw !== undefined && sw !== null && sw !== -1) intIn(`${p}.swappiness`, sw, 0, 100);
  const swap = m.swap ?? 0;
  const limit = m.limit ?? 0;
  if (swap > 0 && !(ctx.update === true && limit === 0)) {
    const v2 = swapToV2(swap, limit);
    if (!v2.ok) throw invalid(`${p}.swap`, v2.reason, "linux.resources.memory.swap is the memory+swap limit");
  }
}

function validateCpu(c: CpuResources): void {
  const p = `${R}.cpu`;
  intIn(`${p}.shares`, c.shares, 2, 262144, true);
  if (c.quota !== undefined && c.quota !== null) {
    if (!isInt(c.quota)) throw invalid(`${p}.quota`, `${JSON.stringify(c.quota)} is not an integer`);
    if (c.quota > 0 && c.quota < 1000)
      throw invalid(`${p}.quota`, `${c.quota} is below the kernel's minimum of 1000 microseconds`, "use -1 for no quota");
  }
  intIn(`${p}.period`, c.period, 1000, 1000000, true);
  if (c.burst !== undefined && c.burst !== null) {
    intIn(`${p}.burst`, c.burst, 0, Number.MAX_SAFE_INTEGER);
    if (c.burst > 0 && isInt(c.quota) && c.quota > 0 && c.burst > c.quota) {
      throw invalid(`${p}.burst`, `burst (${c.burst}) must not exceed quota (${c.quota})`);
    }
  }
  if (c.realtimeRuntime !== undefined && c.realtimeRuntime !== null) {
    if (!isInt(c.realtimeRuntime) || c.realtimeRuntime < -1)
      throw invalid(`${p}.realtimeRuntime`, `${JSON.stringify(c.realtimeRuntime)} is not a number of microseconds or -1`);
  }
  intIn(`${p}.realtimePeriod`, c.realtimePeriod, 1, 1000000000, true);
  if (
    isInt(c.realtimeRuntime) &&
    c.realtimeRuntime > 0 &&
    isInt(c.realtimePeriod) &&
    c.realtimePeriod > 0 &&
    c.realtimeRuntime > c.realtimePeriod
  ) {
    throw invalid(`${p}.realtimeRuntime`, `realtimeRuntime (${c.realtimeRuntime}) must not exceed realtimePeriod (${c.realtimePeriod})`);
  }
  intIn(`${p}.idle`, c.idle, 0, 1);
  for (const k of ["cpus", "mems"] as const) {
    const v = c[k];
    if (v === undefined || v === null || v === "") continue;
    if (typeof v !== "string" || !isCpuList(v)) {
      throw invalid(`${p}.${k}`, `${JSON.stringify(v)} is not a list like "0-3,7"`);
    }
  }
}

function validateDevice(path: string, d: { major: number; minor: number }): void {
  if (!isInt(d.major) || d.major < 0) throw invalid(`${path}.major`, `${JSON.stringify(d.major)} is not a device major number`);
  if (!isInt(d.minor) || d.minor < 0) throw invalid(`${path}.minor`, `${JSON.stringify(d.minor)} is not a device minor number`);
}

function validateBlockIO(b: BlockIOResources): void {
  const p = `${R}.blockIO`;
  intIn(`${p}.weight`, b.weight, 10, 1000, true);
  intIn(`${p}.leafWeight`, b.leafWeight, 10, 1000, true);
  (b.weightDevice ?? []).forEach((d, i) => {
    const dp = `${p}.weightDevice[${i}]`;
    validateDevice(dp, d);
    intIn(`${dp}.weight`, d.weight, 10, 1000, true);
    intIn(`${dp}.leafWeight`, d.leafWeight, 10, 1000, true);
    if (!d.weight && !d.leafWeight) throw invalid(dp, "needs weight or leafWeight");
  });
  for (const k of ["throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice"] as const) {
    (b[k] ?? []).forEach((d: ThrottleDevice, i) => {
      const dp = `${p}.${k}[${i}]`;
      validateDevice(dp, d);
      if (!isInt(d.rate) || d.rate < 0) throw invalid(`${dp}.rate`, `${JSON.stringify(d.rate)} is not a non-negative integer`);
    });
  }
}

/** Throws a BerthError naming the first impossible setting in `r`. */
export function validateResources(r: Resources, ctx: ValidateContext): void {
  if (r.memory) validateMemory(r.memory, ctx);
  if (r.cpu) validateCpu(r.cpu);
  if (r.pids && r.pids.limit !== undefined && r.pids.limit !== null && !isInt(r.pids.limit)) {
    throw invalid(`${R}.pids.limit`, `${JSON.stringify(r.pids.limit)} is not an integer`);
  }
  if (r.blockIO) validateBlockIO(r.blockIO);
  (r.hugepageLimits ?? []).forEach((h, i) => {
    const hp = `${R}.hugepageLimits[${i}]`;
    if (!ctx.hugePageSizes.includes(h.pageSize)) {
      const have = ctx.hugePageSizes.length > 0 ? ctx.hugePageSizes.join(", ") : "none";
      throw invalid(
        `${hp}.pageSize`,
        `hugepage size ${JSON.stringify(h.pageSize)} is not supported by this host (it has: ${have})`,
        "use a size listed in /sys/kernel/mm/hugepages, written like 2MB or 1GB",
      );
    }
    if (!isInt(h.limit) || h.limit < 0) throw invalid(`${hp}.limit`, `${JSON.stringify(h.limit)} is not a byte count`);
  });
  if (r.network) {
    intIn(`${R}.network.classID`, r.network.classID, 0, UINT32);
    (r.network.priorities ?? []).forEach((pr, i) => {
      const pp = `${R}.network.priorities[${i}]`;
      if (typeof pr.name !== "string" || !/^[^\s/]+$/.test(pr.name))
        throw invalid(`${pp}.name`, `${JSON.stringify(pr.name)} is not an interface name`);
      intIn(`${pp}.priority`, pr.priority, 0, UINT32);
    });
  }
  for (const [dev, lim] of Object.entries(r.rdma ?? {})) {
    const rp = `${R}.rdma.${dev}`;
    if (!/^[^\s=]+$/.test(dev)) throw invalid(rp, `${JSON.stringify(dev)} is not an RDMA device name`);
    intIn(`${rp}.hcaHandles`, lim.hcaHandles, 0, UINT32);
    intIn(`${rp}.hcaObjects`, lim.hcaObjects, 0, UINT32);
    if ((lim.hcaHandles ?? undefined) === undefined && (lim.hcaObjects ?? undefined) === undefined) {
      throw invalid(rp, "needs hcaHandles or hcaObjects");
    }
  }
  for (const [k, v] of Object.entries(r.unified ?? {})) {
    const up = `${R}.unified[${JSON.stringify(k)}]`;
    if (k === "" || k.includes("/") || k.includes("..") || k === ".") {
      throw invalid(up, 'must be a file name in the container\'s cgroup (no "/" or "..")');
    }
    if (typeof v !== "string") throw invalid(up, `value ${JSON.stringify(v)} is not a string`);
  }
}
