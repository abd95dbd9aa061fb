// Rootless cgroups (runc's rule): a hierarchy berth could not create or join is
// left out (CgroupState.skipped). A container that asks for no limit there runs
// without that cgroup; a limit that would be written there is an error naming
// its JSON path, because the container would run without it.

import { BerthError } from "../../errors.js";
import type { Resources } from "../../spec/types.js";
import { UNIFIED } from "./detect.js";

const R = "linux.resources";

export interface RequestedLimit {
  /** The JSON path of the setting. */
  path: string;
  /** The v1 controller (or "unified") whose files it is written to. */
  controller: string;
}

const set = (v: number | undefined | null): boolean => v !== undefined && v !== null && v !== 0;
const given = (v: unknown): boolean => v !== undefined && v !== null;

/** The settings of `r` (devices aside) that write a cgroup file: values of 0, null or empty lists write nothing. */
export function requestedLimits(r: Omit<Resources, "devices">): RequestedLimit[] {
  const out: RequestedLimit[] = [];
  const add = (path: string, controller: string): void => {
    out.push({ path, controller });
  };
  if (given(r.pids?.limit)) add(`${R}.pids.limit`, "pids");
  const m = r.memory;
  if (m !== undefined && m !== null) {
    for (const k of ["limit", "swap", "reservation", "kernelTCP"] as const) if (set(m[k])) add(`${R}.memory.${k}`, "memory");
    if (m.disableOOMKiller === true) add(`${R}.memory.disableOOMKiller`, "memory");
    if (given(m.swappiness) && m.swappiness !== -1) add(`${R}.memory.swappiness`, "memory");
    if (given(m.useHierarchy)) add(`${R}.memory.useHierarchy`, "memory");
  }
  const c = r.cpu;
  if (c !== undefined && c !== null) {
    for (const k of ["shares", "quota", "period", "realtimeRuntime", "realtimePeriod"] as const) if (set(c[k])) add(`${R}.cpu.${k}`, "cpu");
    for (const k of ["burst", "idle"] as const) if (given(c[k])) add(`${R}.cpu.${k}`, "cpu");
    for (const k of ["cpus", "mems"] as const) if (given(c[k]) && c[k] !== "") add(`${R}.cpu.${k}`, "cpuset");
  }
  const b = r.blockIO;
  if (b !== undefined && b !== null) {
    for (const k of ["weight", "leafWeight"] as const) if (set(b[k])) add(`${R}.blockIO.${k}`, "blkio");
    (b.weightDevice ?? []).forEach((d, i) => {
      if (set(d.weight) || set(d.leafWeight)) add(`${R}.blockIO.weightDevice[${i}]`, "blkio");
    });
    for (const k of ["throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice"] as const) {
      if ((b[k] ?? []).length > 0) add(`${R}.blockIO.${k}`, "blkio");
    }
  }
  (r.hugepageLimits ?? []).forEach((_, i) => add(`${R}.hugepageLimits[${i}]`, "hugetlb"));
  if (set(r.network?.classID)) add(`${R}.network.classID`, "net_cls");
  (r.network?.priorities ?? []).forEach((_, i) => add(`${R}.network.priorities[${i}]`, "net_prio"));
  for (const dev of Object.keys(r.rdma ?? {})) add(`${R}.rdma.${dev}`, "rdma");
  for (const key of Object.keys(r.unified ?? {})) add(`${R}.unified.${key}`, UNIFIED);
  return out;
}

/**
 * Refuse a limit that would go to a skipped hierarchy, then return `r` without the
 * parts that belong to skipped hierarchies (all of them no-ops by then). On a pure
 * v2 host every limit is the cgroup2 directory's.
 */
export function limitsWithoutSkipped(r: Omit<Resources, "devices">, skipped: readonly string[], v2: boolean): Omit<Resources, "devices"> {
  if (skipped.length === 0) return r;
  const gone = new Set(skipped);
  const where = (controller: string): string => (v2 ? UNIFIED : controller);
  for (const req of requestedLimits(r)) {
    if (!gone.has(where(req.controller))) continue;
    const what = v2 ? "cgroup" : `${req.controller} cgroup`;
    throw new BerthError(`the limit cannot be set: the container has no ${what} (rootless, no permission to create or join one)`, {
      op: "set cgroup limits",
      path: req.path,
      errno: "EACCES",
      hint: "delegate a cgroup to this user and name it in linux.cgroupsPath, run as root, or remove the limit",
    });
  }
  const out: Omit<Resources, "devices"> = { ...r };
  const drop = (controller: string): boolean => gone.has(where(controller));
  if (drop("pids")) delete out.pids;
  if (drop("memory")) delete out.memory;
  if (out.cpu !== undefined && out.cpu !== null) {
    const cpu = { ...out.cpu };
    if (drop("cpu"))
      for (const k of ["shares", "quota", "period", "realtimeRuntime", "realtimePeriod", "burst", "idle"] as const) delete cpu[k];
    if (drop("cpuset")) {
      delete cpu.cpus;
      delete cpu.mems;
    }
    out.cpu = cpu;
  }
  if (drop("blkio")) delete out.blockIO;
  if (drop("hugetlb")) delete out.hugepageLimits;
  if (out.network !== undefined && out.network !== null && (drop("net_cls") || drop("net_prio"))) {
    const net = { ...out.network };
    if (drop("net_cls")) delete net.classID;
    if (drop("net_prio")) delete net.priorities;
    out.network = net;
  }
  if (drop("rdma")) delete out.rdma;
  if (drop(UNIFIED)) delete out.unified;
  return out;
}
