import { describe, expect, it } from "vitest";
import { classifyLayout, CGROUP2_SUPER_MAGIC, hierarchiesFromMounts, parseMountInfo, TMPFS_MAGIC } from "./detect.js";

const HYBRID = `22 1 0:20 / /sys rw,nosuid - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
42 31 0:39 / /sys/fs/cgroup/elogind rw,relatime - cgroup cgroup rw,name=elogind
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
50 23 0:35 /docker/abc /mnt/other\\040dir rw - cgroup cgroup rw,memory
`;

describe("parseMountInfo", () => {
  it("reads optional fields, super options and octal escapes", () => {
    const m = parseMountInfo(HYBRID);
    expect(m).toHaveLength(9);
    expect(m[2]).toMatchObject({ mountPoint: "/sys/fs/cgroup/cpu,cpuacct", fsType: "cgroup", superOptions: ["rw", "cpu", "cpuacct"] });
    expect(m[8]).toMatchObject({ root: "/docker/abc", mountPoint: "/mnt/other dir" });
  });
  it("skips malformed lines", () => {
    expect(parseMountInfo("garbage\n\n1 2 3\n")).toEqual([]);
  });
});

describe("classifyLayout", () => {
  it("maps statfs magics to a layout", () => {
    expect(classifyLayout(CGROUP2_SUPER_MAGIC, undefined)).toBe("v2");
    expect(classifyLayout(TMPFS_MAGIC, CGROUP2_SUPER_MAGIC)).toBe("hybrid");
    expect(classifyLayout(TMPFS_MAGIC, TMPFS_MAGIC)).toBe("v1");
    expect(classifyLayout(TMPFS_MAGIC, undefined)).toBe("v1");
  });
});

describe("hierarchiesFromMounts", () => {
  it("maps comounted controllers and name=systemd, ignores other named hierarchies", () => {
    const h = hierarchiesFromMounts("hybrid", parseMountInfo(HYBRID));
    expect(Object.keys(h).sort()).toEqual(["cpu", "cpuacct", "cpuset", "memory", "name=systemd", "unified"]);
    expect(h["cpu"]).toEqual({ mountPoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/" });
    expect(h["cpuacct"]).toEqual(h["cpu"]);
    expect(h["unified"]!.mountPoint).toBe("/sys/fs/cgroup/unified");
    // the second memory mount outside /sys/fs/cgroup does not replace the first
    expect(h["memory"]!.mountPoint).toBe("/sys/fs/cgroup/memory");
  });
  it("drops the cgroup2 mount on a v1 host", () => {
    expect(hierarchiesFromMounts("v1", parseMountInfo(HYBRID))["unified"]).toBeUndefined();
  });
  it("uses only the cgroup2 mount on a v2 host", () => {
    const text = "30 23 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
    expect(hierarchiesFromMounts("v2", parseMountInfo(text))).toEqual({ unified: { mountPoint: "/sys/fs/cgroup", root: "/" } });
  });
  it("prefers a copy under /sys/fs/cgroup over an earlier one elsewhere", () => {
    const text = `50 23 0:35 / /mnt/mem rw - cgroup cgroup rw,memory
35 31 0:35 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
`;
    expect(hierarchiesFromMounts("v1", parseMountInfo(text))["memory"]!.mountPoint).toBe("/sys/fs/cgroup/memory");
  });
});
