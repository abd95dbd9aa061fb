// Which freezer a container's cgroup uses, and whether it is frozen: the only
// cgroup fact `state` and `list` need, kept apart from the manager so those
// commands load a few lines instead of everything that makes and fills cgroups.

import { UNIFIED } from "./detect.js";
import type { CgroupState } from "./types.js";
import { freezerState } from "./v1.js";
import { hasCgroupFreeze, isFrozenV2 } from "./v2.js";

export interface Freezer {
  kind: "v1" | "v2";
  dir: string;
}

/** The v1 freezer hierarchy where mounted, else cgroup.freeze on a pure v2 host. */
export function freezerOf(state: CgroupState): Freezer | undefined {
  const v1 = state.paths["freezer"];
  if (v1 !== undefined) return { kind: "v1", dir: v1 };
  const unified = state.paths[UNIFIED];
  if (unified !== undefined && state.layout === "v2" && hasCgroupFreeze(unified)) return { kind: "v2", dir: unified };
  return undefined;
}

export function isFrozen(state: CgroupState): boolean {
  const f = freezerOf(state);
  if (f === undefined) return false;
  return f.kind === "v1" ? freezerState(f.dir) === "FROZEN" : isFrozenV2(f.dir);
}
