// What the host's cgroup layout lets berth do, for `berth features`
// (features-linux.md "cgroup"): which hierarchies exist here, not what the
// code could do on another host.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { detectCgroupLayout, UNIFIED, type CgroupLayout } from "./detect.js";

export interface CgroupFeatures {
  v1: boolean;
  v2: boolean;
  systemd: boolean;
  systemdUser: boolean;
  rdma: boolean;
}

/** Controllers the cgroup2 hierarchy offers at its root ("" when unreadable). */
function rootControllers(layout: CgroupLayout): string[] {
  const h = layout.hierarchies[UNIFIED];
  if (h === undefined) return [];
  try {
    return readFileSync(join(h.mountPoint, "cgroup.controllers"), "utf8").trim().split(/\s+/);
  } catch {
    return [];
  }
}

/**
 * v1: some v1 controller is mounted; v2: a cgroup2 hierarchy is mounted (pure or
 * hybrid); rdma: the rdma controller is available in either; systemd: the
 * systemd driver can be used (systemd runs here and berth has the driver);
 * systemdUser: rootless systemd, which berth does not drive.
 */
export function cgroupFeatures(layout: CgroupLayout | undefined, systemd: boolean, controllers?: string[]): CgroupFeatures {
  if (layout === undefined) return { v1: false, v2: false, systemd: false, systemdUser: false, rdma: false };
  const keys = Object.keys(layout.hierarchies);
  const v1 = keys.some((k) => k !== UNIFIED && !k.startsWith("name="));
  const v2 = layout.hierarchies[UNIFIED] !== undefined;
  const v2ctl = controllers ?? rootControllers(layout);
  return { v1, v2, systemd, systemdUser: false, rdma: keys.includes("rdma") || v2ctl.includes("rdma") };
}

/** cgroupFeatures for this host; a host without cgroupfs reports nothing. */
export function hostCgroupFeatures(systemd: boolean): CgroupFeatures {
  let layout: CgroupLayout | undefined;
  try {
    layout = detectCgroupLayout();
  } catch {
    layout = undefined;
  }
  return cgroupFeatures(layout, systemd);
}
