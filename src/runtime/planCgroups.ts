// The second step of building a container's plan: once its cgroups exist, where
// berth-init puts itself and the container, and what each `cgroup` mount of the
// config becomes. buildInitPlan validates and builds everything else first, so a bad
// config fails before any cgroup is made; this step only adds what the cgroups decide.

import { readFileSync } from "node:fs";
import { detectCgroupLayout, UNIFIED, type CgroupLayout } from "../linux/cgroups/detect.js";
import { ownCgroupDirs, parseProcCgroup } from "../linux/cgroups/paths.js";
import type { CgroupState } from "../linux/cgroups/types.js";
import { CLONE_NEWCGROUP, CLONE_NEWUSER } from "../linux/namespaces.js";
import { cgroupMounts, hostCgroup2At } from "./cgroupMounts.js";
import type { Plan, PlanMount } from "./plan.js";

export interface CgroupPlacement {
  /** The container's cgroups as made (paths, and the hierarchies skipped rootless). */
  state: CgroupState;
  /** Where stage 1 writes its pid (cgroup.procs/tasks files) and, for clone3, the cgroup2 directory. */
  entry: { tasks: string[]; into?: string };
  /** The host's cgroup layout (detected when not given). */
  layout?: CgroupLayout;
}

/** The plan with its cgroup placement: a new plan, `plan` is left as it was. */
export function placeInCgroups(plan: Plan, placement: CgroupPlacement): Plan {
  // clone3 into a cgroup checks the cloning process's credentials, which are
  // unprivileged ones once stage 1 is in a user namespace: then berth places
  // stage 1 in the cgroup2 directory itself (the slower, locked way).
  const inUserNs = plan.userns || plan.nsJoin.some((n) => n.type === CLONE_NEWUSER);
  const placed: Plan = {
    ...plan,
    cgroupTasks: placement.entry.tasks,
    ...(inUserNs || placement.entry.into === undefined ? {} : { cgroupInto: placement.entry.into }),
  };
  if (!plan.mounts.some((m) => m.cgroup)) return placed;
  return { ...placed, ...expandCgroupMounts(plan, placement.state, placement.layout ?? detectCgroupLayout(), inUserNs) };
}

/** Each `cgroup` mount replaced with what the container must see of its own cgroups. */
function expandCgroupMounts(plan: Plan, made: CgroupState, layout: CgroupLayout, userns: boolean): Pick<Plan, "mounts" | "symlinks"> {
  // Rootless, where no cgroup could be made: the container stays in berth's, and sees that one (as with runc).
  const skipped = made.skipped ?? [];
  const state =
    skipped.length === 0
      ? made
      : {
          ...made,
          paths: { ...ownCgroupDirs(layout, parseProcCgroup(readFileSync("/proc/self/cgroup", "utf8")), skipped), ...made.paths },
        };
  const mounts: PlanMount[] = [];
  const symlinks = [...plan.symlinks];
  for (const m of plan.mounts) {
    if (!m.cgroup) {
      mounts.push(m);
      continue;
    }
    const shadowed = hostCgroup2At(mounts, m.destination, layout.hierarchies[UNIFIED]?.mountPoint);
    const x = cgroupMounts(m, state, layout, (plan.cloneFlags & CLONE_NEWCGROUP) !== 0, userns, shadowed);
    mounts.push(...x.mounts);
    symlinks.push(...x.symlinks);
  }
  return { mounts, symlinks };
}
