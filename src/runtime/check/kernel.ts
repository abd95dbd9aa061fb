// `berth check` probes of the kernel and the process: version, privileges, the
// berth-init helper, namespaces and the sysctls that limit user namespaces, the
// file systems a default container mounts, overlayfs, and the system calls
// berth-init relies on or uses when present.

import { NAMESPACES } from "../../linux/namespaces.js";
import type { NamespaceType } from "../../spec/types.js";
import { degraded, kernelAtLeast, missing, ok, type CheckItem, type HostFacts } from "./types.js";

/** The namespaces `berth spec` puts in config.json (cgroup too on a pure cgroup v2 host). */
export function defaultNamespaces(v2: boolean): NamespaceType[] {
  const base: NamespaceType[] = ["pid", "network", "ipc", "uts", "mount"];
  return v2 ? [...base, "cgroup"] : base;
}

export function kernelItem(f: HostFacts): CheckItem {
  if (kernelAtLeast(f.kernelRelease, 5, 12)) return ok("kernel", `Linux ${f.kernelRelease}`);
  return degraded(
    "kernel",
    `Linux ${f.kernelRelease}, older than 5.12`,
    "berth-init needs openat2 (5.6) and mount_setattr (5.12); see those lines",
  );
}

/** Root runs any container; another user runs rootless ones (`berth spec --rootless`), without cgroups it may not write. */
export function privilegesItem(f: HostFacts): CheckItem {
  if (f.euid === 0) return ok("privileges", "running as root", true);
  return degraded(
    "privileges",
    `running as uid ${f.euid}: rootless (a user namespace maps the container's ids)`,
    "containers of `berth spec --rootless`; cgroup limits and device rules need root (or a cgroup delegated to this user)",
    true,
  );
}

export function initItem(f: HostFacts): CheckItem {
  const init = f.initBinary();
  if (init.path !== undefined) return ok("berth-init", init.path, true);
  return missing(
    "berth-init",
    init.error ?? "not found",
    "install berth-init beside the berth executable (make build / make install)",
    true,
  );
}

const NS_CONFIG: Record<NamespaceType, string> = {
  pid: "CONFIG_PID_NS",
  network: "CONFIG_NET_NS",
  ipc: "CONFIG_IPC_NS",
  uts: "CONFIG_UTS_NS",
  mount: "mount namespaces",
  user: "CONFIG_USER_NS",
  cgroup: "CONFIG_CGROUPS",
  time: "CONFIG_TIME_NS (Linux 5.6+)",
};

export function namespaceItems(f: HostFacts, v2: boolean): CheckItem[] {
  const needed = defaultNamespaces(v2);
  return (Object.keys(NAMESPACES) as NamespaceType[]).sort().map((type) => {
    const file = `/proc/self/ns/${NAMESPACES[type].procName}`;
    const required = needed.includes(type);
    if (f.exists(file)) return ok(`namespaces: ${type}`, file, required);
    return missing(
      `namespaces: ${type}`,
      `no ${file}`,
      `a kernel built with ${NS_CONFIG[type]}; configs listing the ${type} namespace fail`,
      required,
    );
  });
}

function sysctl(f: HostFacts, name: string): number | undefined {
  const text = f.readFile(`/proc/sys/${name.replace(/\./g, "/")}`);
  if (text === undefined || text.trim() === "") return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** User namespaces and the sysctls that limit them (user.max_user_namespaces, Debian's and Ubuntu's switches). */
export function userNamespaceItem(f: HostFacts): CheckItem {
  const name = "user namespaces";
  // A rootless caller's every container has one.
  const required = f.euid !== 0;
  if (!f.exists("/proc/self/ns/user"))
    return missing(name, "not in this kernel", "a kernel with CONFIG_USER_NS; linux.uidMappings and rootless containers need it", required);
  const max = sysctl(f, "user.max_user_namespaces");
  if (max === 0) return missing(name, "user.max_user_namespaces is 0", "sysctl -w user.max_user_namespaces=15000", required);
  const limits: string[] = [];
  const fixes: string[] = [];
  if (sysctl(f, "kernel.unprivileged_userns_clone") === 0) {
    limits.push("kernel.unprivileged_userns_clone is 0 (only root may make them)");
    fixes.push("sysctl -w kernel.unprivileged_userns_clone=1 for rootless use");
  }
  if (sysctl(f, "kernel.apparmor_restrict_unprivileged_userns") === 1) {
    limits.push("kernel.apparmor_restrict_unprivileged_userns is 1");
    fixes.push("sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 for rootless use");
  }
  const maxText = max === undefined ? "" : `user.max_user_namespaces=${max}`;
  const detail = [maxText, ...limits].filter((s) => s !== "").join("; ");
  if (limits.length > 0) return required ? missing(name, detail, fixes.join("; "), true) : degraded(name, detail, fixes.join("; "));
  return ok(name, maxText === "" ? "available" : maxText, required);
}

/** File systems in /proc/filesystems ("nodev\tproc" lines). */
export function kernelFilesystems(f: HostFacts): Set<string> {
  const out = new Set<string>();
  for (const line of (f.readFile("/proc/filesystems") ?? "").split("\n")) {
    const name = line.trim().split(/\s+/).pop();
    if (name !== undefined && name !== "") out.add(name);
  }
  return out;
}

/** What the mounts of a default config need. */
const DEFAULT_MOUNT_FS = ["proc", "sysfs", "tmpfs", "devpts", "mqueue"];

export function filesystemsItem(f: HostFacts): CheckItem {
  const have = kernelFilesystems(f);
  const absent = DEFAULT_MOUNT_FS.filter((fs) => !have.has(fs));
  if (absent.length === 0) return ok("filesystems", DEFAULT_MOUNT_FS.join(", "), true);
  return missing(
    "filesystems",
    `not in /proc/filesystems: ${absent.join(", ")}`,
    "a kernel with them: the mounts of a default config use them",
    true,
  );
}

export function overlayItem(f: HostFacts): CheckItem {
  if (kernelFilesystems(f).has("overlay")) return ok("overlayfs", "in /proc/filesystems");
  if (f.exists(`/lib/modules/${f.kernelRelease}/kernel/fs/overlayfs`)) {
    return degraded("overlayfs", "built as a module, not loaded", "modprobe overlay (engines keep image layers on it)");
  }
  return missing(
    "overlayfs",
    "not in /proc/filesystems",
    "a kernel with CONFIG_OVERLAY_FS; berth does not need it, engines use it for image layers",
  );
}

function syscallState(f: HostFacts, name: Parameters<HostFacts["hasSyscall"]>[0]): "yes" | "no" | "unknown" {
  const has = f.hasSyscall(name);
  return has === undefined ? "unknown" : has ? "yes" : "no";
}

const UNKNOWN_FIX = "koffi (koffi.node beside berth) is needed to ask the kernel";

export function openat2Item(f: HostFacts): CheckItem {
  const s = syscallState(f, "openat2");
  if (s === "yes") return ok("openat2", "RESOLVE_IN_ROOT path resolution", true);
  if (s === "unknown") return degraded("openat2", "cannot tell", UNKNOWN_FIX, true);
  return missing("openat2", "the kernel has no openat2", "Linux 5.6 or later: berth-init resolves every path in the rootfs with it", true);
}

export function mountApiItem(f: HostFacts): CheckItem {
  const tree = syscallState(f, "open_tree");
  const attr = syscallState(f, "mount_setattr");
  if (tree === "yes" && attr === "yes") return ok("mount API", "open_tree and mount_setattr", true);
  if (tree === "unknown" || attr === "unknown") return degraded("mount API", "cannot tell", UNKNOWN_FIX, true);
  const absent = [tree === "no" ? "open_tree" : "", attr === "no" ? "mount_setattr" : ""].filter((s) => s !== "");
  return missing(
    "mount API",
    `the kernel has no ${absent.join(" or ")}`,
    "Linux 5.12 or later: berth-init makes bind mounts with them",
    true,
  );
}

export function idmapItem(f: HostFacts): CheckItem {
  const name = "idmapped mounts";
  const attr = syscallState(f, "mount_setattr");
  if (attr === "yes" && kernelAtLeast(f.kernelRelease, 5, 12)) {
    return ok(name, "MOUNT_ATTR_IDMAP (Linux 5.12+; each file system must support it); berth refuses mounts[].uidMappings for now");
  }
  if (attr === "unknown") return degraded(name, "cannot tell", UNKNOWN_FIX);
  return missing(name, "needs mount_setattr and Linux 5.12", "a newer kernel; mounts with uidMappings cannot be made");
}

export function clone3Item(f: HostFacts, cgroup2: boolean): CheckItem {
  const name = "clone3 CLONE_INTO_CGROUP";
  const s = syscallState(f, "clone3");
  if (s === "unknown") return degraded(name, "cannot tell", UNKNOWN_FIX);
  const fallback = "berth-init forks, then moves the process through cgroup.procs";
  if (s === "no" || !kernelAtLeast(f.kernelRelease, 5, 7))
    return degraded(name, s === "no" ? "the kernel has no clone3" : "clone3 without CLONE_INTO_CGROUP (before 5.7)", fallback);
  if (!cgroup2) return degraded(name, "clone3 is there, but no cgroup2 hierarchy to clone into", fallback);
  return ok(name, "the container process starts in its cgroup2 directory");
}

export function pidfdItem(f: HostFacts): CheckItem {
  const s = syscallState(f, "pidfd_open");
  if (s === "yes") return ok("pidfd", "pidfd_open");
  if (s === "unknown") return degraded("pidfd", "cannot tell", UNKNOWN_FIX);
  return missing(
    "pidfd",
    "the kernel has no pidfd_open",
    "Linux 5.3 or later: berth-init waits on hooks with it (configs with hooks fail); berth wait polls instead",
  );
}
