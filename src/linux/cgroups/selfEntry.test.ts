import { describe, expect, it } from "vitest";
import { loadCgroupManager } from "./manager.js";

describe("selfEntry", () => {
  it("gives one tasks file per distinct v1 directory and the cgroup2 directory to clone into", () => {
    const m = loadCgroupManager({
      layout: "hybrid",
      created: [],
      paths: {
        cpu: "/sys/fs/cgroup/cpu,cpuacct/c1",
        cpuacct: "/sys/fs/cgroup/cpu,cpuacct/c1",
        memory: "/sys/fs/cgroup/memory/c1",
        "name=systemd": "/sys/fs/cgroup/systemd/c1",
        unified: "/sys/fs/cgroup/unified/c1",
      },
    });
    expect(m.selfEntry()).toEqual({
      tasks: ["/sys/fs/cgroup/cpu,cpuacct/c1/tasks", "/sys/fs/cgroup/memory/c1/tasks", "/sys/fs/cgroup/systemd/c1/tasks"],
      into: "/sys/fs/cgroup/unified/c1",
    });
  });

  it("on a cgroup v2 host there is nothing to write, only the directory to clone into", () => {
    const m = loadCgroupManager({ layout: "v2", created: [], paths: { unified: "/sys/fs/cgroup/c1" } });
    expect(m.selfEntry()).toEqual({ tasks: [], into: "/sys/fs/cgroup/c1" });
  });
});
