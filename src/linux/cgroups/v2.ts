// cgroup v2 specifics: cgroup.kill and cgroup.freeze (both core files, so they
// work on the cgroup2 mount of a hybrid host too, which has no controllers).

import { existsSync } from "node:fs";
import { join } from "node:path";
import { readCgroupFile, sleepSync, writeCgroupFile } from "./files.js";

export function hasCgroupKill(dir: string): boolean {
  return existsSync(join(dir, "cgroup.kill"));
}

/** SIGKILL every process in the cgroup and its descendants (kernel ≥ 5.14). */
export function killV2(dir: string): void {
  writeCgroupFile(join(dir, "cgroup.kill"), "1", "kill cgroup");
}

export function hasCgroupFreeze(dir: string): boolean {
  return existsSync(join(dir, "cgroup.freeze"));
}

export function isFrozenV2(dir: string): boolean {
  return readCgroupFile(join(dir, "cgroup.freeze"))?.trim() === "1";
}

/** Freeze and wait (bounded) for cgroup.events to report "frozen 1". Returns whether it got there. */
export function freezeV2(dir: string, timeoutMs = 1000): boolean {
  writeCgroupFile(join(dir, "cgroup.freeze"), "1", "freeze cgroup");
  const deadline = Date.now() + timeoutMs;
  // Freezing usually completes within a millisecond: look again soon, then every 5 ms.
  let delay = 0.25;
  for (;;) {
    const events = readCgroupFile(join(dir, "cgroup.events")) ?? "";
    if (/^frozen 1$/m.test(events)) return true;
    if (Date.now() >= deadline) return false;
    sleepSync(delay);
    delay = Math.min(delay * 2, 5);
  }
}

export function thawV2(dir: string): void {
  writeCgroupFile(join(dir, "cgroup.freeze"), "0", "thaw cgroup");
}
