// The config.json `berth spec` writes: the same starting point runc offers (a busybox-style
// shell in a locked-down container), at runtime-spec 1.3.0. `rootless` adapts it for an
// unprivileged caller: a user namespace mapping the caller's ids, no network namespace,
// sysfs bound from the host, and no device cgroup rules.
import type { Mount, Spec } from "../spec/types.js";

export const SPEC_VERSION = "1.3.0";

const DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

export interface DefaultSpecOptions {
  rootless: boolean;
  /** Host ids mapped to root in the rootless user namespace (default: the caller's effective ids). */
  uid?: number;
  gid?: number;
  /** The host has pure cgroup v2: runc's spec then adds a cgroup namespace. */
  cgroupV2?: boolean;
}

function mounts(rootless: boolean): Mount[] {
  const devptsOptions = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"];
  if (!rootless) devptsOptions.push("gid=5");
  const sys: Mount = rootless
    ? { destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"] }
    : { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] };
  return [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { destination: "/dev/pts", type: "devpts", source: "devpts", options: devptsOptions },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    sys,
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
  ];
}

/** A fresh default config; every call returns a new object the caller may change. */
export function defaultSpec(opts: DefaultSpecOptions): Spec {
  const { rootless } = opts;
  const spec: Spec = {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ["sh"],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
      cwd: "/",
      capabilities: {
        bounding: [...DEFAULT_CAPS],
        effective: [...DEFAULT_CAPS],
        permitted: [...DEFAULT_CAPS],
        ambient: [...DEFAULT_CAPS],
      },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: "rootfs", readonly: true },
    hostname: "runc",
    mounts: mounts(rootless),
    linux: {},
  };
  const linux = spec.linux!;
  if (rootless) {
    linux.uidMappings = [{ containerID: 0, hostID: opts.uid ?? process.geteuid?.() ?? 0, size: 1 }];
    linux.gidMappings = [{ containerID: 0, hostID: opts.gid ?? process.getegid?.() ?? 0, size: 1 }];
    linux.namespaces = [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }];
  } else {
    linux.resources = { devices: [{ allow: false, access: "rwm" }] };
    linux.namespaces = [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }];
  }
  // runc adds the cgroup namespace first; its rootless adaptation then appends the user one.
  if (opts.cgroupV2 === true) linux.namespaces!.push({ type: "cgroup" });
  if (rootless) linux.namespaces!.push({ type: "user" });
  linux.maskedPaths = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
  ];
  linux.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];
  return spec;
}
