// Moving a process into a cgroup takes the kernel's cgroup_threadgroup_rwsem for
// writing; the first such write after a quiet period waits for an RCU grace
// period (10–25 ms measured here), later ones within the grace period are fast.
// Starting a no-op migration of berth itself, into the cgroup it is already in,
// lets that wait overlap with validation and planning instead of adding to the
// time before the container process can be placed.

import { readFileSync, promises as fsp } from "node:fs";
import { posix } from "node:path";
import { detectCgroupLayout, UNIFIED } from "./detect.js";
import { parseProcCgroup } from "./paths.js";

export function warmCgroupAttach(): void {
  try {
    const own = parseProcCgroup(readFileSync("/proc/self/cgroup", "utf8"));
    const layout = detectCgroupLayout();
    for (const [key, h] of Object.entries(layout.hierarchies)) {
      const path = own[key];
      if (path === undefined || (key === UNIFIED && layout.layout === "hybrid")) continue;
      const rel = h.root === "/" ? path : posix.relative(h.root, path);
      if (rel.startsWith("..")) continue;
      fsp.writeFile(posix.join(h.mountPoint, rel, "cgroup.procs"), String(process.pid)).catch(() => undefined);
      return;
    }
  } catch {
    /* only an optimisation */
  }
}
