// `berth update`: change the resource limits of a live container, as `runc
// update` does. The new values come as a LinuxResources JSON document (a file,
// or "-" for stdin) or as resources the command line built from runc's
// individual flags. Both become one patch, with runc's rules: a zero (or
// empty) value leaves the setting unchanged, -1 means unlimited for memory and
// pids, a CPU quota or period given alone keeps the other at its recorded
// value, and kernel memory is ignored with a warning. The patch is validated
// before anything is touched, written to the cgroups through the manager, and
// then merged into the config recorded in state.json (and, under the systemd
// driver, into the unit's properties). The document's parsing is in
// updateDocument.ts.

import { readFileSync } from "node:fs";
import { BerthError } from "../errors.js";
import { log } from "../log.js";
import { loadCgroupManager } from "../linux/cgroups/manager.js";
import type { Resources } from "../spec/types.js";
import { statusOf } from "./status.js";
import { loadRecord, saveRecord } from "./stateStore.js";

type Obj = Record<string, unknown>;

/** Fields `update` changes; everything else in a resources document is reported and left alone. */
const UPDATABLE: Record<string, readonly string[]> = {
  memory: ["limit", "reservation", "swap", "kernel", "kernelTCP", "checkBeforeUpdate"],
  cpu: ["shares", "quota", "burst", "period", "realtimeRuntime", "realtimePeriod", "cpus", "mems", "idle"],
  blockIO: [
    "weight",
    "leafWeight",
    "weightDevice",
    "throttleReadBpsDevice",
    "throttleWriteBpsDevice",
    "throttleReadIOPSDevice",
    "throttleWriteIOPSDevice",
  ],
  pids: ["limit"],
};

/** Values for which zero (or "") means "leave unchanged", as in runc. */
const ZERO_KEEPS = new Set([
  "memory.limit",
  "memory.reservation",
  "memory.swap",
  "cpu.shares",
  "cpu.quota",
  "cpu.period",
  "cpu.realtimeRuntime",
  "cpu.realtimePeriod",
  "cpu.cpus",
  "cpu.mems",
  "blockIO.weight",
  "blockIO.leafWeight",
  "pids.limit",
]);

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && !Array.isArray(v) && Object.keys(v as Obj).length === 0)
  );
}

export interface UpdatePlan {
  /** What to write to the cgroups. */
  patch: Resources;
  /** Warnings for settings given but not applied. */
  warnings: string[];
}

/**
 * Reduce a requested resources document to the patch update applies, given
 * the container's recorded resources (for a lone CPU quota or period).
 */
export function planUpdate(req: Resources, current: Resources | undefined): UpdatePlan {
  const patch: Resources = {};
  const warnings: string[] = [];
  for (const [section, value] of Object.entries(req as Obj)) {
    if (isEmpty(value)) continue;
    const keys = UPDATABLE[section];
    if (section === "unified") {
      patch.unified = { ...(value as Record<string, string>) };
      continue;
    }
    if (keys === undefined) {
      if (section === "devices") log.debug("update: linux.resources.devices is not updated (as runc)");
      else warnings.push(`linux.resources.${section} cannot be changed by update and is ignored`);
      continue;
    }
    const out: Obj = {};
    for (const [k, v] of Object.entries(value as Obj)) {
      const path = `${section}.${k}`;
      if (!keys.includes(k)) {
        if (v !== undefined && v !== null) warnings.push(`linux.resources.${path} cannot be changed by update and is ignored`);
        continue;
      }
      if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
      if (ZERO_KEEPS.has(path) && (v === 0 || v === "")) continue;
      if (path === "memory.kernel" || path === "memory.kernelTCP") {
        if (v !== 0) warnings.push("Kernel memory settings are ignored and will be removed");
        continue;
      }
      out[k] = v;
    }
    if (Object.keys(out).length > 0) (patch as Obj)[section] = out;
  }
  // A quota or period given alone keeps the other at its recorded value (both are written together on v2).
  const cpu = patch.cpu;
  if (cpu !== undefined && (cpu.quota === undefined) !== (cpu.period === undefined)) {
    const other = cpu.quota === undefined ? "quota" : "period";
    const recorded = current?.cpu?.[other];
    if (typeof recorded === "number" && recorded !== 0) cpu[other] = recorded;
  }
  return { patch, warnings: [...new Set(warnings)] };
}

type DeviceEntry = { major: number; minor: number } & Obj;

/** Insert or replace per-device entries (keyed by major:minor), as runc's update does. */
function upsertDevices(base: unknown, add: unknown): DeviceEntry[] {
  const out = Array.isArray(base) ? [...(base as DeviceEntry[])] : [];
  for (const d of add as DeviceEntry[]) {
    const i = out.findIndex((e) => e.major === d.major && e.minor === d.minor);
    if (i >= 0) out[i] = { ...out[i], ...d };
    else out.push(d);
  }
  return out;
}

/** The recorded resources with a patch applied (a new object; neither input is changed). */
export function mergeResources(base: Resources | undefined, patch: Resources): Resources {
  const out = structuredClone(base ?? {}) as Obj;
  for (const [section, value] of Object.entries(patch as Obj)) {
    const cur = (out[section] ?? {}) as Obj;
    const next: Obj = { ...cur };
    for (const [k, v] of Object.entries(value as Obj)) {
      next[k] = section === "blockIO" && Array.isArray(v) && k !== "weight" ? upsertDevices(cur[k], v) : v;
    }
    out[section] = next;
  }
  return out as Resources;
}

export interface UpdateOptions {
  root: string;
  id: string;
  /** A LinuxResources JSON file ("-": stdin), or resources already built. */
  request: { file: string } | { resources: Resources };
  /** --l3-cache-schema / --mem-bw-schema: the container's resctrl schemata (linux.intelRdt). */
  rdt?: { l3?: string; mb?: string };
  /** Reads all of stdin (injectable for tests). */
  readStdin?: () => string;
}

function readResourcesText(src: string, readStdin: () => string): string {
  try {
    return src === "-" ? readStdin() : readFileSync(src, "utf8");
  } catch (err) {
    throw BerthError.fromSys("update: read resources", src === "-" ? "stdin" : src, err, "give a readable JSON file, or - to read stdin");
  }
}

/** Change a live container's resource limits; resolves to the merged resources now recorded. */
export async function updateContainer(opts: UpdateOptions): Promise<Resources> {
  const rec = loadRecord(opts.root, opts.id);
  let req: Resources;
  if ("file" in opts.request) {
    const src = opts.request.file;
    const text = readResourcesText(src, opts.readStdin ?? (() => readFileSync(0, "utf8")));
    // The schema's validators are large: loaded only when a document is given.
    const { parseResourcesJson } = await import("./updateDocument.js");
    req = parseResourcesJson(text, src === "-" ? "stdin" : src);
  } else {
    req = opts.request.resources;
  }
  const current = rec.config.linux?.resources;
  const { patch, warnings } = planUpdate(req, current);
  if (statusOf(opts.root, rec) === "stopped") {
    throw new BerthError("container not running", {
      op: "update",
      path: rec.id,
      errno: "ESRCH",
      hint: "only a created, running or paused container can be updated",
    });
  }
  for (const w of warnings) log.warn(w);
  if (opts.rdt !== undefined && (opts.rdt.l3 !== undefined || opts.rdt.mb !== undefined)) {
    const { updateIntelRdt } = await import("../linux/resctrl.js");
    updateIntelRdt(rec.intelRdt, opts.rdt);
    const was = rec.config.linux?.intelRdt ?? {};
    const intelRdt = {
      ...was,
      ...(opts.rdt.l3 === undefined ? {} : { l3CacheSchema: opts.rdt.l3 }),
      ...(opts.rdt.mb === undefined ? {} : { memBwSchema: opts.rdt.mb }),
    };
    rec.config.linux = { ...(rec.config.linux ?? {}), intelRdt };
    saveRecord(opts.root, rec);
  }
  if (Object.keys(patch).length === 0) return current ?? {};
  const mgr = loadCgroupManager(rec.cgroup);
  await mgr.apply(patch, { update: true, warn: (m) => log.warn(m) });
  const merged = mergeResources(current, patch);
  rec.config.linux = { ...(rec.config.linux ?? {}), resources: merged };
  saveRecord(opts.root, rec);
  // The systemd driver keeps the limits as unit properties too: bring them in line (after the
  // record, which already matches the cgroup files, so a failure here loses nothing).
  await mgr.updateUnit?.(merged);
  return merged;
}
