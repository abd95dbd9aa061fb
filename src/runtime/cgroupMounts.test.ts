import { describe, expect, it } from "vitest";
import { cgroupMounts, hostCgroup2At } from "./cgroupMounts.js";
import type { PlanMount } from "./plan.js";
import { HYBRID_LAYOUT } from "../testing/layouts.js";

const RO_FLAGS = 0x1n | 0x2n | 0x4n | 0x8n | 0x200000n; // ro nosuid nodev noexec relatime
const m: PlanMount = {
  source: "cgroup",
  destination: "/sys/fs/cgroup",
  fstype: "cgroup",
  flags: RO_FLAGS,
  data: "",
  propagation: [],
  bind: false,
  remountFlags: 0n,
  destIsFile: false,
  cgroup: true,
};

describe("cgroupMounts", () => {
  it("v1/hybrid: a writable tmpfs, one read-only bind per hierarchy of the container's own cgroup, symlinks for comounts, no cgroup2", () => {
    const layout = HYBRID_LAYOUT;
    const state = {
      layout: "hybrid" as const,
      created: [],
      paths: {
        cpu: "/sys/fs/cgroup/cpu,cpuacct/c1",
        cpuacct: "/sys/fs/cgroup/cpu,cpuacct/c1",
        memory: "/sys/fs/cgroup/memory/c1",
        "name=systemd": "/sys/fs/cgroup/systemd/c1",
        unified: "/sys/fs/cgroup/unified/c1",
      },
    };
    const r = cgroupMounts(m, state, layout);
    expect(r.mounts.map((x) => [x.destination, x.fstype, x.source])).toEqual([
      ["/sys/fs/cgroup", "tmpfs", "tmpfs"],
      ["/sys/fs/cgroup/cpu,cpuacct", "bind", "/sys/fs/cgroup/cpu,cpuacct/c1"],
      ["/sys/fs/cgroup/memory", "bind", "/sys/fs/cgroup/memory/c1"],
      ["/sys/fs/cgroup/systemd", "bind", "/sys/fs/cgroup/systemd/c1"],
    ]);
    expect(r.mounts[0]!.flags & 1n).toBe(0n);
    expect(r.mounts[0]!.data).toBe("mode=755");
    expect(r.mounts[1]!.bind).toBe(true);
    expect(r.mounts[1]!.remountFlags).toBe(RO_FLAGS);
    expect(r.symlinks).toEqual([
      { target: "cpu,cpuacct", path: "/sys/fs/cgroup/cpu" },
      { target: "cpu,cpuacct", path: "/sys/fs/cgroup/cpuacct" },
    ]);
  });

  it("with a new cgroup namespace: fresh cgroup mounts named after the hierarchy", () => {
    const layout = {
      layout: "v1" as const,
      hierarchies: {
        memory: { mountPoint: "/sys/fs/cgroup/memory", root: "/" },
        "name=systemd": { mountPoint: "/sys/fs/cgroup/systemd", root: "/" },
      },
    };
    const state = {
      layout: "v1" as const,
      created: [],
      paths: { memory: "/sys/fs/cgroup/memory/c1", "name=systemd": "/sys/fs/cgroup/systemd/c1" },
    };
    const r = cgroupMounts(m, state, layout, true);
    expect(r.mounts.slice(1).map((x) => [x.source, x.destination, x.fstype, x.data, x.flags])).toEqual([
      ["cgroup", "/sys/fs/cgroup/memory", "cgroup", "memory", RO_FLAGS],
      ["systemd", "/sys/fs/cgroup/systemd", "cgroup", "name=systemd", RO_FLAGS],
    ]);
  });

  it("v2: a fresh cgroup2 mount with the mount's source and flags, as runc's", () => {
    const r = cgroupMounts(
      m,
      { layout: "v2", created: [], paths: { unified: "/sys/fs/cgroup/c1" } },
      {
        layout: "v2",
        hierarchies: { unified: { mountPoint: "/sys/fs/cgroup", root: "/" } },
      },
    );
    expect(r.mounts).toHaveLength(1);
    expect(r.mounts[0]).toMatchObject({ source: "cgroup", destination: "/sys/fs/cgroup", fstype: "cgroup2", bind: false, flags: m.flags });
    expect(r.symlinks).toEqual([]);
  });

  it("v2 in a user namespace without a cgroup namespace: one bind of the container's cgroup2 directory", () => {
    const r = cgroupMounts(
      m,
      { layout: "v2", created: [], paths: { unified: "/sys/fs/cgroup/c1" } },
      {
        layout: "v2",
        hierarchies: { unified: { mountPoint: "/sys/fs/cgroup", root: "/" } },
      },
      false,
      true,
    );
    expect(r.mounts[0]).toMatchObject({ source: "/sys/fs/cgroup/c1", destination: "/sys/fs/cgroup", bind: true, remountFlags: RO_FLAGS });
  });

  it("v2 under a recursive bind of the host's /sys (a rootless config): no fresh cgroup2 on the host's own (EBUSY), as runc", () => {
    const V2 = { layout: "v2" as const, hierarchies: { unified: { mountPoint: "/sys/fs/cgroup", root: "/" } } };
    const sys: PlanMount = {
      ...m,
      source: "/sys",
      destination: "/sys",
      fstype: "bind",
      bind: true,
      flags: 0x1000n | 0x4000n,
      cgroup: false,
    };
    expect(hostCgroup2At([sys], "/sys/fs/cgroup", "/sys/fs/cgroup")).toBe(true);
    expect(hostCgroup2At([{ ...sys, flags: 0x1000n }], "/sys/fs/cgroup", "/sys/fs/cgroup")).toBe(false);
    expect(hostCgroup2At([{ ...sys, source: "/other" }], "/sys/fs/cgroup", "/sys/fs/cgroup")).toBe(false);
    expect(hostCgroup2At([], "/sys/fs/cgroup", "/sys/fs/cgroup")).toBe(false);
    // its own (delegated) cgroup: a bind of it
    const own = cgroupMounts(m, { layout: "v2", created: [], paths: { unified: "/sys/fs/cgroup/u/c1" } }, V2, true, true, true);
    expect(own.mounts.map((x) => [x.destination, x.fstype, x.source])).toEqual([["/sys/fs/cgroup", "bind", "/sys/fs/cgroup/u/c1"]]);
    // none (rootless, skipped; the path is berth's own): an empty read-only tmpfs
    const none = cgroupMounts(
      m,
      { layout: "v2", created: [], paths: { unified: "/sys/fs/cgroup/u" }, skipped: ["unified"] },
      V2,
      true,
      true,
      true,
    );
    expect(none.mounts.map((x) => [x.destination, x.fstype, x.flags & 1n])).toEqual([["/sys/fs/cgroup", "tmpfs", 1n]]);
  });
});
