// Cgroups for a new container: where linux.cgroupsPath (or the systemd driver's
// slice:prefix:name) puts them on this host, and the manager that makes them.
// Only create needs this; the other commands reopen a container's cgroups with
// loadCgroupManager (manager.ts) and never load the naming and property rules.

import { readFileSync } from "node:fs";
import { posix } from "node:path";
import { BerthError } from "../../errors.js";
import { annotationProperties, systemdPlace, type UnitProperty } from "../systemd/properties.js";
import { detectCgroupLayout, type CgroupLayout } from "./detect.js";
import { FsCgroupManager } from "./manager.js";
import { checkCgroupDriver, parseProcCgroup, resolveCgroupPaths, type CgroupPathOptions } from "./paths.js";
import { SystemdCgroupManager } from "./systemd.js";
import type { CgroupManager, CgroupState } from "./types.js";

/** The container's directory in every hierarchy and its unit, for a new container under the systemd driver. */
export function resolveSystemdCgroup(
  opts: CgroupPathOptions,
  layout: CgroupLayout,
  systemdRunning?: boolean,
): { paths: Record<string, string>; systemd: { unit: string; slice: string }; extra: UnitProperty[] } {
  checkCgroupDriver(opts, systemdRunning);
  const place = systemdPlace(opts.cgroupsPath, opts.id);
  const extra = annotationProperties(opts.annotations);
  const paths: Record<string, string> = {};
  for (const [key, h] of Object.entries(layout.hierarchies)) {
    // Inside a cgroup namespace or a bind mount of a sub-cgroup, the mount shows h.root as its top.
    let rel = place.cgroup;
    if (h.root !== "/" && (rel === h.root || rel.startsWith(h.root + "/"))) rel = rel.slice(h.root.length);
    paths[key] = posix.join(h.mountPoint, rel);
  }
  return { paths, systemd: { unit: place.unit, slice: place.slice }, extra };
}

/** A manager for a new container: resolves linux.cgroupsPath on this host. Nothing is created until create(). */
export function createCgroupManager(opts: CgroupPathOptions): CgroupManager {
  const layout = detectCgroupLayout();
  if (opts.systemd) {
    const { paths, systemd, extra } = resolveSystemdCgroup(opts, layout);
    const fs = new FsCgroupManager({ layout: layout.layout, paths, created: [], systemd }, layout.hierarchies);
    return new SystemdCgroupManager(fs.state, fs, { description: `berth container ${opts.id}`, extra });
  }
  let own: Record<string, string> = {};
  const p = opts.cgroupsPath;
  if (p === undefined || p === "" || !p.startsWith("/")) {
    try {
      own = parseProcCgroup(readFileSync("/proc/self/cgroup", "utf8"));
    } catch (err) {
      throw BerthError.fromSys("create cgroup", "/proc/self/cgroup", err, "mount /proc");
    }
  }
  const paths = resolveCgroupPaths(opts, layout, own);
  const state: CgroupState = { layout: layout.layout, paths, created: [] };
  if (opts.rootless === true) state.rootless = true;
  return new FsCgroupManager(state, layout.hierarchies, { explicitPath: p !== undefined && p !== "" });
}
