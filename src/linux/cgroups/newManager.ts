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

/**
 * The container's directory in every hierarchy and its unit, for a new container under the
 * systemd driver. `userManager`: the unit goes to a user's systemd instance, whose own cgroup
 * this is (its slices and units lie below it; "user.slice" is then the default slice, as runc's).
 */
export function resolveSystemdCgroup(
  opts: CgroupPathOptions,
  layout: CgroupLayout,
  systemdRunning?: boolean,
  userManager?: string,
): { paths: Record<string, string>; systemd: { unit: string; slice: string; user?: boolean }; extra: UnitProperty[] } {
  checkCgroupDriver(opts, systemdRunning);
  const place = systemdPlace(opts.cgroupsPath, opts.id, userManager !== undefined);
  const extra = annotationProperties(opts.annotations);
  const paths: Record<string, string> = {};
  const cgroup = userManager === undefined ? place.cgroup : posix.join(userManager, place.cgroup);
  for (const [key, h] of Object.entries(layout.hierarchies)) {
    // Inside a cgroup namespace or a bind mount of a sub-cgroup, the mount shows h.root as its top.
    let rel = cgroup;
    if (h.root !== "/" && (rel === h.root || rel.startsWith(h.root + "/"))) rel = rel.slice(h.root.length);
    paths[key] = posix.join(h.mountPoint, rel);
  }
  const systemd =
    userManager === undefined ? { unit: place.unit, slice: place.slice } : { unit: place.unit, slice: place.slice, user: true };
  return { paths, systemd, extra };
}

/**
 * The cgroup of the caller's own systemd instance (e.g. /user.slice/user-1000.slice/user@1000.service),
 * asked over its bus: a rootless container's unit goes there. Throws, naming --systemd-cgroup, when
 * no user instance answers.
 */
export async function userManagerCgroup(): Promise<string> {
  const { SystemdClient } = await import("../systemd/client.js");
  const client = await SystemdClient.connectTo("user");
  try {
    return await client.controlGroup();
  } finally {
    client.close();
  }
}

/**
 * A manager for a new container: resolves linux.cgroupsPath on this host. Nothing is created until create().
 * `userManager` (the systemd driver for a caller that is not root): the cgroup of the user's systemd instance.
 */
export function createCgroupManager(opts: CgroupPathOptions, userManager?: string): CgroupManager {
  const layout = detectCgroupLayout();
  if (opts.systemd) {
    const { paths, systemd, extra } = resolveSystemdCgroup(opts, layout, undefined, userManager);
    const state: CgroupState = { layout: layout.layout, paths, created: [], systemd };
    // The user's unit: its cgroup is the user's (delegated), and device rules, which need
    // privileges the user lacks, are not expected to apply (as for any rootless container).
    // A permission error on the unit's own cgroup is still an error (it is not skipped).
    if (userManager !== undefined) state.rootless = true;
    const fs = new FsCgroupManager(state, layout.hierarchies, { explicitPath: userManager !== undefined });
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
