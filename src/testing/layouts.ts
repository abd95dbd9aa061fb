// Unit-test fixture: the cgroup layout of a typical hybrid host (cpu and cpuacct
// comounted, memory, the named systemd hierarchy and the cgroup2 mount).

import type { CgroupLayout } from "../linux/cgroups/detect.js";

export const HYBRID_LAYOUT: CgroupLayout = {
  layout: "hybrid",
  hierarchies: {
    cpu: { mountPoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/" },
    cpuacct: { mountPoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/" },
    memory: { mountPoint: "/sys/fs/cgroup/memory", root: "/" },
    "name=systemd": { mountPoint: "/sys/fs/cgroup/systemd", root: "/" },
    unified: { mountPoint: "/sys/fs/cgroup/unified", root: "/" },
  },
};
