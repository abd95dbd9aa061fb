import { describe, expect, it } from "vitest";
import { BerthError } from "../../errors.js";
import type { CgroupLayout } from "./detect.js";
import {
  checkCgroupDriver,
  isSystemdCgroupsPath,
  normalizeCgroupsPath,
  parseProcCgroup,
  relativeBase,
  resolveCgroupPaths,
} from "./paths.js";
import { thrown } from "../../testing/thrown.js";
import { HYBRID_LAYOUT } from "../../testing/layouts.js";

const HYBRID: CgroupLayout = HYBRID_LAYOUT;

const OWN = parseProcCgroup(`9:name=systemd:/
4:memory:/jobs/42
2:cpu,cpuacct:/
0::/session
`);

describe("parseProcCgroup", () => {
  it("splits comounts and keys the 0:: line as unified", () => {
    expect(OWN).toEqual({ "name=systemd": "/", memory: "/jobs/42", cpu: "/", cpuacct: "/", unified: "/session" });
  });
});

describe("normalizeCgroupsPath", () => {
  it("cleans slashes and dots", () => {
    expect(normalizeCgroupsPath("//a/./b//")).toEqual({ absolute: true, parts: ["a", "b"] });
    expect(normalizeCgroupsPath("a/b")).toEqual({ absolute: false, parts: ["a", "b"] });
  });
  it("rejects .. components", () => {
    const e = thrown(() => normalizeCgroupsPath("/a/../../etc"));
    expect(e.path).toBe("linux.cgroupsPath");
    expect(e.message).toContain("..");
  });
});

describe("resolveCgroupPaths", () => {
  it("puts an absolute path under every hierarchy root", () => {
    const p = resolveCgroupPaths({ cgroupsPath: "/berth/c1", id: "c1", systemd: false }, HYBRID, {}, false);
    expect(p).toEqual({
      cpu: "/sys/fs/cgroup/cpu,cpuacct/berth/c1",
      cpuacct: "/sys/fs/cgroup/cpu,cpuacct/berth/c1",
      memory: "/sys/fs/cgroup/memory/berth/c1",
      "name=systemd": "/sys/fs/cgroup/systemd/berth/c1",
      unified: "/sys/fs/cgroup/unified/berth/c1",
    });
  });
  it("puts a relative path below berth's own cgroup in each hierarchy", () => {
    const p = resolveCgroupPaths({ cgroupsPath: "a/b", id: "c1", systemd: false }, HYBRID, OWN, false);
    expect(p["memory"]).toBe("/sys/fs/cgroup/memory/jobs/42/a/b");
    expect(p["cpu"]).toBe("/sys/fs/cgroup/cpu,cpuacct/a/b");
    expect(p["unified"]).toBe("/sys/fs/cgroup/unified/session/a/b");
  });
  it("uses the container id, relative, when cgroupsPath is absent (as runc does)", () => {
    const p = resolveCgroupPaths({ id: "c1", systemd: false }, HYBRID, OWN, false);
    expect(p["memory"]).toBe("/sys/fs/cgroup/memory/jobs/42/c1");
    expect(p["name=systemd"]).toBe("/sys/fs/cgroup/systemd/c1");
  });
  it("strips the mount root when the hierarchy is mounted from a sub-cgroup", () => {
    const layout: CgroupLayout = { layout: "v2", hierarchies: { unified: { mountPoint: "/sys/fs/cgroup", root: "/docker/abc" } } };
    // On v2 a relative path starts at the parent of berth's own cgroup ("/docker/abc").
    const p = resolveCgroupPaths({ id: "c1", systemd: false }, layout, { unified: "/docker/abc/init/sub" }, false);
    expect(p).toEqual({ unified: "/sys/fs/cgroup/init/c1" });
  });
  it("fails for a relative path when berth's own cgroup in a hierarchy is unknown", () => {
    const e = thrown(() => resolveCgroupPaths({ cgroupsPath: "x", id: "c1", systemd: false }, HYBRID, { memory: "/" }, false));
    expect(e.path).toBe("linux.cgroupsPath");
  });
  it("rejects an id that cannot be a directory name when no path is given", () => {
    expect(() => resolveCgroupPaths({ id: "..", systemd: false }, HYBRID, OWN, false)).toThrow(BerthError);
  });
});

describe("systemd driver selection", () => {
  it("recognises slice:prefix:name", () => {
    expect(isSystemdCgroupsPath("system.slice:berth:c1")).toBe(true);
    expect(isSystemdCgroupsPath(":berth:c1")).toBe(true);
    expect(isSystemdCgroupsPath("/a:b:c")).toBe(false);
    expect(isSystemdCgroupsPath("a:b")).toBe(false);
  });
  it("rejects the systemd form without --systemd-cgroup, naming the field and the flag", () => {
    const e = thrown(() => checkCgroupDriver({ cgroupsPath: "system.slice:berth:c1", id: "c1", systemd: false }, false));
    expect(e.path).toBe("linux.cgroupsPath");
    expect(e.message).toContain("--systemd-cgroup");
  });
  it("rejects --systemd-cgroup on a host without systemd", () => {
    const e = thrown(() => checkCgroupDriver({ cgroupsPath: "system.slice:berth:c1", id: "c1", systemd: true }, false));
    expect(e.path).toBe("--systemd-cgroup");
    expect(e.message).toMatch(/systemd/);
  });
  it("rejects a plain path with --systemd-cgroup on a systemd host", () => {
    const e = thrown(() => checkCgroupDriver({ cgroupsPath: "/a/b", id: "c1", systemd: true }, true));
    expect(e.path).toBe("linux.cgroupsPath");
    expect(e.message).toContain("slice:prefix:name");
  });
  it("accepts plain paths without the flag", () => {
    expect(() => checkCgroupDriver({ cgroupsPath: "/a/b", id: "c1", systemd: false }, false)).not.toThrow();
    expect(() => checkCgroupDriver({ id: "c1", systemd: false }, false)).not.toThrow();
  });
});

describe("relativeBase", () => {
  it("is berth's own cgroup on v1 and hybrid, its parent on pure v2", () => {
    expect(relativeBase("v1", "/jobs/42")).toBe("/jobs/42");
    expect(relativeBase("hybrid", "/jobs/42")).toBe("/jobs/42");
    expect(relativeBase("v2", "/system.slice/containerd.service")).toBe("/system.slice");
    expect(relativeBase("v2", "/")).toBe("/");
  });
});
