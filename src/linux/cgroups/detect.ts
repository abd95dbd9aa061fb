// Which cgroup layout the host uses and where each hierarchy is mounted.
//
// The layout comes from the filesystem type of /sys/fs/cgroup (statfs):
//   cgroup2 there                                  → "v2"
//   tmpfs there and cgroup2 at /sys/fs/cgroup/unified → "hybrid"
//   tmpfs there otherwise                          → "v1"
// The v1 controller mount points (and the cgroup2 mount in hybrid mode) come from
// /proc/self/mountinfo, which also names comounted controllers (cpu,cpuacct) and
// named hierarchies (name=systemd). The parsers take text so they can be tested
// without a host.

import { readFileSync, statfsSync } from "node:fs";
import { BerthError } from "../../errors.js";

export const CGROUP_ROOT = "/sys/fs/cgroup";
export const CGROUP2_SUPER_MAGIC = 0x63677270;
export const TMPFS_MAGIC = 0x01021994;

/** Kernel v1 controllers berth places containers in (the set runc's cgroupfs driver joins). */
export const V1_CONTROLLERS: readonly string[] = [
  "cpuset",
  "cpu",
  "cpuacct",
  "memory",
  "devices",
  "freezer",
  "net_cls",
  "net_prio",
  "blkio",
  "perf_event",
  "hugetlb",
  "pids",
  "rdma",
  "misc",
];

/** Named v1 hierarchies berth also joins, keyed like /proc/self/cgroup spells them. */
export const V1_NAMED: readonly string[] = ["name=systemd"];

/** The key used for the cgroup2 hierarchy in CgroupState.paths and in these maps. */
export const UNIFIED = "unified";

export interface MountInfoEntry {
  /** Root of the mount inside its filesystem (for cgroups: the cgroup the mount shows as its top). */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  superOptions: string[];
}

export interface Hierarchy {
  /** Where the hierarchy is mounted on the host. */
  mountPoint: string;
  /** The cgroup that mountPoint shows (usually "/"; differs inside a cgroup namespace or for a bind mount). */
  root: string;
}

export interface CgroupLayout {
  layout: "v1" | "v2" | "hybrid";
  /** Key (controller name, "name=systemd", or "unified") → its hierarchy. Comounted controllers share one. */
  hierarchies: Record<string, Hierarchy>;
}

function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parse /proc/<pid>/mountinfo text. Malformed lines are skipped. */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const fields = line.split(" ");
    const sep = fields.indexOf("-", 6);
    if (sep < 0 || fields.length < sep + 3) continue;
    out.push({
      root: unescapeMountField(fields[3]!),
      mountPoint: unescapeMountField(fields[4]!),
      fsType: fields[sep + 1]!,
      source: unescapeMountField(fields[sep + 2]!),
      superOptions: (fields[sep + 3] ?? "").split(","),
    });
  }
  return out;
}

/** Classify from the statfs magic of /sys/fs/cgroup and of /sys/fs/cgroup/unified (undefined: absent). */
export function classifyLayout(rootMagic: number, unifiedMagic: number | undefined): "v1" | "v2" | "hybrid" {
  if (rootMagic === CGROUP2_SUPER_MAGIC) return "v2";
  if (unifiedMagic === CGROUP2_SUPER_MAGIC) return "hybrid";
  return "v1";
}

function preferUnderRoot(existing: Hierarchy | undefined, candidate: Hierarchy): boolean {
  if (existing === undefined) return true;
  // A hierarchy can be mounted more than once; prefer the copy under /sys/fs/cgroup.
  const inRoot = (h: Hierarchy) => h.mountPoint === CGROUP_ROOT || h.mountPoint.startsWith(CGROUP_ROOT + "/");
  return !inRoot(existing) && inRoot(candidate);
}

/** Map every hierarchy berth uses to its mount, given the layout and the parsed mountinfo. */
export function hierarchiesFromMounts(layout: "v1" | "v2" | "hybrid", mounts: MountInfoEntry[]): Record<string, Hierarchy> {
  const out: Record<string, Hierarchy> = {};
  for (const m of mounts) {
    const h: Hierarchy = { mountPoint: m.mountPoint, root: m.root };
    if (m.fsType === "cgroup2") {
      if (layout === "v1") continue;
      const preferred = layout === "v2" ? CGROUP_ROOT : `${CGROUP_ROOT}/unified`;
      const cur = out[UNIFIED];
      if (cur === undefined || (m.mountPoint === preferred && cur.mountPoint !== preferred)) out[UNIFIED] = h;
      continue;
    }
    if (m.fsType !== "cgroup" || layout === "v2") continue;
    for (const opt of m.superOptions) {
      if (V1_CONTROLLERS.includes(opt) || V1_NAMED.includes(opt)) {
        if (preferUnderRoot(out[opt], h)) out[opt] = h;
      }
    }
  }
  return out;
}

let cached: CgroupLayout | undefined;

/** Detect the host layout once per process. Throws BerthError when no cgroup filesystem is usable. */
export function detectCgroupLayout(): CgroupLayout {
  if (cached !== undefined) return cached;
  let rootMagic: number;
  try {
    rootMagic = Number(statfsSync(CGROUP_ROOT).type);
  } catch (err) {
    throw BerthError.fromSys("detect cgroups", CGROUP_ROOT, err, "mount cgroupfs (v1 or v2) at /sys/fs/cgroup");
  }
  let unifiedMagic: number | undefined;
  if (rootMagic !== CGROUP2_SUPER_MAGIC) {
    try {
      unifiedMagic = Number(statfsSync(`${CGROUP_ROOT}/unified`).type);
    } catch {
      unifiedMagic = undefined;
    }
  }
  const layout = classifyLayout(rootMagic, unifiedMagic);
  let text: string;
  try {
    text = readFileSync("/proc/self/mountinfo", "utf8");
  } catch (err) {
    throw BerthError.fromSys("detect cgroups", "/proc/self/mountinfo", err, "mount /proc");
  }
  const hierarchies = hierarchiesFromMounts(layout, parseMountInfo(text));
  if (layout === "v2" && hierarchies[UNIFIED] === undefined) {
    hierarchies[UNIFIED] = { mountPoint: CGROUP_ROOT, root: "/" };
  }
  if (Object.keys(hierarchies).length === 0) {
    throw new BerthError("no cgroup hierarchy is mounted", {
      op: "detect cgroups",
      path: CGROUP_ROOT,
      hint: "mount cgroup v1 controllers or cgroup2 under /sys/fs/cgroup",
    });
  }
  cached = { layout, hierarchies };
  return cached;
}

/** Whether /sys/fs/cgroup itself is a cgroup2 mount (a pure v2 host), as runc's spec checks. */
export function isPureCgroupV2(): boolean {
  try {
    return statfsSync(CGROUP_ROOT).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}
