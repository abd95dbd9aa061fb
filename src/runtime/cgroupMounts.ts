// What a `cgroup` mount in config.json becomes inside the container, as runc
// does it with the cgroupfs driver: the container sees its own cgroup as the
// root of every hierarchy.
// - cgroup v2: a fresh cgroup2 mount with the mount's source, flags and data (it
//   shows the root of the caller's cgroup namespace: the container's cgroup with a
//   cgroup namespace, the host's hierarchy read-only without); in a user namespace
//   without a cgroup namespace the kernel refuses that, and runc binds the
//   container's cgroup2 directory instead, as berth does. Where the destination is the
//   host's cgroup2 mount itself, brought there by an earlier recursive bind (a rootless
//   config binds the host's /sys), the kernel refuses the same filesystem on the same
//   place (EBUSY) and runc binds the container's directory too, or, when it has none
//   (rootless, not delegated), covers the place with an empty read-only tmpfs.
// - v1 and hybrid: a tmpfs (the mount's flags without ro, mode=755), then for
//   each v1 hierarchy a bind of the container's directory at
//   <dest>/<basename of the host mount point> remounted with the mount's flags,
//   and symlinks from each comounted controller name to that directory
//   (cpu → cpu,cpuacct). With a new cgroup namespace each hierarchy is a fresh
//   cgroup mount instead (it shows the namespace's root, the container's
//   cgroup). The hybrid host's cgroup2 mount is left out, as runc leaves it out.

import { posix } from "node:path";
import { fsMount, type PlanMount } from "./plan.js";
import { MS_BIND, MS_RDONLY, MS_REC } from "../linux/mountOptions.js";
import { UNIFIED, type CgroupLayout } from "../linux/cgroups/detect.js";
import type { CgroupState } from "../linux/cgroups/types.js";

export interface CgroupMountPlan {
  mounts: PlanMount[];
  symlinks: { target: string; path: string }[];
}

function bind(source: string, destination: string, flags: bigint, propagation: number[]): PlanMount {
  return {
    source,
    destination,
    fstype: "bind",
    flags: BigInt(MS_BIND),
    data: "",
    propagation,
    bind: true,
    remountFlags: flags & ~BigInt(MS_BIND | MS_REC),
    destIsFile: false,
    cgroup: false,
  };
}

/**
 * What a cgroup mount becomes; its recursive attributes go on each mount it is made of.
 * `hostCgroup2Below`: an earlier recursive bind put the host's cgroup2 mount at m.destination.
 */
export function cgroupMounts(
  m: PlanMount,
  state: CgroupState,
  layout: CgroupLayout,
  cgroupns = false,
  userns = false,
  hostCgroup2Below = false,
): CgroupMountPlan {
  const plan = hostCgroup2Below && layout.layout === "v2" ? shadowedV2(m, state) : expand(m, state, layout, cgroupns, userns);
  const attr = m.recursiveAttr;
  if (attr !== undefined) plan.mounts = plan.mounts.map((x) => ({ ...x, recursiveAttr: attr }));
  return plan;
}

/** v2, where a fresh cgroup2 mount would land on the host's own (EBUSY): runc's fallback. */
function shadowedV2(m: PlanMount, state: CgroupState): CgroupMountPlan {
  const dir = state.paths[UNIFIED];
  if (dir !== undefined && !(state.skipped ?? []).includes(UNIFIED))
    return { mounts: [bind(dir, m.destination, m.flags, m.propagation)], symlinks: [] };
  return {
    mounts: [
      fsMount({
        source: "tmpfs",
        destination: m.destination,
        fstype: "tmpfs",
        flags: (m.flags & ~BigInt(MS_BIND | MS_REC)) | BigInt(MS_RDONLY),
        data: "mode=755",
        propagation: m.propagation,
      }),
    ],
    symlinks: [],
  };
}

/**
 * Whether an earlier mount of `mounts` is a recursive bind that puts the host's cgroup2
 * mount (`cgroup2Mount`) exactly at `destination`.
 */
export function hostCgroup2At(mounts: readonly PlanMount[], destination: string, cgroup2Mount: string | undefined): boolean {
  if (cgroup2Mount === undefined) return false;
  return mounts.some((b) => {
    if (!b.bind || (b.flags & BigInt(MS_REC)) === 0n) return false;
    const rel = posix.relative(b.destination, destination);
    if (rel.startsWith("..") || posix.isAbsolute(rel)) return false;
    return posix.join(b.source, rel) === cgroup2Mount;
  });
}

function expand(m: PlanMount, state: CgroupState, layout: CgroupLayout, cgroupns: boolean, userns: boolean): CgroupMountPlan {
  if (layout.layout === "v2") {
    const dir = state.paths[UNIFIED];
    if (userns && !cgroupns) return { mounts: dir === undefined ? [] : [bind(dir, m.destination, m.flags, m.propagation)], symlinks: [] };
    return {
      mounts: [
        fsMount({
          source: m.source === "" ? "cgroup" : m.source,
          destination: m.destination,
          fstype: "cgroup2",
          flags: m.flags & ~BigInt(MS_BIND | MS_REC),
          data: m.data,
          propagation: m.propagation,
        }),
      ],
      symlinks: [],
    };
  }
  const mounts: PlanMount[] = [
    fsMount({
      source: "tmpfs",
      destination: m.destination,
      fstype: "tmpfs",
      flags: m.flags & ~BigInt(MS_RDONLY),
      data: "mode=755",
      propagation: m.propagation,
    }),
  ];
  const symlinks: { target: string; path: string }[] = [];
  const done = new Set<string>();
  for (const [key, h] of Object.entries(layout.hierarchies)) {
    if (key === UNIFIED) continue;
    const dir = state.paths[key];
    if (dir === undefined) continue;
    const name = posix.basename(h.mountPoint);
    if (!done.has(name)) {
      done.add(name);
      const dest = posix.join(m.destination, name);
      if (cgroupns) {
        const named = key.startsWith("name=");
        mounts.push(
          fsMount({
            source: named ? key.slice(5) : "cgroup",
            destination: dest,
            fstype: "cgroup",
            flags: m.flags,
            data: named ? key : name,
          }),
        );
      } else {
        mounts.push(bind(dir, dest, m.flags, []));
      }
    }
    const controller = key.startsWith("name=") ? key.slice(5) : key;
    if (controller !== name && name.split(",").includes(controller)) {
      symlinks.push({ target: name, path: posix.join(m.destination, controller) });
    }
  }
  return { mounts, symlinks };
}
