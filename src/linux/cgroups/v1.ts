// cgroup v1 specifics: cpuset initialisation of new directories and the freezer.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { BerthError } from "../../errors.js";
import { readCgroupFile, sleepSync, writeCgroupFile } from "./files.js";

/** cpuset files are called cpuset.cpus or, on a hierarchy mounted with noprefix, just cpus. */
export function cpusetFile(dir: string, name: "cpus" | "mems"): string {
  const prefixed = join(dir, `cpuset.${name}`);
  return existsSync(prefixed) || !existsSync(join(dir, name)) ? prefixed : join(dir, name);
}

/**
 * A new v1 cpuset cgroup starts with empty cpuset.cpus/cpuset.mems and refuses
 * processes until both are set. Copy them from the parent, top-down, for every
 * directory from just below `mountPoint` to `leaf` whose value is still empty.
 */
export function initCpuset(mountPoint: string, leaf: string): void {
  const chain: string[] = [];
  for (let d = leaf; d !== mountPoint && d.startsWith(mountPoint + "/"); d = dirname(d)) chain.unshift(d);
  for (const dir of chain) {
    for (const name of ["cpus", "mems"] as const) {
      const file = cpusetFile(dir, name);
      const current = readCgroupFile(file);
      if (current === undefined || current.trim() !== "") continue;
      const parentValue = readCgroupFile(cpusetFile(dirname(dir), name));
      if (parentValue === undefined || parentValue.trim() === "") {
        throw new BerthError(`parent cpuset ${name} is empty`, {
          op: "create cgroup",
          path: dirname(dir),
          hint: "set cpuset.cpus and cpuset.mems in the parent cgroup",
        });
      }
      writeCgroupFile(file, parentValue.trim(), "initialise cpuset");
    }
  }
}

export type FreezerState = "THAWED" | "FREEZING" | "FROZEN";

export function freezerState(dir: string): FreezerState | undefined {
  const s = readCgroupFile(join(dir, "freezer.state"))?.trim();
  return s === "THAWED" || s === "FREEZING" || s === "FROZEN" ? s : undefined;
}

/** Freeze and wait (bounded) until the kernel reports FROZEN. Returns whether it got there. */
export function freezeV1(dir: string, timeoutMs = 1000): boolean {
  writeCgroupFile(join(dir, "freezer.state"), "FROZEN", "freeze cgroup");
  const deadline = Date.now() + timeoutMs;
  // Freezing usually completes within a millisecond: look again soon, then every 5 ms.
  let delay = 0.25;
  for (;;) {
    if (freezerState(dir) === "FROZEN") return true;
    if (Date.now() >= deadline) return false;
    sleepSync(delay);
    delay = Math.min(delay * 2, 5);
  }
}

export function thawV1(dir: string): void {
  writeCgroupFile(join(dir, "freezer.state"), "THAWED", "thaw cgroup");
}
