// linux.resources → the container's cgroup files: validate everything first
// (so nothing is half-applied because of a bad value), then hand the settings to
// the writer for the host's layout. Device rules are applied separately
// (devices.ts); this module never touches them.

import type { Resources } from "../../spec/types.js";
import { UNIFIED } from "./detect.js";
import type { ApplyOptions } from "./limitFiles.js";
import { applyV1 } from "./limitsV1.js";
import { applyV2, enableControllers } from "./limitsV2.js";
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
  const { devices: _devices, ...rest } = resources;
  validateResources(rest, {
    hugePageSizes: (rest.hugepageLimits ?? []).length > 0 ? hostHugePageSizes() : [],
    update: opts.update,
  });
  if (state.layout === "v2") {
    if (unified === undefined) return;
    applyV2(unified, rest, opts);
  } else {
    applyV1(state.paths, rest, opts);
  }
}
