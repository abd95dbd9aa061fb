// `berth check` probes of cgroups: the layout (v1, hybrid, v2), each controller
// and what needs it, delegation, systemd on the bus, and the files behind
// blockIO weights and swap limits (which exist only in child cgroups).

import { UNIFIED, V1_CONTROLLERS, type CgroupLayout } from "../../linux/cgroups/detect.js";
import { degraded, kernelAtLeast, missing, ok, type CheckItem, type HostFacts } from "./types.js";

/** What a missing controller takes away. */
const USES: Record<string, string> = {
  cpuset: "linux.resources.cpu.cpus and .mems",
  cpu: "linux.resources.cpu shares, quota and period",
  cpuacct: "CPU usage in `berth events`",
  memory: "linux.resources.memory",
  devices: "linux.resources.devices (a default config denies every device through it)",
  freezer: "`berth pause` and `berth resume`",
  net_cls: "linux.resources.network.classID",
  net_prio: "linux.resources.network.priorities",
  blkio: "linux.resources.blockIO",
  io: "linux.resources.blockIO",
  perf_event: "perf monitoring per container",
  hugetlb: "linux.resources.hugepageLimits",
  pids: "linux.resources.pids",
  rdma: "linux.resources.rdma",
  misc: "misc limits (linux.resources.unified)",
};

const V2_CONTROLLERS = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"];

export type Layout = CgroupLayout | { error: string };

function isLayout(l: Layout): l is CgroupLayout {
  return !("error" in l);
}

export function cgroupModeItem(layout: Layout): CheckItem {
  if (!isLayout(layout)) return missing("cgroups: mode", layout.error, "mount cgroup v2 (or v1 controllers) under /sys/fs/cgroup", true);
  const where: Record<string, string> = {
    v2: "v2 (unified): cgroup2 at /sys/fs/cgroup",
    hybrid: `hybrid: v1 controllers, cgroup2 at ${layout.hierarchies[UNIFIED]?.mountPoint ?? "/sys/fs/cgroup/unified"}`,
    v1: "v1: one hierarchy per controller",
  };
  return ok("cgroups: mode", where[layout.layout]!, true);
}

/** Controllers the cgroup2 root offers (cgroup.controllers). */
export function v2Controllers(f: HostFacts, layout: CgroupLayout): string[] {
  const mp = layout.hierarchies[UNIFIED]?.mountPoint;
  if (mp === undefined) return [];
  return (f.readFile(`${mp}/cgroup.controllers`) ?? "").split(/\s+/).filter((c) => c !== "");
}

export function controllerItems(f: HostFacts, layout: Layout): CheckItem[] {
  if (!isLayout(layout)) return [];
  const name = (c: string) => `cgroups: controller ${c}`;
  if (layout.layout === "v2") {
    const have = v2Controllers(f, layout);
    const items = V2_CONTROLLERS.map((c) =>
      have.includes(c)
        ? ok(name(c), "in cgroup.controllers")
        : missing(
            name(c),
            "not in /sys/fs/cgroup/cgroup.controllers",
            `a kernel with it, not disabled on its command line (needed for ${USES[c]})`,
          ),
    );
    items.push(
      kernelAtLeast(f.kernelRelease, 4, 15)
        ? ok(name("devices"), "eBPF programs (BPF_CGROUP_DEVICE)", true)
        : missing(name("devices"), "no eBPF device programs before Linux 4.15", "a kernel with CONFIG_CGROUP_BPF", true),
    );
    items.push(
      kernelAtLeast(f.kernelRelease, 5, 2)
        ? ok(name("freezer"), "cgroup.freeze")
        : missing(name("freezer"), "no cgroup.freeze before Linux 5.2", `a newer kernel; ${USES.freezer} fail`),
    );
    return items;
  }
  const onV2 = layout.layout === "hybrid" ? v2Controllers(f, layout) : [];
  return V1_CONTROLLERS.map((c) => {
    const h = layout.hierarchies[c];
    if (h !== undefined) return ok(name(c), `mounted at ${h.mountPoint}`, c === "devices");
    const note = onV2.includes(c) ? " (it is on the cgroup2 hierarchy instead)" : "";
    return missing(
      name(c),
      `not mounted as cgroup v1${note}`,
      `mount it under /sys/fs/cgroup/${c} (needed for ${USES[c]})`,
      c === "devices",
    );
  });
}

/** The process's own cgroup2 directory (from /proc/self/cgroup's "0::" line). */
function ownCgroup2(f: HostFacts, mountPoint: string): string | undefined {
  const line = (f.readFile("/proc/self/cgroup") ?? "").split("\n").find((l) => l.startsWith("0::"));
  if (line === undefined) return undefined;
  const rel = line.slice(3);
  return rel === "/" ? mountPoint : mountPoint + rel;
}

/**
 * Delegation: which controllers child cgroups of the cgroup2 root get (cgroup.subtree_control;
 * berth enables the rest as root), and for a non-root caller whether its own cgroup is delegated
 * to it (writable). A v1 hierarchy has nothing to delegate for root.
 */
export function delegationItem(f: HostFacts, layout: Layout): CheckItem {
  const name = "cgroups: delegation";
  if (!isLayout(layout)) return missing(name, "no cgroups", undefined);
  const mp = layout.hierarchies[UNIFIED]?.mountPoint;
  if (f.euid !== 0) {
    const own = mp === undefined ? undefined : ownCgroup2(f, mp);
    if (own !== undefined && f.writable(own)) return ok(name, `${own} is writable by uid ${f.euid}`);
    return missing(
      name,
      `uid ${f.euid} owns no cgroup${own === undefined ? "" : ` (${own} is not writable)`}`,
      "without one a rootless container runs without a cgroup and its limits are refused; run as root, or in a delegated scope: systemd-run --user --scope -p Delegate=yes …",
    );
  }
  if (mp === undefined) return ok(name, "root manages the v1 hierarchies directly");
  const offered = v2Controllers(f, layout);
  const enabled = (f.readFile(`${mp}/cgroup.subtree_control`) ?? "").split(/\s+/).filter((c) => c !== "");
  const off = offered.filter((c) => !enabled.includes(c));
  const detail = `${mp}/cgroup.subtree_control: ${enabled.length === 0 ? "(none)" : enabled.join(" ")}`;
  return ok(name, off.length === 0 ? detail : `${detail}; berth enables ${off.join(" ")} as it needs them`);
}

export async function systemdItem(f: HostFacts): Promise<CheckItem> {
  const name = "cgroups: systemd";
  if (!f.exists("/run/systemd/system")) {
    return missing(
      name,
      "not running (no /run/systemd/system)",
      "only --systemd-cgroup needs it; the default cgroupfs driver works without",
    );
  }
  const s = await f.systemd();
  if (s.instance === "user") {
    if (s.error !== undefined)
      return degraded(
        name,
        `running, but no instance of uid ${f.euid}'s is reachable: ${s.error}`,
        "log in, or loginctl enable-linger <user>, with dbus-user-session; a rootless --systemd-cgroup needs it",
      );
    return ok(name, `the user's systemd ${s.version ?? "?"} answers on D-Bus (--systemd-cgroup works rootless, on cgroup v2)`);
  }
  if (s.error !== undefined)
    return degraded(
      name,
      `running, but not reachable: ${s.error}`,
      "start dbus, or run as root (/run/systemd/private); --systemd-cgroup needs it",
    );
  return ok(name, `systemd ${s.version ?? "?"} answers on D-Bus (--systemd-cgroup works)`);
}

/** Where a child cgroup of controller `ctrl` is made to look for files, or why it cannot be. */
function probeDir(layout: CgroupLayout, ctrl: string): string | undefined {
  if (layout.layout === "v2") return layout.hierarchies[UNIFIED]?.mountPoint;
  return layout.hierarchies[ctrl]?.mountPoint;
}

function fileItem(f: HostFacts, layout: Layout, name: string, ctrl: string, files: string[], lacks: string): CheckItem {
  if (!isLayout(layout)) return missing(name, "no cgroups", undefined);
  const dir = probeDir(layout, ctrl);
  if (dir === undefined) return missing(name, `no ${ctrl} controller`, `mount the ${ctrl} controller; ${lacks}`);
  const found = f.childCgroupFiles(dir, files);
  if (found === undefined) return degraded(name, "cannot tell without making a cgroup", "run berth check as root");
  if (found.length > 0) return ok(name, found.join(", "));
  return missing(name, `a ${ctrl} cgroup has no ${files.join(" or ")}`, lacks);
}

export function ioWeightItem(f: HostFacts, layout: Layout): CheckItem {
  const v2 = isLayout(layout) && layout.layout === "v2";
  return fileItem(
    f,
    layout,
    "cgroups: io weight",
    v2 ? "io" : "blkio",
    v2 ? ["io.weight", "io.bfq.weight"] : ["blkio.weight", "blkio.bfq.weight"],
    `linux.resources.blockIO.weight fails: use the BFQ io scheduler${v2 ? " or iocost" : " (CONFIG_BFQ_GROUP_IOSCHED)"}`,
  );
}

export function swapItem(f: HostFacts, layout: Layout): CheckItem {
  const v2 = isLayout(layout) && layout.layout === "v2";
  return fileItem(
    f,
    layout,
    "cgroups: swap accounting",
    "memory",
    [v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes"],
    "linux.resources.memory.swap cannot be applied: boot with swapaccount=1 (CONFIG_MEMCG_SWAP)",
  );
}
