// linux.resources → the container's cgroup files: validate everything first
// (so nothing is half-applied because of a bad value), then hand the settings to
// the writer for the host's layout. Device rules are applied separately
// (devices.ts); this module never touches them.

import type { Resources } from "../../spec/types.js";
import { UNIFIED } from "./detect.js";
import type { ApplyOptions } from "./limitFiles.js";
import { applyV1 } from "./limitsV1.js";
import { applyV2, availableControllers, enableControllers } from "./limitsV2.js";
import { limitsWithoutSkipped } from "./rootlessLimits.js";
import type { CgroupState } from "./types.js";
import { hostHugePageSizes, validateResources } from "./validateResources.js";

export type { ApplyOptions } from "./limitFiles.js";

/**
 * Apply every resource limit in `resources` except devices. `mountOf` gives the
 * mount point of a hierarchy key (needed on v2 to enable controllers from the
 * top); with `opts.update` only the keys present are written and current
 * values decide the write order. Throws a BerthError naming the JSON path.
 */
export function applyResources(
  state: CgroupState,
  resources: Resources | undefined,
  mountOf: (key: string) => string,
  opts: ApplyOptions = {},
): void {
  const unified = state.paths[UNIFIED];
  // runc enables the controllers on the way down at create, limits or not.
  if (state.layout === "v2" && unified !== undefined && opts.update !== true) enableControllers(mountOf(UNIFIED), unified);
  if (resources === undefined || resources === null) return;
  const { devices: _devices, ...all } = resources;
  validateResources(all, {
    hugePageSizes: (all.hugepageLimits ?? []).length > 0 ? hostHugePageSizes() : [],
    update: opts.update,
  });
  const rest = limitsWithoutSkipped(all, state.skipped ?? [], state.layout === "v2");
  if (state.layout === "v2") {
    if (unified === undefined) return;
    applyV2(unified, rest, opts);
    return;
  }
  const { v1, v2 } =
    state.layout === "hybrid" && unified !== undefined ? splitHybrid(state.paths, rest, mountOf(UNIFIED)) : { v1: rest, v2: undefined };
  applyV1(state.paths, v1, opts);
  if (v2 !== undefined && unified !== undefined) {
    if (opts.update !== true) enableControllers(mountOf(UNIFIED), unified);
    applyV2(unified, v2, opts);
  }
}

/** Settings whose controller a hybrid host may offer on its cgroup2 mount instead of as a v1 hierarchy. */
const HYBRID_V2: readonly { key: "hugepageLimits" | "pids" | "rdma"; controller: string }[] = [
  { key: "hugepageLimits", controller: "hugetlb" },
  { key: "pids", controller: "pids" },
  { key: "rdma", controller: "rdma" },
];

/**
 * On a hybrid host a controller that is not mounted as a v1 hierarchy may be
 * bound to the cgroup2 mount (e.g. hugetlb here); the container is in that
 * hierarchy too, so its settings are written there, in v2's files.
 */
function splitHybrid(
  paths: Record<string, string>,
  r: Omit<Resources, "devices">,
  unifiedMount: string,
): { v1: Omit<Resources, "devices">; v2?: Omit<Resources, "devices"> } {
  const offered = availableControllers(unifiedMount);
  const v1: Record<string, unknown> = { ...r };
  const v2: Record<string, unknown> = {};
  for (const { key, controller } of HYBRID_V2) {
    if (r[key] === undefined || paths[controller] !== undefined || !offered.has(controller)) continue;
    v2[key] = r[key];
    delete v1[key];
  }
  return Object.keys(v2).length === 0 ? { v1 } : { v1, v2 };
}
