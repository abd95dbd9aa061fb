// linux.resources on cgroup v1 controllers (also used for the v1 half of a
// hybrid host). File names, write order and the treatment of 0 (unset) and -1
// (unlimited) follow runc's cgroupfs driver.

import { BerthError } from "../../errors.js";
import type { BlockIOResources, CpuResources, MemoryResources, Resources } from "../../spec/types.js";
import { intStr } from "./convert.js";
import { hasFile, invalid, OP, readNumber, writeLimit, type ApplyOptions } from "./limitFiles.js";
import { cpusetFile } from "./v1.js";

const R = "linux.resources";

/** The directory of v1 controller `ctrl`, or an error naming `jsonPath` when it is not mounted. */
function dirOf(paths: Record<string, string>, ctrl: string, jsonPath: string): string {
  const dir = paths[ctrl];
  if (dir === undefined) {
    throw new BerthError(`the ${ctrl} cgroup controller is not mounted on this host, so the limit cannot be set`, {
      op: OP,
      path: jsonPath,
      hint: `mount the ${ctrl} controller under /sys/fs/cgroup or remove ${jsonPath}`,
    });
  }
  return dir;
}

function set(v: number | undefined | null): v is number {
  return v !== undefined && v !== null && v !== 0;
}

function setMemoryLimit(dir: string, limit: number): void {
  try {
    writeLimit(dir, "memory.limit_in_bytes", intStr(limit), `${R}.memory.limit`);
  } catch (err) {
    if (err instanceof BerthError && err.errno === "EBUSY") {
      const usage = readNumber(dir, "memory.usage_in_bytes");
      const peak = readNumber(dir, "memory.max_usage_in_bytes");
      throw new BerthError(`unable to set the memory limit to ${limit} (current usage: ${usage}, peak usage: ${peak})`, {
        op: OP,
        path: `${R}.memory.limit`,
        errno: "EBUSY",
        cause: err,
        hint: "choose a limit above the current usage",
      });
    }
    throw err;
  }
}

/**
 * memory.limit_in_bytes must never exceed memory.memsw.limit_in_bytes, so the
 * order depends on the current limit: when swap grows past it (or becomes
 * unlimited) memsw goes first, otherwise the limit does.
 */
function setMemoryAndSwap(dir: string, m: MemoryResources): void {
  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;
  if (limit === -1 && swap === 0 && hasFile(dir, "memory.memsw.limit_in_bytes")) swap = -1;
  if (limit !== 0 && swap !== 0) {
    const cur = readNumber(dir, "memory.limit_in_bytes") ?? Number.POSITIVE_INFINITY;
    if (swap === -1 || cur < swap) {
      writeLimit(dir, "memory.memsw.limit_in_bytes", intStr(swap), `${R}.memory.swap`);
      setMemoryLimit(dir, limit);
      return;
    }
  }
  if (limit !== 0) setMemoryLimit(dir, limit);
  if (swap !== 0) {
    if (!hasFile(dir, "memory.memsw.limit_in_bytes")) {
      throw invalid(
        `${R}.memory.swap`,
        "swap accounting is disabled in this kernel (no memory.memsw.limit_in_bytes)",
        "boot with swapaccount=1 or remove linux.resources.memory.swap",
      );
    }
    writeLimit(dir, "memory.memsw.limit_in_bytes", intStr(swap), `${R}.memory.swap`);
  }
}

function applyMemory(dir: string, m: MemoryResources, opts: ApplyOptions): void {
  const p = `${R}.memory`;
  if (opts.update === true && m.checkBeforeUpdate === true && set(m.limit) && m.limit > 0) {
    const usage = readNumber(dir, "memory.usage_in_bytes");
    if (usage !== undefined && m.limit < usage) {
      throw invalid(
        `${p}.limit`,
        `the new limit ${m.limit} is below the current usage ${usage}`,
        "choose a larger limit (checkBeforeUpdate is set)",
      );
    }
  }
  setMemoryAndSwap(dir, m);
  // Kernel memory accounting cannot be limited separately any more; runc ignores it too.
  if (set(m.kernel)) opts.warn?.(`${p}.kernel: kernel memory limits are ignored (the kernel no longer enforces them)`);
  if (set(m.kernelTCP)) {
    if (hasFile(dir, "memory.kmem.tcp.limit_in_bytes"))
      writeLimit(dir, "memory.kmem.tcp.limit_in_bytes", intStr(m.kernelTCP), `${p}.kernelTCP`);
    else opts.warn?.(`${p}.kernelTCP: this kernel has no memory.kmem.tcp.limit_in_bytes; ignored`);
  }
  if (set(m.reservation)) writeLimit(dir, "memory.soft_limit_in_bytes", intStr(m.reservation), `${p}.reservation`);
  if (m.disableOOMKiller === true) writeLimit(dir, "memory.oom_control", "1", `${p}.disableOOMKiller`);
  if (m.swappiness !== undefined && m.swappiness !== null && m.swappiness !== -1) {
    writeLimit(dir, "memory.swappiness", String(m.swappiness), `${p}.swappiness`);
  }
  if (m.useHierarchy !== undefined && m.useHierarchy !== null) {
    try {
      writeLimit(dir, "memory.use_hierarchy", m.useHierarchy ? "1" : "0", `${p}.useHierarchy`);
    } catch (err) {
      // Current kernels always account hierarchically and refuse "0".
      if (!(err instanceof BerthError) || (err.errno !== "EINVAL" && err.errno !== "ENOENT")) throw err;
      opts.warn?.(`${p}.useHierarchy: this kernel always uses hierarchical accounting; ignored`);
    }
  }
}

function applyCpu(paths: Record<string, string>, c: CpuResources): void {
  const p = `${R}.cpu`;
  const needCpu =
    set(c.shares) ||
    set(c.quota) ||
    set(c.period) ||
    set(c.burst) ||
    set(c.realtimeRuntime) ||
    set(c.realtimePeriod) ||
    (c.idle !== undefined && c.idle !== null);
  if (needCpu) {
    const dir = dirOf(paths, "cpu", p);
    if (set(c.shares)) {
      writeLimit(dir, "cpu.shares", intStr(c.shares), `${p}.shares`);
      const got = readNumber(dir, "cpu.shares");
      if (got !== undefined && got !== c.shares) {
        throw invalid(
          `${p}.shares`,
          `the kernel set cpu.shares to ${got} instead of ${c.shares}`,
          `the ${c.shares > got ? "maximum" : "minimum"} allowed is ${got}`,
        );
      }
    }
    // A smaller period can be refused while the old quota is in place; then
    // it is written again after the quota.
    let periodPending = false;
    if (set(c.period)) {
      try {
        writeLimit(dir, "cpu.cfs_period_us", intStr(c.period), `${p}.period`);
      } catch (err) {
        if (!(err instanceof BerthError) || err.errno !== "EINVAL" || !set(c.quota)) throw err;
        periodPending = true;
      }
    }
    if (set(c.quota)) {
      writeLimit(dir, "cpu.cfs_quota_us", intStr(c.quota < 0 ? -1 : c.quota), `${p}.quota`);
      if (periodPending) writeLimit(dir, "cpu.cfs_period_us", intStr(c.period!), `${p}.period`);
    }
    if (c.burst !== undefined && c.burst !== null) writeLimit(dir, "cpu.cfs_burst_us", intStr(c.burst), `${p}.burst`);
    if (set(c.realtimePeriod)) writeLimit(dir, "cpu.rt_period_us", intStr(c.realtimePeriod), `${p}.realtimePeriod`);
    if (set(c.realtimeRuntime)) writeLimit(dir, "cpu.rt_runtime_us", intStr(c.realtimeRuntime), `${p}.realtimeRuntime`);
    if (c.idle !== undefined && c.idle !== null) writeLimit(dir, "cpu.idle", String(c.idle), `${p}.idle`);
  }
  for (const k of ["cpus", "mems"] as const) {
    const v = c[k];
    if (v === undefined || v === null || v === "") continue;
    const dir = dirOf(paths, "cpuset", `${p}.${k}`);
    const file = cpusetFile(dir, k);
    writeLimit(dir, file.slice(dir.length + 1), v, `${p}.${k}`);
  }
}

function applyBlockIO(dir: string, b: BlockIOResources): void {
  const p = `${R}.blockIO`;
  // The CFQ files (blkio.weight) are gone from current kernels; BFQ has its own.
  const bfq = !hasFile(dir, "blkio.weight") && hasFile(dir, "blkio.bfq.weight");
  const weightFile = bfq ? "blkio.bfq.weight" : "blkio.weight";
  const weightDeviceFile = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
  const weighted = set(b.weight) || (b.weightDevice ?? []).some((d) => set(d.weight));
  if (weighted && !bfq && !hasFile(dir, "blkio.weight")) {
    const which = set(b.weight) ? `${p}.weight` : `${p}.weightDevice`;
    throw invalid(
      which,
      "this kernel has neither blkio.weight (CFQ) nor blkio.bfq.weight (BFQ): no io scheduler with weights is loaded",
      "load the BFQ io scheduler (modprobe bfq) or remove the weight",
    );
  }
  if (set(b.weight)) writeLimit(dir, weightFile, String(b.weight), `${p}.weight`);
  if (set(b.leafWeight)) writeLimit(dir, "blkio.leaf_weight", String(b.leafWeight), `${p}.leafWeight`);
  (b.weightDevice ?? []).forEach((d, i) => {
    if (set(d.weight)) writeLimit(dir, weightDeviceFile, `${d.major}:${d.minor} ${d.weight}`, `${p}.weightDevice[${i}].weight`);
    if (set(d.leafWeight))
      writeLimit(dir, "blkio.leaf_weight_device", `${d.major}:${d.minor} ${d.leafWeight}`, `${p}.weightDevice[${i}].leafWeight`);
  });
  const throttles = [
    ["throttleReadBpsDevice", "blkio.throttle.read_bps_device"],
    ["throttleWriteBpsDevice", "blkio.throttle.write_bps_device"],
    ["throttleReadIOPSDevice", "blkio.throttle.read_iops_device"],
    ["throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"],
  ] as const;
  for (const [key, file] of throttles) {
    (b[key] ?? []).forEach((d, i) => writeLimit(dir, file, `${d.major}:${d.minor} ${intStr(d.rate)}`, `${p}.${key}[${i}]`));
  }
}

function hasAny(o: object | undefined | null): boolean {
  if (o === undefined || o === null) return false;
  return Object.values(o).some((v) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0));
}

/** Write `r` into the v1 controller directories in `paths` (controller → dir). */
export function applyV1(paths: Record<string, string>, r: Resources, opts: ApplyOptions): void {
  if (r.unified !== undefined && r.unified !== null && Object.keys(r.unified).length > 0) {
    throw invalid(
      `${R}.unified`,
      "cgroup v2 settings cannot be applied: this host's resource controllers are cgroup v1",
      "remove linux.resources.unified or run on a cgroup v2 host",
    );
  }
  if (r.pids && r.pids.limit !== undefined && r.pids.limit !== null) {
    const dir = dirOf(paths, "pids", `${R}.pids.limit`);
    writeLimit(dir, "pids.max", r.pids.limit < 0 ? "max" : intStr(r.pids.limit), `${R}.pids.limit`);
  }
  if (hasAny(r.memory)) applyMemory(dirOf(paths, "memory", `${R}.memory`), r.memory!, opts);
  if (hasAny(r.cpu)) applyCpu(paths, r.cpu!);
  if (hasAny(r.blockIO)) applyBlockIO(dirOf(paths, "blkio", `${R}.blockIO`), r.blockIO!);
  (r.hugepageLimits ?? []).forEach((h, i) => {
    const jp = `${R}.hugepageLimits[${i}]`;
    const dir = dirOf(paths, "hugetlb", jp);
    const prefix = `hugetlb.${h.pageSize}`;
    writeLimit(dir, `${prefix}.limit_in_bytes`, intStr(h.limit), jp);
    // Reservation accounting, where the kernel has it, is the stronger limit.
    if (hasFile(dir, `${prefix}.rsvd.limit_in_bytes`)) writeLimit(dir, `${prefix}.rsvd.limit_in_bytes`, intStr(h.limit), jp);
  });
  if (r.network) {
    if (set(r.network.classID)) {
      writeLimit(dirOf(paths, "net_cls", `${R}.network.classID`), "net_cls.classid", String(r.network.classID), `${R}.network.classID`);
    }
    (r.network.priorities ?? []).forEach((pr, i) => {
      const jp = `${R}.network.priorities[${i}]`;
      writeLimit(dirOf(paths, "net_prio", jp), "net_prio.ifpriomap", `${pr.name} ${pr.priority}`, jp);
    });
  }
  for (const [dev, lim] of Object.entries(r.rdma ?? {})) {
    const jp = `${R}.rdma.${dev}`;
    writeLimit(dirOf(paths, "rdma", jp), "rdma.max", rdmaLine(dev, lim), jp);
  }
}

/** One rdma.max line: "mlx5_1 hca_handle=3 hca_object=10000" (a missing value stays as it is). */
export function rdmaLine(dev: string, lim: { hcaHandles?: number; hcaObjects?: number }): string {
  const parts = [dev];
  if (lim.hcaHandles !== undefined && lim.hcaHandles !== null) parts.push(`hca_handle=${lim.hcaHandles}`);
  if (lim.hcaObjects !== undefined && lim.hcaObjects !== null) parts.push(`hca_object=${lim.hcaObjects}`);
  return parts.join(" ");
}
