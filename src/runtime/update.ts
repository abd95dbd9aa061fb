// `berth update`: change the resource limits of a live container, as `runc
// update` does. The new values come from a LinuxResources JSON document
// (--resources FILE, or - for stdin) or from runc's individual flags. Both
// become one patch, with runc's rules: a zero (or empty) value leaves the
// setting unchanged, "-1" means unlimited for memory and pids, a CPU quota
// or period given alone keeps the other at its recorded value, and kernel
// memory is ignored with a warning. The patch is validated before anything
// is touched, written to the cgroups through the manager, and then merged
// into the config recorded in state.json (and, under the systemd driver, into
// the unit's properties).

import { readFileSync } from "node:fs";
import { BerthError } from "../errors.js";
import { log } from "../log.js";
import { loadCgroupManager } from "../linux/cgroups/manager.js";
import type { Resources } from "../spec/types.js";
import { parseJsonText, schemaError } from "../spec/validate.js";
import { validateConfig } from "../spec/validators.js";
import { statusOf } from "./status.js";
import { loadRecord, saveRecord } from "./stateStore.js";

/** runc's individual update flags, in the order of its help text. */
export const UPDATE_FLAGS = [
  "blkio-weight", "cpu-period", "cpu-quota", "cpu-burst", "cpu-share", "cpu-rt-period", "cpu-rt-runtime", "cpu-idle",
  "cpuset-cpus", "cpuset-mems", "kernel-memory", "kernel-memory-tcp", "memory", "memory-reservation", "memory-swap",
  "pids-limit", "l3-cache-schema", "mem-bw-schema",
] as const;

export type UpdateFlag = (typeof UPDATE_FLAGS)[number];

type Obj = Record<string, unknown>;

const KIB = 1024;
const SIZE_UNITS: Record<string, number> = { "": 1, k: KIB, m: KIB ** 2, g: KIB ** 3, t: KIB ** 4, p: KIB ** 5 };

function flagError(flag: string, value: string, why: string, hint: string): BerthError {
  return new BerthError(`invalid value ${JSON.stringify(value)}: ${why}`, { op: "update", path: `--${flag}`, hint });
}

/**
 * A memory size as runc reads it (docker's RAMInBytes): a number, optionally
 * with a fraction, then an optional binary unit k/m/g/t/p (any case, with an
 * optional "i" and "b": 100M, 1g, 512KiB, 1.5G); "-1" means unlimited.
 */
export function parseRamSize(value: string, flag = "memory"): number {
  if (value === "-1") return -1;
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(value);
  const hint = 'give bytes or a size such as "100M", "1g" or "512k", or -1 for no limit';
  if (m === null || !/^\d+(\.\d+)?$/.test(m[1]!)) throw flagError(flag, value, "not a memory size", hint);
  const bytes = Math.trunc(Number(m[1]) * SIZE_UNITS[(m[2] ?? "").toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw flagError(flag, value, "too large", hint);
  return bytes;
}

function parseIntFlag(flag: string, value: string, signed: boolean, max?: number): number {
  const ok = signed ? /^[-+]?\d+$/.test(value) : /^\+?\d+$/.test(value);
  const n = Number(value);
  if (!ok || !Number.isSafeInteger(n) || (max !== undefined && n > max)) {
    throw flagError(flag, value, signed ? "not an integer" : max !== undefined ? `not an integer from 0 to ${max}` : "not a non-negative integer", "give a whole number");
  }
  return n;
}

/** Build a LinuxResources document from runc's individual flags (absent or empty flags are left out). */
export function resourcesFromFlags(flags: Partial<Record<UpdateFlag, string>>): Resources {
  const get = (f: UpdateFlag): string | undefined => {
    const v = flags[f];
    return v === undefined || v === "" ? undefined : v;
  };
  for (const f of ["l3-cache-schema", "mem-bw-schema"] as const) {
    if (get(f) !== undefined) {
      const what = f === "l3-cache-schema" ? "Intel RDT/CAT: l3 cache schema" : "Intel RDT/MBA: memory bandwidth schema";
      throw new BerthError(`${what} is not supported`, { op: "update", path: `--${f}`, hint: "berth does not manage Intel RDT (resctrl); drop the flag" });
    }
  }
  const memory: Obj = {};
  const cpu: Obj = {};
  const out: Resources = {};
  const uint = (f: UpdateFlag, key: string, target: Obj): void => {
    const v = get(f);
    if (v !== undefined) target[key] = parseIntFlag(f, v, false);
  };
  const int = (f: UpdateFlag, key: string, target: Obj): void => {
    const v = get(f);
    if (v !== undefined) target[key] = parseIntFlag(f, v, true);
  };
  const size = (f: UpdateFlag, key: string): void => {
    const v = get(f);
    if (v !== undefined) memory[key] = parseRamSize(v, f);
  };
  const weight = get("blkio-weight");
  if (weight !== undefined) out.blockIO = { weight: parseIntFlag("blkio-weight", weight, false, 65535) };
  uint("cpu-period", "period", cpu);
  int("cpu-quota", "quota", cpu);
  uint("cpu-burst", "burst", cpu);
  uint("cpu-share", "shares", cpu);
  uint("cpu-rt-period", "realtimePeriod", cpu);
  int("cpu-rt-runtime", "realtimeRuntime", cpu);
  int("cpu-idle", "idle", cpu);
  const cpus = get("cpuset-cpus");
  if (cpus !== undefined) cpu.cpus = cpus;
  const mems = get("cpuset-mems");
  if (mems !== undefined) cpu.mems = mems;
  size("memory", "limit");
  size("memory-reservation", "reservation");
  size("memory-swap", "swap");
  size("kernel-memory", "kernel");
  size("kernel-memory-tcp", "kernelTCP");
  const pids = get("pids-limit");
  if (pids !== undefined) out.pids = { limit: parseIntFlag("pids-limit", pids, true) };
  if (Object.keys(memory).length > 0) out.memory = memory;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  return out;
}

/**
 * Parse and validate a LinuxResources JSON document (`source` names the file,
 * or "stdin"). Errors give the line and column of a syntax error, or the JSON
 * path of the value that does not match the runtime spec's schema.
 */
export function parseResourcesJson(text: string, source: string): Resources {
  const doc = parseJsonText(text, source, "update");
  // Checked with the config schema, as a config's linux.resources.
  const wrapped = { ociVersion: "1.0.0", linux: { resources: doc } };
  if (!validateConfig(wrapped)) {
    // runc accepts "pids": {} (Go leaves limit at 0, meaning unchanged).
    const errors = (validateConfig.errors ?? []).filter((e) => !(e.keyword === "required" && e.instancePath === "/linux/resources/pids"));
    if (errors.length > 0) throw schemaError(errors, wrapped, "update", source === "stdin" ? "the JSON on stdin" : source);
  }
  return doc as Resources;
}

/** Fields `update` changes; everything else in a resources document is reported and left alone. */
const UPDATABLE: Record<string, readonly string[]> = {
  memory: ["limit", "reservation", "swap", "kernel", "kernelTCP", "checkBeforeUpdate"],
  cpu: ["shares", "quota", "burst", "period", "realtimeRuntime", "realtimePeriod", "cpus", "mems", "idle"],
  blockIO: ["weight", "leafWeight", "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice"],
  pids: ["limit"],
};

/** Values for which zero (or "") means "leave unchanged", as in runc. */
const ZERO_KEEPS = new Set([
  "memory.limit", "memory.reservation", "memory.swap", "cpu.shares", "cpu.quota", "cpu.period", "cpu.realtimeRuntime",
  "cpu.realtimePeriod", "cpu.cpus", "cpu.mems", "blockIO.weight", "blockIO.leafWeight", "pids.limit",
]);

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && !Array.isArray(v) && Object.keys(v as Obj).length === 0);
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
  /** --resources: a file path, or "-" for stdin. Other flags are ignored when set. */
  resources?: string;
  flags: Partial<Record<UpdateFlag, string>>;
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
  if (opts.resources !== undefined && opts.resources !== "") {
    for (const [f, v] of Object.entries(opts.flags)) {
      if (v !== undefined && v !== "" && f !== "l3-cache-schema" && f !== "mem-bw-schema") log.warn(`--${f} is ignored: --resources is given`);
    }
    const text = readResourcesText(opts.resources, opts.readStdin ?? (() => readFileSync(0, "utf8")));
    req = parseResourcesJson(text, opts.resources === "-" ? "stdin" : opts.resources);
    // Intel RDT flags still apply with --resources (as runc), and berth has no Intel RDT.
    resourcesFromFlags({ "l3-cache-schema": opts.flags["l3-cache-schema"], "mem-bw-schema": opts.flags["mem-bw-schema"] });
  } else {
    req = resourcesFromFlags(opts.flags);
  }
  const current = rec.config.linux?.resources;
  const { patch, warnings } = planUpdate(req, current);
  if (statusOf(opts.root, rec) === "stopped") {
    throw new BerthError("container not running", { op: "update", path: rec.id, errno: "ESRCH", hint: "only a created, running or paused container can be updated" });
  }
  for (const w of warnings) log.warn(w);
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
