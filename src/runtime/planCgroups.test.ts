import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Spec } from "../spec/types.js";
import { buildInitPlan } from "./planBuilder.js";
import { placeInCgroups } from "./planCgroups.js";
import { planOptions } from "../testing/planOptions.js";
import { HYBRID_LAYOUT } from "../testing/layouts.js";

let bundle: string;
beforeAll(() => {
  bundle = mkdtempSync(join(tmpdir(), "berth-plancg-"));
  mkdirSync(join(bundle, "rootfs/etc"), { recursive: true });
  writeFileSync(join(bundle, "rootfs/etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
});
afterAll(() => rmSync(bundle, { recursive: true, force: true }));

function spec(userns: boolean): Spec {
  return {
    ociVersion: "1.3.0",
    root: { path: "rootfs" },
    process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/" },
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
    ],
    linux: {
      namespaces: [{ type: "pid" }, { type: "mount" }, ...(userns ? [{ type: "user" as const }] : [])],
      ...(userns
        ? { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] }
        : {}),
    },
  };
}

const built = (userns: boolean) => buildInitPlan(spec(userns), planOptions(bundle));

const placement = {
  state: {
    layout: "hybrid" as const,
    created: [],
    paths: {
      cpu: "/sys/fs/cgroup/cpu,cpuacct/c1",
      cpuacct: "/sys/fs/cgroup/cpu,cpuacct/c1",
      memory: "/sys/fs/cgroup/memory/c1",
      "name=systemd": "/sys/fs/cgroup/systemd/c1",
      unified: "/sys/fs/cgroup/unified/c1",
    },
  },
  entry: { tasks: ["/sys/fs/cgroup/memory/c1/cgroup.procs"], into: "/sys/fs/cgroup/unified/c1" },
  layout: HYBRID_LAYOUT,
};

describe("placeInCgroups", () => {
  it("adds stage 1's cgroup files and the clone3 target, and expands the cgroup mount, leaving the built plan as it was", () => {
    const plan = built(false);
    const before = structuredClone(plan);
    const placed = placeInCgroups(plan, placement);
    expect(plan).toEqual(before);
    expect(placed.cgroupTasks).toEqual(["/sys/fs/cgroup/memory/c1/cgroup.procs"]);
    expect(placed.cgroupInto).toBe("/sys/fs/cgroup/unified/c1");
    expect(placed.mounts.some((m) => m.cgroup)).toBe(false);
    expect(placed.mounts.map((m) => m.destination)).toEqual([
      "/proc",
      "/sys/fs/cgroup",
      "/sys/fs/cgroup/cpu,cpuacct",
      "/sys/fs/cgroup/memory",
      "/sys/fs/cgroup/systemd",
    ]);
    expect(placed.symlinks).toEqual(expect.arrayContaining([{ target: "cpu,cpuacct", path: "/sys/fs/cgroup/cpu" }]));
  });

  it("in a user namespace berth, not clone3, puts stage 1 in the cgroup2 directory", () => {
    const placed = placeInCgroups(built(true), placement);
    expect(placed.cgroupTasks).toEqual(["/sys/fs/cgroup/memory/c1/cgroup.procs"]);
    expect(placed.cgroupInto).toBeUndefined();
  });
});
