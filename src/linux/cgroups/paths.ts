// Where a container's cgroup lives in each hierarchy, with the semantics of
// runc's cgroupfs driver:
//
//   linux.cgroupsPath "/a/b"  → <hierarchy mount>/a/b in every hierarchy.
//   linux.cgroupsPath "a/b"   → relative to the cgroup berth itself runs in, per
//                               hierarchy (from /proc/self/cgroup), so on v1 each
//                               controller may resolve to a different parent.
//   linux.cgroupsPath absent  → "<id>", relative in the same way. This is what
//                               runc 1.1.5 does (a container "x" started from the
//                               root cgroup lands in /x in every hierarchy), so
//                               berth adds no parent directory of its own.
//
// The systemd form "slice:prefix:name" belongs to the systemd driver (systemd.ts),
// selected with --systemd-cgroup; it is rejected without the flag rather than being read
// as a directory name with colons. ".." components are rejected outright so a
// config cannot reach outside the hierarchy or above berth's own cgroup.

import { existsSync } from "node:fs";
import { posix } from "node:path";
import { BerthError } from "../../errors.js";
import { UNIFIED, type CgroupLayout } from "./detect.js";

export interface CgroupPathOptions {
  cgroupsPath?: string;
  id: string;
  systemd: boolean;
  /** The config's annotations: the systemd driver takes unit properties from org.systemd.property.* ones. */
  annotations?: Record<string, string>;
  /** Rootless cgroups: permission errors leave a hierarchy out when cgroupsPath is unset (see CgroupState.rootless). */
  rootless?: boolean;
}

export const SYSTEMD_RUNTIME_DIR = "/run/systemd/system";

/** Parse /proc/<pid>/cgroup text into key → cgroup path ("unified" for the `0::` line). */
export function parseProcCgroup(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;
    const hierarchyId = line.slice(0, first);
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (hierarchyId === "0" && controllers === "") {
      out[UNIFIED] = path;
      continue;
    }
    for (const c of controllers.split(",")) if (c !== "") out[c] = path;
  }
  return out;
}

/** True for the systemd driver's "slice:prefix:name" form. */
export function isSystemdCgroupsPath(p: string): boolean {
  return !p.includes("/") && p.split(":").length === 3;
}

/** Cleaned cgroupsPath: whether it is absolute and its components. Throws on ".." or bad characters. */
export function normalizeCgroupsPath(p: string): { absolute: boolean; parts: string[] } {
  if (p.includes("\0")) {
    throw new BerthError("contains a NUL byte", { op: "validate", path: "linux.cgroupsPath" });
  }
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      throw new BerthError(`"${p}" contains a ".." component`, {
        op: "validate",
        path: "linux.cgroupsPath",
        hint: 'use a path without ".."; absolute paths start at the hierarchy root, relative ones at berth\'s own cgroup',
      });
    }
    parts.push(part);
  }
  return { absolute: p.startsWith("/"), parts };
}

/**
 * Check the cgroupsPath / --systemd-cgroup combination. `systemdRunning` is whether
 * the host runs systemd (default: /run/systemd/system exists).
 */
export function checkCgroupDriver(opts: CgroupPathOptions, systemdRunning: boolean = existsSync(SYSTEMD_RUNTIME_DIR)): void {
  const p = opts.cgroupsPath;
  if (opts.systemd) {
    if (!systemdRunning) {
      throw new BerthError("the systemd cgroup driver needs a running systemd, and this host has none", {
        op: "create cgroup",
        path: "--systemd-cgroup",
        hint: `drop --systemd-cgroup (no ${SYSTEMD_RUNTIME_DIR}) and give linux.cgroupsPath as a path such as "/mycontainers/<id>"`,
      });
    }
    if (p !== undefined && p !== "" && !isSystemdCgroupsPath(p)) {
      throw new BerthError(`"${p}" is not of the form "slice:prefix:name" the systemd driver expects`, {
        op: "validate",
        path: "linux.cgroupsPath",
        hint: 'use e.g. "system.slice:berth:<id>", or drop --systemd-cgroup to use it as a cgroupfs path',
      });
    }
    return;
  }
  if (p !== undefined && isSystemdCgroupsPath(p)) {
    throw new BerthError(`"${p}" is in the systemd "slice:prefix:name" form`, {
      op: "validate",
      path: "linux.cgroupsPath",
      hint: 'pass --systemd-cgroup to use the systemd driver, or give a cgroupfs path such as "/mycontainers/<id>"',
    });
  }
}

/** Join a cgroup path (as /proc/self/cgroup shows it) below a hierarchy mount whose own root is `root`. */
function underMount(mountPoint: string, root: string, cgroup: string): string {
  let rel = cgroup;
  if (root !== "/" && (cgroup === root || cgroup.startsWith(root + "/"))) rel = cgroup.slice(root.length);
  return posix.join(mountPoint, rel);
}

/**
 * Resolve the container's directory in every hierarchy of `layout`.
 * `own` is parseProcCgroup() of berth's own /proc/self/cgroup (used for relative paths).
 */
export function resolveCgroupPaths(
  opts: CgroupPathOptions,
  layout: CgroupLayout,
  own: Record<string, string>,
  systemdRunning?: boolean,
): Record<string, string> {
  checkCgroupDriver(opts, systemdRunning);
  let spec = opts.cgroupsPath;
  if (spec === undefined || spec === "") {
    if (opts.id === "" || opts.id.includes("/") || opts.id === "." || opts.id === "..") {
      throw new BerthError(`container id "${opts.id}" cannot name a cgroup`, {
        op: "create cgroup",
        path: "linux.cgroupsPath",
        hint: "set linux.cgroupsPath explicitly",
      });
    }
    spec = opts.id;
  }
  const { absolute, parts } = normalizeCgroupsPath(spec);
  const inner = parts.join("/");
  const out: Record<string, string> = {};
  for (const [key, h] of Object.entries(layout.hierarchies)) {
    if (absolute) {
      out[key] = posix.join(h.mountPoint, inner);
      continue;
    }
    const mine = own[key];
    if (mine === undefined) {
      throw new BerthError(`berth's own cgroup in the ${key} hierarchy is unknown (not in /proc/self/cgroup)`, {
        op: "create cgroup",
        path: "linux.cgroupsPath",
        hint: `give an absolute linux.cgroupsPath such as "/${inner}"`,
      });
    }
    out[key] = posix.join(underMount(h.mountPoint, h.root, relativeBase(layout.layout, mine)), inner);
  }
  return out;
}

/**
 * The directories, in the hierarchies named by `keys`, of the cgroups `own` (parsed
 * /proc/self/cgroup) puts berth in: where a rootless container stays in a hierarchy it
 * could not get a cgroup of its own in (it inherits berth's).
 */
export function ownCgroupDirs(layout: CgroupLayout, own: Record<string, string>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const h = layout.hierarchies[key];
    const mine = own[key];
    if (h !== undefined && mine !== undefined) out[key] = underMount(h.mountPoint, h.root, mine);
  }
  return out;
}

/**
 * Where a relative cgroupsPath starts. v1: berth's own cgroup. Pure v2: its
 * parent, as runc does, because berth's own cgroup holds processes (berth
 * itself, its caller) and v2 enables no controllers below a cgroup with
 * processes in it ("no internal processes").
 */
export function relativeBase(layout: CgroupLayout["layout"], own: string): string {
  return layout === "v2" ? posix.dirname(own) : own;
}
