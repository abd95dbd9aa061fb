// What this host offers, in one place. Each host feature a test depends on is a
// named requirement with one check; a test declares what it needs and, when a
// requirement is missing, is skipped with the requirement's name in its title
// ("… [skipped: needs io-weight]"), which the skip summary at the end of the run
// counts. Nothing else in the tests looks at the host to decide whether to run.
//
//   needs("containers", "io-weight").it("blockIO weight", () => …)
//   needs("containers").describe("lifecycle", () => …)
//   if (has("swap-accounting")) … else …   // where berth's behaviour on such a host is defined
//
// Checks run on first use and are remembered for the process.

import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statfsSync, statSync } from "node:fs";
import { release } from "node:os";
import { join, resolve } from "node:path";
import { describe, it, type TestFunction, type TestOptions } from "vitest";
import { loadKoffi } from "../../src/linux/koffi.js";
import { activeLsms } from "../../src/linux/lsm.js";
import { CGROUP2_SUPER_MAGIC, detectCgroupLayout, UNIFIED, type CgroupLayout } from "../../src/linux/cgroups/detect.js";
import { IS_BERTH, IS_ROOT, REPO_ROOT, RUNTIME_BIN, RUNTIME_PRESENT } from "./env.js";
import { idmappedMountsMissing } from "./idmapProbe.js";

/** The runc release whose behaviour the comparisons with runc encode. */
export const RUNC_SERIES = "1.1";

const REQUIREMENTS = {
  root: "the tests run as root",
  runtime: "the runtime binary under test exists (make build, or BERTH_BIN)",
  containers: "root and the runtime binary: what every test that starts a container needs",
  berth: "the runtime under test is berth (BERTH_BIN names another runtime)",
  "cgroup-v1": "cgroup v1 controllers are mounted (a v1 or hybrid host)",
  "cgroup-v2": "a pure cgroup v2 host",
  "cgroup-hybrid": "a hybrid cgroup host (v1 controllers plus a cgroup2 mount)",
  "cgroup2-mount": "a cgroup2 hierarchy is mounted (pure v2, or hybrid's /sys/fs/cgroup/unified)",
  "v1-devices": "the cgroup v1 devices controller is mounted",
  "io-weight": "a block io weight file (blkio.weight or blkio.bfq.weight on v1; io.weight or io.bfq.weight on v2)",
  "swap-accounting": "swap accounting (memory.memsw.* on v1, memory.swap.max on v2)",
  "cpu-rt": "the v1 cpu controller has realtime files (cpu.rt_runtime_us)",
  disk: "a real block device (not loop, zram or ram) for io throttles",
  "hugepages-2M": "2 MiB huge pages (/sys/kernel/mm/hugepages/hugepages-2048kB)",
  userns: "unprivileged user namespaces can be made (unshare --user)",
  "rootless-user":
    "root can run commands as uid 65534 (setpriv, Debian package util-linux), and that user can make a user namespace (setpriv … unshare --user true): the kernel allows unprivileged user namespaces",
  uidmap: "newuidmap and newgidmap (Debian package uidmap), setuid root, for rootless containers with several ids",
  "idmapped-mounts":
    "a bind mount of a directory in /tmp (where the tests' bundles live) can be idmapped: mount_setattr(2) with MOUNT_ATTR_IDMAP, Linux 5.12+ and a filesystem that supports it (ext4 5.12+, tmpfs 6.3+)",
  keyctl: "the keyctl system call works and /proc/keys exists",
  systemd: "systemd runs as PID 1 and answers on the D-Bus system bus",
  "user-systemd":
    "root, a pure cgroup v2 host with systemd and logind running (loginctl), useradd and userdel (Debian package passwd), and the user bus unit of Debian package dbus-user-session: a test user with lingering gets its own systemd instance (user@<uid>.service, a delegated cgroup subtree) and bus",
  "no-systemd": "systemd does not run (berth's error without it is tested)",
  "dbus-daemon": "the dbus-daemon binary (Debian package dbus)",
  memlock: "the prlimit binary and a RLIMIT_MEMLOCK hard limit of at least 64 KiB",
  script: "the script binary (Debian package bsdutils)",
  zsh: "the zsh binary (Debian package zsh), to check the zsh completion's syntax",
  fish: "the fish binary (Debian package fish), to check the fish completion's syntax",
  cc: "a C compiler to build the test peers (gcc, or $CC)",
  veth: "root, the ip binary (Debian package iproute2) and veth pairs the kernel can make (CONFIG_VETH), for linux.netDevices (the dummy module is often missing, veth rarely)",
  runc: `runc ${RUNC_SERIES}.x, the reference runtime ($RUNC_BIN, /usr/sbin/runc or /usr/bin/runc)`,
  crun: "crun ($CRUN_BIN, /usr/bin/crun)",
  criu: "criu, passing `criu check`",
  "no-criu": "criu is installed but `criu check` fails on this kernel (berth's error for it is tested)",
  qemu: "qemu-system-x86_64",
  apparmor: "AppArmor enabled in the kernel",
  "no-apparmor": "AppArmor is not enabled (berth's error for a profile it cannot apply is tested)",
  "no-resctrl": "no resctrl filesystem is mounted (berth's error for linux.intelRdt without it is tested)",
  "apparmor-parser": "apparmor_parser (Debian package apparmor) and AppArmor's securityfs directory, to load a test profile",
  selinux: "SELinux enabled in the kernel",
  "runtime-spec-schema": "the runtime-spec JSON schema in ../shared/oci-runtime-spec/schema beside the repository",
  "seccomp-notify":
    "seccomp user notification with SECCOMP_USER_NOTIF_FLAG_CONTINUE (Linux 5.5+: user_notif in /proc/sys/kernel/seccomp/actions_avail)",
  "podman-seccomp-profile":
    "podman's default seccomp profile, /usr/share/containers/seccomp.json (Debian package golang-github-containers-common)",
  "cgroup2-controller":
    "a cgroup made under the cgroup2 root gets a controller (pure v2: the root offers one, which berth enables; hybrid: one is enabled in the root's cgroup.subtree_control)",
  "no-swap": "no swap is in use (/proc/swaps lists none), so a memory limit bounds a container's memory even without swap accounting",
  podman: "podman 4.x and conmon on PATH (Debian packages podman, conmon), for the engine suite (test/engines/)",
  "podman-init": "podman's init for --init, /usr/libexec/podman/catatonit (Debian package catatonit)",
  containerd: "containerd, ctr and containerd-shim-runc-v2 on PATH (Debian package containerd), for the engine suite's private containerd",
} as const;

/** A host requirement: a fixed name, or `controller:<name>` for one cgroup controller. */
export type Requirement = keyof typeof REQUIREMENTS | `controller:${string}`;

/** What a requirement means, for the skip summary. */
export function describeRequirement(req: Requirement): string {
  if (req.startsWith("controller:")) return `the ${req.slice(11)} cgroup controller is available`;
  return REQUIREMENTS[req as keyof typeof REQUIREMENTS] ?? req;
}

/** setpriv's arguments that run a command as the unprivileged uid 65534 (nobody) with no supplementary groups. */
export const AS_NOBODY = ["--reuid", "65534", "--regid", "65534", "--clear-groups", "--"];

/** Every named requirement (without the per-controller ones). */
export const REQUIREMENT_NAMES = Object.keys(REQUIREMENTS) as (keyof typeof REQUIREMENTS)[];

// --- the checks: each returns undefined when met, or why it is not ----------------------

type Check = () => string | undefined;

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    if (dir !== "" && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}

let layoutCache: CgroupLayout | undefined;
/** The host's cgroup layout (as berth detects it). */
export function hostCgroupLayout(): CgroupLayout {
  layoutCache ??= detectCgroupLayout();
  return layoutCache;
}

/** The cgroup2 mount point (pure v2: /sys/fs/cgroup; hybrid: /sys/fs/cgroup/unified), if there is one. */
export function cgroup2Mount(): string | undefined {
  const mp = hostCgroupLayout().hierarchies[UNIFIED]?.mountPoint;
  if (mp === undefined) return undefined;
  try {
    return statfsSync(mp).type === CGROUP2_SUPER_MAGIC ? mp : undefined;
  } catch {
    return undefined;
  }
}

function v2Controllers(mp: string): string[] {
  try {
    return readFileSync(join(mp, "cgroup.controllers"), "utf8")
      .split(/\s+/)
      .filter((c) => c !== "");
  } catch {
    return [];
  }
}

/** Whether berth can use controller `ctrl` here: mounted as v1, or offered by the v2 root on a pure v2 host. */
function controllerMissing(ctrl: string): string | undefined {
  const layout = hostCgroupLayout();
  if (layout.layout === "v2") {
    const mp = cgroup2Mount() ?? "/sys/fs/cgroup";
    return v2Controllers(mp).includes(ctrl) ? undefined : `not in ${mp}/cgroup.controllers`;
  }
  return layout.hierarchies[ctrl] !== undefined ? undefined : `no cgroup v1 hierarchy for ${ctrl} is mounted`;
}

/**
 * Which of `files` a fresh child cgroup of controller `ctrl` has (many files exist only
 * below the root). Makes and removes a probe directory; on v2 the controller must be
 * enabled in the root's cgroup.subtree_control for its files to appear.
 */
function probeChildFiles(ctrl: string, files: string[]): string[] {
  const layout = hostCgroupLayout();
  const base = layout.layout === "v2" ? cgroup2Mount() : layout.hierarchies[ctrl]?.mountPoint;
  if (base === undefined) return [];
  const dir = join(base, `berth-test-probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    mkdirSync(dir);
  } catch {
    return files.filter((f) => existsSync(join(base, f)));
  }
  try {
    return files.filter((f) => existsSync(join(dir, f)));
  } finally {
    try {
      rmdirSync(dir);
    } catch {
      /* an empty cgroup goes at once; nothing else to do */
    }
  }
}

function needRoot(): string | undefined {
  return IS_ROOT ? undefined : "not running as root";
}

/** "MAJ:MIN" of a real disk (not loop/zram/ram), if the host has one. */
export function diskDevice(): string | undefined {
  let names: string[];
  try {
    names = readdirSync("/sys/block");
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (/^(loop|zram|ram|nbd)/.test(name)) continue;
    try {
      return readFileSync(`/sys/block/${name}/dev`, "utf8").trim();
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** The reference runc: $RUNC_BIN, or the first of /usr/sbin/runc and /usr/bin/runc that exists. */
export const RUNC_BIN: string = nonEmpty(process.env.RUNC_BIN) ?? ["/usr/sbin/runc", "/usr/bin/runc"].find(executable) ?? "/usr/sbin/runc";

/** crun for comparisons: $CRUN_BIN or /usr/bin/crun. */
export const CRUN_BIN: string = nonEmpty(process.env.CRUN_BIN) ?? ["/usr/bin/crun", "/usr/sbin/crun"].find(executable) ?? "/usr/bin/crun";

/** The version runc reports ("1.1.5"), or undefined when it does not run. */
export function runcVersion(bin = RUNC_BIN): string | undefined {
  if (!executable(bin)) return undefined;
  const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000 });
  return /runc version (\S+)/.exec(r.stdout ?? "")?.[1];
}

function keyctlMissing(): string | undefined {
  if (!existsSync("/proc/keys")) return "/proc/keys does not exist (kernel without CONFIG_KEYS)";
  try {
    const koffi = loadKoffi();
    const syscall = koffi.load("libc.so.6").func("long syscall(long nr, long a, long b, long c)");
    // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) on x86-64 (SYS_keyctl = 250)
    const id = syscall(250, 0, -3, 0) as number;
    if (id < 0) return `keyctl(KEYCTL_GET_KEYRING_ID) failed with errno ${koffi.errno()}`;
    return undefined;
  } catch (err) {
    return `cannot call keyctl: ${String(err)}`;
  }
}

function seccompNotifyMissing(): string | undefined {
  let avail: string;
  try {
    avail = readFileSync("/proc/sys/kernel/seccomp/actions_avail", "utf8");
  } catch {
    return "no /proc/sys/kernel/seccomp/actions_avail (kernel without seccomp filters)";
  }
  if (!avail.split(/\s+/).includes("user_notif")) return "the kernel does not offer user_notif";
  const [major = 0, minor = 0] = release()
    .split(".")
    .map((n) => Number.parseInt(n, 10));
  return major > 5 || (major === 5 && minor >= 5)
    ? undefined
    : `Linux ${release()} is older than 5.5 (no SECCOMP_USER_NOTIF_FLAG_CONTINUE)`;
}

function memlockMissing(): string | undefined {
  const prlimit = onPath("prlimit");
  if (prlimit === undefined) return "no prlimit binary on PATH (Debian package util-linux)";
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max locked memory"));
  const hard = line?.split(/\s{2,}/)[2];
  if (hard === undefined) return "no Max locked memory line in /proc/self/limits";
  if (hard !== "unlimited" && Number(hard) < 65536) return `RLIMIT_MEMLOCK hard limit is ${hard} bytes`;
  return undefined;
}

function vethMissing(): string | undefined {
  const root = needRoot();
  if (root !== undefined) return root;
  const ip = onPath("ip");
  if (ip === undefined) return "no ip binary on PATH (Debian package iproute2)";
  const name = `btprobe${process.pid % 100000}`;
  const r = spawnSync(ip, ["link", "add", name, "type", "veth", "peer", "name", `${name}p`], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) return `ip link add … type veth failed: ${(r.stderr ?? "").trim()}`;
  spawnSync(ip, ["link", "del", name], { stdio: "ignore", timeout: 10_000 });
  return undefined;
}

function podmanMissing(): string | undefined {
  if (onPath("podman") === undefined) return "no podman on PATH";
  if (onPath("conmon") === undefined) return "no conmon on PATH";
  const r = spawnSync("podman", ["--version"], { encoding: "utf8", timeout: 10_000 });
  const v = /podman version (\S+)/.exec(r.stdout ?? "")?.[1];
  if (v === undefined) return `podman --version failed: ${(r.stderr ?? String(r.error)).trim()}`;
  return v.startsWith("4.") ? undefined : `podman ${v}; the engine suite is written against podman 4`;
}

const CHECKS: Record<keyof typeof REQUIREMENTS, Check> = {
  root: needRoot,
  runtime: () => (RUNTIME_PRESENT ? undefined : `${RUNTIME_BIN} does not exist`),
  containers: () => needRoot() ?? (RUNTIME_PRESENT ? undefined : `${RUNTIME_BIN} does not exist`),
  berth: () => (IS_BERTH ? undefined : `the runtime under test is ${RUNTIME_BIN}`),
  "cgroup-v1": () => (hostCgroupLayout().layout === "v2" ? "the host has pure cgroup v2" : undefined),
  "cgroup-v2": () => (hostCgroupLayout().layout === "v2" ? undefined : `the host's cgroups are ${hostCgroupLayout().layout}`),
  "cgroup-hybrid": () => (hostCgroupLayout().layout === "hybrid" ? undefined : `the host's cgroups are ${hostCgroupLayout().layout}`),
  "cgroup2-mount": () => (cgroup2Mount() !== undefined ? undefined : "no cgroup2 mount"),
  "v1-devices": () => {
    const mp = hostCgroupLayout().hierarchies["devices"]?.mountPoint;
    return mp !== undefined && existsSync(join(mp, "devices.list")) ? undefined : "no v1 devices hierarchy with devices.list";
  },
  "io-weight": () => {
    const v2 = hostCgroupLayout().layout === "v2";
    const ctrl = v2 ? "io" : "blkio";
    const files = v2 ? ["io.weight", "io.bfq.weight"] : ["blkio.weight", "blkio.bfq.weight"];
    const missing = controllerMissing(ctrl);
    if (missing !== undefined) return `${ctrl}: ${missing}`;
    return probeChildFiles(ctrl, files).length > 0
      ? undefined
      : `a ${ctrl} cgroup has neither ${files.join(" nor ")} (no CFQ/BFQ io scheduler${v2 ? " and no iocost" : ""} in this kernel)`;
  },
  "swap-accounting": () => {
    const v2 = hostCgroupLayout().layout === "v2";
    const file = v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
    const missing = controllerMissing("memory");
    if (missing !== undefined) return `memory: ${missing}`;
    return probeChildFiles("memory", [file]).length > 0
      ? undefined
      : `a memory cgroup has no ${file} (swapaccount=0 or no CONFIG_MEMCG_SWAP)`;
  },
  "cpu-rt": () => {
    const mp = hostCgroupLayout().hierarchies["cpu"]?.mountPoint;
    if (hostCgroupLayout().layout === "v2" || mp === undefined) return "no v1 cpu hierarchy";
    return existsSync(join(mp, "cpu.rt_runtime_us")) ? undefined : `no ${mp}/cpu.rt_runtime_us (no CONFIG_RT_GROUP_SCHED)`;
  },
  disk: () => (diskDevice() !== undefined ? undefined : "no block device other than loop, zram, ram or nbd in /sys/block"),
  "hugepages-2M": () =>
    existsSync("/sys/kernel/mm/hugepages/hugepages-2048kB") ? undefined : "no /sys/kernel/mm/hugepages/hugepages-2048kB",
  userns: () => {
    if (!existsSync("/proc/self/ns/user")) return "no user namespaces in this kernel";
    const r = spawnSync("unshare", ["--user", "true"], { encoding: "utf8", timeout: 10_000 });
    return r.status === 0 ? undefined : `unshare --user true failed: ${(r.stderr ?? String(r.error)).trim()}`;
  },
  "rootless-user": () => {
    const why = needRoot();
    if (why !== undefined) return why;
    if (onPath("setpriv") === undefined) return "no setpriv binary on PATH";
    const r = spawnSync("setpriv", [...AS_NOBODY, "unshare", "--user", "true"], { encoding: "utf8", timeout: 10_000 });
    return r.status === 0 ? undefined : `uid 65534 cannot make a user namespace: ${(r.stderr ?? String(r.error)).trim()}`;
  },
  uidmap: () => {
    for (const tool of ["newuidmap", "newgidmap"]) {
      const p = onPath(tool);
      if (p === undefined) return `no ${tool} on PATH`;
      const st = statSync(p);
      if ((st.mode & 0o4000) === 0 || st.uid !== 0) return `${p} is not setuid root`;
    }
    return undefined;
  },
  "idmapped-mounts": () => needRoot() ?? idmappedMountsMissing("/tmp"),
  keyctl: keyctlMissing,
  systemd: () => {
    if (!existsSync("/run/systemd/system")) return "systemd is not running (no /run/systemd/system)";
    return existsSync("/run/dbus/system_bus_socket") ? undefined : "no D-Bus system bus at /run/dbus/system_bus_socket";
  },
  "user-systemd": () => {
    const why = needRoot();
    if (why !== undefined) return why;
    if (hostCgroupLayout().layout !== "v2") return `the host's cgroups are ${hostCgroupLayout().layout}`;
    if (!existsSync("/run/systemd/system")) return "systemd is not running (no /run/systemd/system)";
    for (const tool of ["loginctl", "useradd", "userdel", "setpriv", "systemd-run"])
      if (onPath(tool) === undefined) return `no ${tool} on PATH`;
    if (!["/usr/lib/systemd/user/dbus.socket", "/lib/systemd/user/dbus.socket"].some((p) => existsSync(p))) {
      return "no user bus unit (dbus.socket of Debian package dbus-user-session)";
    }
    const r = spawnSync("systemctl", ["is-active", "systemd-logind.service"], { encoding: "utf8", timeout: 10_000 });
    return r.status === 0 ? undefined : `systemd-logind is not running: ${(r.stdout ?? "").trim() || String(r.error)}`;
  },
  "no-systemd": () => (existsSync("/run/systemd/system") ? "systemd is running" : undefined),
  "dbus-daemon": () => (["/usr/bin/dbus-daemon", "/bin/dbus-daemon"].some(executable) ? undefined : "no /usr/bin/dbus-daemon"),
  memlock: memlockMissing,
  script: () => (onPath("script") !== undefined ? undefined : "no script binary on PATH"),
  zsh: () => (onPath("zsh") !== undefined ? undefined : "no zsh binary on PATH"),
  fish: () => (onPath("fish") !== undefined ? undefined : "no fish binary on PATH"),
  veth: vethMissing,
  cc: () => {
    const cc = process.env.CC ?? "gcc";
    const r = spawnSync(cc, ["--version"], { stdio: "ignore", timeout: 10_000 });
    return r.status === 0 ? undefined : `${cc} --version failed`;
  },
  runc: () => {
    const v = runcVersion();
    if (v === undefined) return `no runc at ${RUNC_BIN}`;
    return v.startsWith(`${RUNC_SERIES}.`) ? undefined : `${RUNC_BIN} is runc ${v}; the comparisons encode runc ${RUNC_SERIES}`;
  },
  crun: () => (executable(CRUN_BIN) ? undefined : `no crun at ${CRUN_BIN}`),
  criu: () => {
    const criu = onPath("criu");
    if (criu === undefined) return "no criu on PATH";
    const r = spawnSync(criu, ["check"], { encoding: "utf8", timeout: 30_000 });
    return r.status === 0 ? undefined : `criu check failed: ${(r.stderr ?? "").trim().split("\n").pop() ?? ""}`;
  },
  "no-criu": () => {
    const criu = onPath("criu");
    if (criu === undefined) return "no criu on PATH";
    const r = spawnSync(criu, ["check"], { encoding: "utf8", timeout: 30_000 });
    return r.status !== 0 ? undefined : "criu check passes";
  },
  qemu: () => (onPath("qemu-system-x86_64") !== undefined ? undefined : "no qemu-system-x86_64 on PATH"),
  apparmor: () => (activeLsms().includes("apparmor") ? undefined : "AppArmor is not enabled (/sys/module/apparmor/parameters/enabled)"),
  "no-apparmor": () => (activeLsms().includes("apparmor") ? "AppArmor is enabled" : undefined),
  "no-resctrl": () => (/ - resctrl /.test(readFileSync("/proc/self/mountinfo", "utf8")) ? "a resctrl filesystem is mounted" : undefined),
  "apparmor-parser": () => {
    if (onPath("apparmor_parser") === undefined) return "no apparmor_parser on PATH";
    return existsSync("/sys/kernel/security/apparmor/.replace")
      ? undefined
      : "no /sys/kernel/security/apparmor (securityfs not mounted or AppArmor off)";
  },
  selinux: () => (activeLsms().includes("selinux") ? undefined : "SELinux is not enabled (no /sys/fs/selinux)"),
  "runtime-spec-schema": () =>
    existsSync(join(RUNTIME_SPEC_SCHEMA, "config-schema.json")) ? undefined : `${RUNTIME_SPEC_SCHEMA} not found`,
  "seccomp-notify": seccompNotifyMissing,
  "podman-seccomp-profile": () => (existsSync("/usr/share/containers/seccomp.json") ? undefined : "no /usr/share/containers/seccomp.json"),
  "cgroup2-controller": () => {
    const mp = cgroup2Mount();
    if (mp === undefined) return "no cgroup2 mount";
    const file = hostCgroupLayout().layout === "v2" ? "cgroup.controllers" : "cgroup.subtree_control";
    let list = "";
    try {
      list = readFileSync(join(mp, file), "utf8").trim();
    } catch {
      /* reported below */
    }
    return list !== "" ? undefined : `${mp}/${file} lists no controller`;
  },
  "no-swap": () => {
    let lines: string[] = [];
    try {
      lines = readFileSync("/proc/swaps", "utf8")
        .split("\n")
        .slice(1)
        .filter((l) => l.trim() !== "");
    } catch {
      /* no CONFIG_SWAP: no swap */
    }
    return lines.length === 0 ? undefined : `swap is in use: ${lines.map((l) => l.split(/\s+/)[0]).join(", ")} (/proc/swaps)`;
  },
  podman: podmanMissing,
  "podman-init": () => (executable("/usr/libexec/podman/catatonit") ? undefined : "no /usr/libexec/podman/catatonit"),
  containerd: () => {
    const absent = ["containerd", "ctr", "containerd-shim-runc-v2"].filter((b) => onPath(b) === undefined);
    return absent.length === 0 ? undefined : `not on PATH: ${absent.join(", ")}`;
  },
};

/** The runtime-spec schema directory, ../shared/oci-runtime-spec/schema from the repository root. */
export const RUNTIME_SPEC_SCHEMA = resolve(REPO_ROOT, "..", "shared", "oci-runtime-spec", "schema");

const results = new Map<Requirement, string | undefined>();

/** Why `req` is not met here, or undefined when it is. */
export function whyMissing(req: Requirement): string | undefined {
  if (!results.has(req)) {
    let why: string | undefined;
    if (req.startsWith("controller:")) why = controllerMissing(req.slice(11));
    else {
      const check = CHECKS[req as keyof typeof REQUIREMENTS];
      if (check === undefined) throw new Error(`unknown host requirement "${req}" (see test/helpers/host.ts)`);
      why = check();
    }
    results.set(req, why);
  }
  return results.get(req);
}

/** True when every requirement is met. */
export function has(...reqs: Requirement[]): boolean {
  return reqs.every((r) => whyMissing(r) === undefined);
}

/** The requirements among `reqs` that this host lacks. */
export function missing(...reqs: Requirement[]): Requirement[] {
  return reqs.filter((r) => whyMissing(r) !== undefined);
}

/** The title marker of a test skipped for missing requirements, which the skip summary reads. */
export function skipMarker(reqs: Requirement[]): string {
  return ` [skipped: needs ${reqs.join(", ")}]`;
}

/** Parse the requirement names out of titles that carry skip markers. */
export function requirementsInTitle(title: string): string[] {
  const out: string[] = [];
  for (const m of title.matchAll(/\[skipped: needs ([^\]]+)\]/g)) out.push(...m[1]!.split(", "));
  return out;
}

type SuiteFn = () => void;
type TestFn = TestFunction;

export interface Gated {
  /** describe(), or describe.skip() with the missing requirements in the title. */
  describe(name: string, fn: SuiteFn): void;
  describe(name: string, options: TestOptions, fn: SuiteFn): void;
  /** it(), or it.skip() with the missing requirements in the title. */
  it(name: string, fn: TestFn): void;
  it(name: string, options: TestOptions, fn: TestFn): void;
  it(name: string, fn: TestFn, timeout: number): void;
  /** True when every requirement is met. */
  readonly met: boolean;
}

/**
 * Declare what a suite or test needs of the host. When something is missing, the suite
 * or test is skipped and its title says which requirement (the skip summary counts them).
 */
export function needs(...reqs: Requirement[]): Gated {
  const miss = missing(...reqs);
  const mark = miss.length === 0 ? "" : skipMarker(miss);
  const d = miss.length === 0 ? describe : describe.skip;
  const t = miss.length === 0 ? it : it.skip;
  return {
    describe: (name: string, a: TestOptions | SuiteFn, b?: SuiteFn): void => {
      if (typeof a === "function") d(name + mark, a);
      else d(name + mark, a, b);
    },
    it: (name: string, a: TestOptions | TestFn, b?: TestFn | number): void => {
      if (typeof a === "function") t(name + mark, a, b as number | undefined);
      else t(name + mark, a, b as TestFn);
    },
    met: miss.length === 0,
  } as Gated;
}
