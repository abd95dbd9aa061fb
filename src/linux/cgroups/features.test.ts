import { describe, expect, it } from "vitest";
import { cgroupFeatures } from "./features.js";

const h = (mountPoint: string) => ({ mountPoint, root: "/" });

describe("cgroupFeatures", () => {
  it("reports v1 and v2 on a hybrid host, rdma only where a hierarchy has it", () => {
    const layout = {
      layout: "hybrid" as const,
      hierarchies: {
        memory: h("/sys/fs/cgroup/memory"),
        "name=systemd": h("/sys/fs/cgroup/systemd"),
        unified: h("/sys/fs/cgroup/unified"),
      },
    };
    expect(cgroupFeatures(layout, false, ["hugetlb"])).toEqual({ v1: true, v2: true, systemd: false, systemdUser: false, rdma: false });
    expect(cgroupFeatures(layout, false, ["rdma"]).rdma).toBe(true);
  });
  it("reports only v2 on a unified host, and only v1 without a cgroup2 mount", () => {
    const v2 = { layout: "v2" as const, hierarchies: { unified: h("/sys/fs/cgroup") } };
    expect(cgroupFeatures(v2, true, ["cpu", "memory", "rdma"])).toEqual({
      v1: false,
      v2: true,
      systemd: true,
      systemdUser: false,
      rdma: true,
    });
    const v1 = {
      layout: "v1" as const,
      hierarchies: { cpu: h("/sys/fs/cgroup/cpu"), rdma: h("/sys/fs/cgroup/rdma"), "name=systemd": h("/x") },
    };
    expect(cgroupFeatures(v1, false, [])).toEqual({ v1: true, v2: false, systemd: false, systemdUser: false, rdma: true });
  });
  it("a named hierarchy alone is not v1 support; no cgroupfs reports nothing", () => {
    expect(cgroupFeatures({ layout: "v1", hierarchies: { "name=systemd": h("/x") } }, false, []).v1).toBe(false);
    expect(cgroupFeatures(undefined, true)).toEqual({ v1: false, v2: false, systemd: false, systemdUser: false, rdma: false });
  });
});
