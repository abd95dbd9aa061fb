// linux.resources on a cgroup v2 (unified) hierarchy: enabling controllers in
// the ancestors' cgroup.subtree_control, converting v1-style values to the v2
// files (cpu.weight, cpu.max, memory.swap.max, io.*), and writing
// linux.resources.unified last so it overrides everything else, as runc does.

import { dirname, join } from "node:path";
import { BerthError } from "../../errors.js";
import type { BlockIOResources, CpuResources, MemoryResources, Resources } from "../../spec/types.js";
import { blkioWeightToIoWeight, intStr, sharesToWeight, swapToV2, v2Limit } from "./convert.js";
import { readCgroupFile } from "./files.js";
import { hasFile, invalid, OP, readNumber, writeLimit, type ApplyOptions } from "./limitFiles.js";
import { rdmaLine } from "./limitsV1.js";

const R = "linux.resources";

/** Controllers listed in `dir`/cgroup.controllers. */
export function availableControllers(dir: string): Set<string> {
  const text = readCgroupFile(join(dir, "cgroup.controllers")) ?? "";
  return new Set(text.split(/\s+/).filter((s) => s !== ""));
}

/**
 * Enable every available controller in cgroup.subtree_control of each directory
 * from `mountPoint` down to the parent of `leaf`, so the leaf gets their files.
 * Best effort, like runc: a controller that cannot be enabled shows up later as
 * an error for the setting that needs it.
 */
export function enableControllers(mountPoint: string, leaf: string): void {
  const chain: string[] = [];
  for (let d = dirname(leaf); d.startsWith(mountPoint) && d.length >= mountPoint.length; d = dirname(d)) {
    chain.unshift(d);
    if (d === mountPoint) break;
  }
  for (const dir of chain) {
    const want = [...availableControllers(dir)];
    if (want.length === 0) continue;
    const enabled = new Set((readCgroupFile(join(dir, "cgroup.subtree_control")) ?? "").split(/\s+/).filter((s) => s !== ""));
    const missing = want.filter((c) => !enabled.has(c));
    if (missing.length === 0) continue;
    try {
      writeLimit(dir, "cgroup.subtree_control", missing.map((c) => `+${c}`).join(" "), "linux.cgroupsPath");
    } catch {
      for (const c of missing) {
        try {
          writeLimit(dir, "cgroup.subtree_control", `+${c}`, "linux.cgroupsPath");
        } catch {
          // reported by the setting that needs it
        }
      }
    }
  }
}

class V2Writer {
  private controllers: Set<string> | undefined;

  constructor(
    private readonly dir: string,
    private readonly opts: ApplyOptions,
  ) {}

  /** Throws, naming `jsonPath`, when `ctrl` is not enabled for the container's cgroup. */
  need(ctrl: string, jsonPath: string): void {
    this.controllers ??= availableControllers(this.dir);
    if (this.controllers.has(ctrl)) return;
    const have = this.controllers.size > 0 ? [...this.controllers].join(" ") : "none";
    throw new BerthError(`the ${ctrl} controller is not available in ${this.dir} (available: ${have})`, {
      op: OP,
      path: jsonPath,
      hint: `enable ${ctrl} in the parent's cgroup.subtree_control, or remove ${jsonPath}`,
    });
  }

  write(file: string, value: string, jsonPath: string): void {
    writeLimit(this.dir, file, value, jsonPath);
  }

  warn(msg: string): void {
    this.opts.warn?.(msg);
  }

  memory(m: MemoryResources): void {
    const p = `${R}.memory`;
    const limit = m.limit ?? 0;
    const touchesLimits = limit !== 0 || (m.swap ?? 0) !== 0 || (m.reservation ?? 0) !== 0;
    if (touchesLimits) this.need("memory", p);
    if (this.opts.update === true && m.checkBeforeUpdate === true && limit > 0) {
      const usage = readNumber(this.dir, "memory.current");
      if (usage !== undefined && limit < usage) {
        throw invalid(
          `${p}.limit`,
          `the new limit ${limit} is below the current usage ${usage}`,
          "choose a larger limit (checkBeforeUpdate is set)",
        );
      }
    }
    let baseLimit = limit;
    if (this.opts.update === true && limit === 0 && (m.swap ?? 0) > 0) {
      const cur = readNumber(this.dir, "memory.max");
      baseLimit = cur === undefined || cur === Number.POSITIVE_INFINITY ? -1 : cur;
    }
    const swap = swapToV2(m.swap, baseLimit);
    if (!swap.ok) throw invalid(`${p}.swap`, swap.reason, "linux.resources.memory.swap is the memory+swap limit");
    let swapStr = v2Limit(swap.value);
    // memory == swap: no swap at all.
    if (swapStr === undefined && swap.value === 0 && (m.swap ?? 0) > 0) swapStr = "0";
    if (swapStr !== undefined) {
      if (hasFile(this.dir, "memory.swap.max")) this.write("memory.swap.max", swapStr, `${p}.swap`);
      else if (swapStr !== "max" && swapStr !== "0") {
        throw invalid(`${p}.swap`, "swap accounting is not available (no memory.swap.max)", "remove linux.resources.memory.swap");
      }
    }
    const max = v2Limit(m.limit);
    if (max !== undefined) this.write("memory.max", max, `${p}.limit`);
    const low = v2Limit(m.reservation);
    if (low !== undefined) this.write("memory.low", low, `${p}.reservation`);
    if ((m.kernel ?? 0) !== 0) this.warn(`${p}.kernel: kernel memory limits do not exist on cgroup v2; ignored`);
    if ((m.kernelTCP ?? 0) !== 0) this.warn(`${p}.kernelTCP: kernel TCP memory limits do not exist on cgroup v2; ignored`);
    if (m.swappiness !== undefined && m.swappiness !== null && m.swappiness !== -1) {
      this.warn(`${p}.swappiness: cgroup v2 has no per-cgroup swappiness; ignored`);
    }
    if (m.disableOOMKiller === true) this.warn(`${p}.disableOOMKiller: cgroup v2 cannot disable the OOM killer; ignored`);
    if (m.useHierarchy === false) this.warn(`${p}.useHierarchy: cgroup v2 always accounts hierarchically; ignored`);
  }

  cpu(c: CpuResources): void {
    const p = `${R}.cpu`;
    if ((c.realtimeRuntime ?? 0) !== 0 || (c.realtimePeriod ?? 0) !== 0) {
      const which = (c.realtimeRuntime ?? 0) !== 0 ? "realtimeRuntime" : "realtimePeriod";
      throw invalid(`${p}.${which}`, "realtime CPU scheduling limits are not supported on cgroup v2", `remove ${p}.${which}`);
    }
    const quota = c.quota ?? 0;
    const period = c.period ?? 0;
    const burst = c.burst;
    const hasBurst = burst !== undefined && burst !== null;
    const hasIdle = c.idle !== undefined && c.idle !== null;
    if ((c.shares ?? 0) !== 0 || quota !== 0 || period !== 0 || hasBurst || hasIdle) this.need("cpu", p);
    if ((c.shares ?? 0) !== 0) this.write("cpu.weight", String(sharesToWeight(c.shares!)), `${p}.shares`);
    if (hasIdle) this.write("cpu.idle", String(c.idle), `${p}.idle`);
    if (quota !== 0 || period !== 0) {
      let q = quota > 0 ? intStr(quota) : "max";
      // A period alone keeps the quota in place on update.
      if (quota === 0 && this.opts.update === true)
        q = (readCgroupFile(join(this.dir, "cpu.max")) ?? "max").trim().split(/\s+/)[0] ?? "max";
      const value = period !== 0 ? `${q} ${intStr(period)}` : q;
      try {
        this.write("cpu.max", value, quota !== 0 ? `${p}.quota` : `${p}.period`);
      } catch (err) {
        // A lower quota can be refused while the old burst exceeds it.
        if (!(err instanceof BerthError) || err.errno !== "EINVAL" || !hasBurst) throw err;
        this.write("cpu.max.burst", intStr(burst), `${p}.burst`);
        this.write("cpu.max", value, quota !== 0 ? `${p}.quota` : `${p}.period`);
      }
    }
    if (hasBurst) this.write("cpu.max.burst", intStr(burst), `${p}.burst`);
    for (const k of ["cpus", "mems"] as const) {
      const v = c[k];
      if (v === undefined || v === null || v === "") continue;
      this.need("cpuset", `${p}.${k}`);
      this.write(`cpuset.${k}`, v, `${p}.${k}`);
    }
  }

  io(b: BlockIOResources): void {
    const p = `${R}.blockIO`;
    this.need("io", p);
    const bfq = hasFile(this.dir, "io.bfq.weight");
    const weighted = (b.weight ?? 0) !== 0 || (b.weightDevice ?? []).some((d) => (d.weight ?? 0) !== 0);
    if (weighted && !bfq && !hasFile(this.dir, "io.weight")) {
      throw invalid(
        (b.weight ?? 0) !== 0 ? `${p}.weight` : `${p}.weightDevice`,
        "this kernel has neither io.weight (iocost) nor io.bfq.weight (BFQ): no io weight controller is available",
        "load the BFQ io scheduler (modprobe bfq) or remove the weight",
      );
    }
    if ((b.weight ?? 0) !== 0) {
      if (bfq) this.write("io.bfq.weight", String(b.weight), `${p}.weight`);
      else this.write("io.weight", String(blkioWeightToIoWeight(b.weight!)), `${p}.weight`);
    }
    if ((b.leafWeight ?? 0) !== 0) this.warn(`${p}.leafWeight: cgroup v2 has no leaf weights; ignored`);
    (b.weightDevice ?? []).forEach((d, i) => {
      const jp = `${p}.weightDevice[${i}]`;
      if ((d.weight ?? 0) !== 0) {
        if (bfq) this.write("io.bfq.weight", `${d.major}:${d.minor} ${d.weight}`, `${jp}.weight`);
        else this.write("io.weight", `${d.major}:${d.minor} ${blkioWeightToIoWeight(d.weight!)}`, `${jp}.weight`);
      }
      if ((d.leafWeight ?? 0) !== 0) this.warn(`${jp}.leafWeight: cgroup v2 has no leaf weights; ignored`);
    });
    const throttles = [
      ["throttleReadBpsDevice", "rbps"],
      ["throttleWriteBpsDevice", "wbps"],
      ["throttleReadIOPSDevice", "riops"],
      ["throttleWriteIOPSDevice", "wiops"],
    ] as const;
    for (const [key, name] of throttles) {
      (b[key] ?? []).forEach((d, i) => this.write("io.max", `${d.major}:${d.minor} ${name}=${intStr(d.rate)}`, `${p}.${key}[${i}]`));
    }
  }

  unified(u: Record<string, string>): void {
    for (const [k, v] of Object.entries(u)) {
      const jp = `${R}.unified[${JSON.stringify(k)}]`;
      try {
        this.write(k, v, jp);
      } catch (err) {
        if (err instanceof BerthError && (err.errno === "ENOENT" || err.errno === "EPERM" || err.errno === "EACCES")) {
          const ctrl = k.split(".")[0] ?? "";
          if (!k.includes(".")) throw invalid(jp, `${JSON.stringify(k)} is not a CONTROLLER.PARAMETER file name`);
          if (ctrl !== "cgroup") this.need(ctrl, jp);
        }
        throw err;
      }
    }
  }
}

function hasAny(o: object | undefined | null): boolean {
  if (o === undefined || o === null) return false;
  return Object.values(o).some((v) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0));
}

/** Write `r` into the container's cgroup v2 directory `dir`. */
export function applyV2(dir: string, r: Resources, opts: ApplyOptions): void {
  const w = new V2Writer(dir, opts);
  if (r.pids && r.pids.limit !== undefined && r.pids.limit !== null) {
    w.need("pids", `${R}.pids.limit`);
    w.write("pids.max", r.pids.limit < 0 ? "max" : intStr(r.pids.limit), `${R}.pids.limit`);
  }
  if (hasAny(r.memory)) w.memory(r.memory!);
  if (hasAny(r.blockIO)) w.io(r.blockIO!);
  if (hasAny(r.cpu)) w.cpu(r.cpu!);
  (r.hugepageLimits ?? []).forEach((h, i) => {
    const jp = `${R}.hugepageLimits[${i}]`;
    w.need("hugetlb", jp);
    w.write(`hugetlb.${h.pageSize}.max`, intStr(h.limit), jp);
    if (hasFile(dir, `hugetlb.${h.pageSize}.rsvd.max`)) w.write(`hugetlb.${h.pageSize}.rsvd.max`, intStr(h.limit), jp);
  });
  for (const [dev, lim] of Object.entries(r.rdma ?? {})) {
    const jp = `${R}.rdma.${dev}`;
    w.need("rdma", jp);
    w.write("rdma.max", rdmaLine(dev, lim), jp);
  }
  if (r.network && ((r.network.classID ?? 0) !== 0 || (r.network.priorities ?? []).length > 0)) {
    w.warn(`${R}.network: net_cls and net_prio are cgroup v1 controllers and do not exist on cgroup v2; ignored`);
  }
  if (r.unified) w.unified(r.unified);
}
