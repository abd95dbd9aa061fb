// Validated config.json (Spec) → Plan for berth-init. Every policy decision about
// mounts, devices, namespaces, capabilities and the process is made here, following
// runc where the runtime-spec leaves a choice; berth-init only executes the result.
import { existsSync, readFileSync, readlinkSync, statSync, type Stats } from "node:fs";
import { posix, resolve } from "node:path";
import { BerthError } from "../errors.js";
import type { Capabilities, Hook, Mount, NamespaceType, Process, Rlimit, Spec, TimeOffset } from "../spec/types.js";
import type { Plan, PlanDevice, PlanHook, PlanMount, PlanNsJoin, PlanProcess, PlanRlimit } from "./plan.js";
import { capabilityBits, hostLastCap } from "../linux/capabilities.js";
import { CLONE_NEWTIME, CLONE_NEWUSER, namespaceInfo } from "../linux/namespaces.js";
import { runningInUserNs } from "../linux/userns.js";
import {
  DEFAULT_ROOTFS_PROPAGATION,
  MS_BIND,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  ROOTFS_PROPAGATION,
  parseMountOptions,
} from "../linux/mountOptions.js";
import { rlimitNumber, rlimitValue } from "../linux/rlimits.js";
import { mountIdmap, mountRecursiveAttr, type ContainerUserns } from "./mountExtras.js";
import { DEFAULT_DEVICES, devSymlinks, deviceType } from "../linux/devices.js";
import { sysctlKeyToPath } from "../linux/sysctl.js";
import { homeDirFor } from "../linux/passwd.js";
import { activeLsms, apparmorExecLabel, refuseLabel } from "../linux/lsm.js";
import { seccompProgram } from "../linux/seccomp/cache.js";
import type { Seccomp } from "../linux/seccomp/profile.js";
import { netDeviceMoves } from "./netDevices.js";
import { validateIntelRdt } from "../linux/resctrl.js";

/** PATH used to find args[0] when the process environment has no PATH (runc's default). */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** umask applied when process.user.umask is not set (as runc does). */
export const DEFAULT_UMASK = 0o022;

/** Facts about the host the builder looks at; tests replace them. */
export interface HostProbe {
  /** stat(2), following symlinks; throws a Node errno error. */
  stat(path: string): Stats;
  /** readlink(2); throws when `path` is not a symlink. */
  readlink(path: string): string;
  /** Whether the host has /proc/kcore (decides the /dev/core symlink). */
  hasKcore(): boolean;
  /** /proc/sys/kernel/cap_last_cap. */
  lastCap(): number;
  /** Whether berth itself already runs inside a user namespace. */
  inUserNs(): boolean;
  /** HOME for a uid, looked up in `<root>/etc/passwd`. */
  homeDir(root: string, uid: number): string;
  /** The active Linux security modules (/sys/kernel/security/lsm). */
  lsms(): string[];
  /** The online memory nodes (/sys/devices/system/node/online), undefined without NUMA. */
  onlineNodes(): string | undefined;
  /** berth's effective uid. */
  euid(): number;
}

export const realHost: HostProbe = {
  stat: (p) => statSync(p),
  readlink: (p) => readlinkSync(p),
  hasKcore: () => existsSync("/proc/kcore"),
  lastCap: () => hostLastCap(),
  inUserNs: () => runningInUserNs(),
  homeDir: (root, uid) => homeDirFor(root, uid),
  lsms: () => activeLsms(),
  onlineNodes: () => {
    try {
      return readFileSync("/sys/devices/system/node/online", "utf8").trim();
    } catch {
      return undefined;
    }
  },
  euid: () => process.geteuid?.() ?? 0,
};

export interface InitPlanOptions {
  /** Absolute bundle directory; relative paths in the config are resolved against it. */
  bundle: string;
  fifoPath: string;
  noPivot: boolean;
  /** --preserve-fds (LISTEN_FDS fds are counted separately in listenFds). */
  preserveFds: number;
  listenFds: number;
  consoleSocket: boolean;
  wait: boolean;
  /** Stop for MSG_HOOKS even without hooks (the caller wants the state JSON round trip). */
  stateJsonHooks?: boolean;
  /** Receives notes about things berth leaves out (unknown-to-the-kernel capabilities, unknown syscall names). */
  warn?: (msg: string) => void;
  host?: Partial<HostProbe>;
  /** Where compiled seccomp programs are cached (none: compile every time). */
  seccompCacheDir?: string;
  /** The session keyring the container joins (none: berth-init keeps the caller's; --no-new-keyring). */
  sessionKeyring?: string;
}

export interface ExecDefaults {
  /** The container's process settings, used where the exec'd process sets none (as runc exec does). */
  capabilities?: Capabilities;
  noNewPrivileges?: boolean;
  rlimits?: Rlimit[];
  oomScoreAdj?: number;
  umask?: number;
}

export interface ExecPlanOptions {
  initPid: number;
  /** Namespaces to join, usually /proc/<initPid>/ns/<name> for each namespace in the config. */
  namespaces: { type: NamespaceType; path: string }[];
  /** The container has a user namespace (it must then be among `namespaces`). */
  userns: boolean;
  preserveFds: number;
  consoleSocket: boolean;
  wait: boolean;
  detach: boolean;
  defaults?: ExecDefaults;
  /** The container's linux.personality and linux.memoryPolicy: exec'd processes get them too. */
  personality?: unknown;
  memoryPolicy?: unknown;
  /** The container's linux.seccomp: runc applies it to exec'd processes too. */
  seccomp?: Seccomp | null;
  seccompCacheDir?: string;
  /** The container's session keyring, joined by the exec'd process too (none: --no-new-keyring at create). */
  sessionKeyring?: string;
  /** A container without a mount namespace runs chrooted in its rootfs: exec joins it there. */
  chrootRootfs?: string;
  warn?: (msg: string) => void;
  host?: Partial<HostProbe>;
}

const OP = "build plan";

function fail(detail: string, path: string, hint?: string): never {
  throw new BerthError(detail, { op: OP, path, hint });
}

/** personality(2) personas for linux.personality.domain (runtime-spec 1.3 lists these two). */
const PERSONAS: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };

const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };

/** process.ioPriority as an ioprio_set(2) value (class << 13 | level), or undefined when unset. */
export function buildIoPriority(io: unknown, path: string): number | undefined {
  if (io === undefined || io === null) return undefined;
  const { class: cls, priority } = io as { class?: unknown; priority?: unknown };
  if (typeof cls !== "string" || !Object.hasOwn(IOPRIO_CLASSES, cls)) {
    fail(`unknown I/O priority class ${JSON.stringify(cls)}`, `${path}.class`, "use IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE");
  }
  if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 0 || priority > 7) {
    fail(`I/O priority ${JSON.stringify(priority)} is out of range`, `${path}.priority`, "use an integer from 0 (highest) to 7 (lowest)");
  }
  return (IOPRIO_CLASSES[cls]! << 13) | priority;
}

const SCHED_POLICIES: Record<string, number> = {
  SCHED_OTHER: 0,
  SCHED_FIFO: 1,
  SCHED_RR: 2,
  SCHED_BATCH: 3,
  SCHED_ISO: 4,
  SCHED_IDLE: 5,
  SCHED_DEADLINE: 6,
};
const SCHED_FLAGS: Record<string, bigint> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01n,
  SCHED_FLAG_RECLAIM: 0x02n,
  SCHED_FLAG_DL_OVERRUN: 0x04n,
  SCHED_FLAG_KEEP_POLICY: 0x08n,
  SCHED_FLAG_KEEP_PARAMS: 0x10n,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20n,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40n,
};

/** process.scheduler as a struct sched_attr for sched_setattr(2), or undefined when unset. */
export function buildSchedAttr(sched: unknown, path: string): Buffer | undefined {
  if (sched === undefined || sched === null) return undefined;
  const s = sched as {
    policy?: unknown;
    nice?: unknown;
    priority?: unknown;
    flags?: unknown;
    runtime?: unknown;
    deadline?: unknown;
    period?: unknown;
  };
  if (typeof s.policy !== "string" || !Object.hasOwn(SCHED_POLICIES, s.policy)) {
    fail(`unknown scheduling policy ${JSON.stringify(s.policy)}`, `${path}.policy`, `use one of ${Object.keys(SCHED_POLICIES).join(", ")}`);
  }
  if (s.policy === "SCHED_ISO")
    fail("SCHED_ISO is not implemented by Linux", `${path}.policy`, "use SCHED_OTHER, SCHED_BATCH or SCHED_IDLE");
  const int = (v: unknown, name: string, lo: number, hi: number): number => {
    if (v === undefined) return 0;
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi)
      fail(`${name} ${JSON.stringify(v)} is out of range`, `${path}.${name}`, `use an integer from ${lo} to ${hi}`);
    return v as number;
  };
  const u64 = (v: unknown, name: string): bigint => {
    if (v === undefined) return 0n;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
      fail(`${name} ${JSON.stringify(v)} is not a number of nanoseconds`, `${path}.${name}`);
    return BigInt(v as number);
  };
  const realtime = s.policy === "SCHED_FIFO" || s.policy === "SCHED_RR";
  const nice = int(s.nice, "nice", -20, 19);
  const priority = int(s.priority, "priority", realtime ? 1 : 0, realtime ? 99 : 0);
  let flags = 0n;
  if (s.flags !== undefined) {
    if (!Array.isArray(s.flags)) fail("flags must be an array of names", `${path}.flags`);
    (s.flags as unknown[]).forEach((f, i) => {
      if (typeof f !== "string" || !Object.hasOwn(SCHED_FLAGS, f))
        fail(`unknown scheduling flag ${JSON.stringify(f)}`, `${path}.flags[${i}]`, `use ${Object.keys(SCHED_FLAGS).join(", ")}`);
      flags |= SCHED_FLAGS[f as string]!;
    });
  }
  const runtime = u64(s.runtime, "runtime");
  const deadline = u64(s.deadline, "deadline");
  const period = u64(s.period, "period");
  if (s.policy === "SCHED_DEADLINE") {
    // The kernel's own rule: runtime <= deadline <= period (a period of 0 means the deadline).
    if (runtime === 0n || deadline === 0n)
      fail("SCHED_DEADLINE needs runtime and deadline", path, "set runtime and deadline (nanoseconds), runtime <= deadline <= period");
    if (runtime > deadline || (period !== 0n && deadline > period))
      fail(`runtime ${runtime} <= deadline ${deadline} <= period ${period} does not hold`, path, "make runtime <= deadline <= period");
  }
  const b = Buffer.alloc(56);
  b.writeUInt32LE(56, 0);
  b.writeUInt32LE(SCHED_POLICIES[s.policy]!, 4);
  b.writeBigUInt64LE(flags, 8);
  b.writeInt32LE(nice, 16);
  b.writeUInt32LE(priority, 20);
  b.writeBigUInt64LE(runtime, 24);
  b.writeBigUInt64LE(deadline, 32);
  b.writeBigUInt64LE(period, 40);
  return b;
}

const MPOL_MODES: Record<string, number> = {
  MPOL_DEFAULT: 0,
  MPOL_PREFERRED: 1,
  MPOL_BIND: 2,
  MPOL_INTERLEAVE: 3,
  MPOL_LOCAL: 4,
  MPOL_PREFERRED_MANY: 5,
  MPOL_WEIGHTED_INTERLEAVE: 6,
};
const MPOL_FLAGS: Record<string, number> = { MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15 };
const MPOL_NO_NODES = new Set(["MPOL_DEFAULT", "MPOL_LOCAL"]);

/**
 * linux.memoryPolicy as set_mempolicy(2) arguments, or undefined when unset. `online`
 * is the host's online node list (/sys/devices/system/node/online): nodes outside it fail.
 */
export function buildMemoryPolicy(mp: unknown, online: () => string | undefined): { mode: number; nodes?: Buffer } | undefined {
  if (mp === undefined || mp === null) return undefined;
  const path = "linux.memoryPolicy";
  const { mode, nodes, flags } = mp as { mode?: unknown; nodes?: unknown; flags?: unknown };
  if (typeof mode !== "string" || !Object.hasOwn(MPOL_MODES, mode)) {
    fail(`unknown memory policy mode ${JSON.stringify(mode)}`, `${path}.mode`, `use one of ${Object.keys(MPOL_MODES).join(", ")}`);
  }
  let bits = MPOL_MODES[mode]!;
  if (flags !== undefined) {
    if (!Array.isArray(flags)) fail("flags must be an array of names", `${path}.flags`);
    (flags as unknown[]).forEach((f, i) => {
      if (typeof f !== "string" || !Object.hasOwn(MPOL_FLAGS, f))
        fail(`unknown memory policy flag ${JSON.stringify(f)}`, `${path}.flags[${i}]`, `use ${Object.keys(MPOL_FLAGS).join(", ")}`);
      bits |= MPOL_FLAGS[f as string]!;
    });
  }
  const mask = cpuMask(nodes, `${path}.nodes`);
  if (MPOL_NO_NODES.has(mode) && mask !== undefined) fail(`${mode} takes no nodes`, `${path}.nodes`, "remove nodes");
  if (!MPOL_NO_NODES.has(mode) && mode !== "MPOL_PREFERRED" && mask === undefined)
    fail(`${mode} needs at least one node`, `${path}.nodes`, 'list the memory nodes, e.g. "0"');
  if (mask !== undefined) {
    const nodesOnline = online() ?? "0";
    const have = cpuMask(nodesOnline, "host node list")!;
    for (let n = 0; n < mask.length * 8; n++) {
      if ((mask[n >> 3]! & (1 << (n & 7))) !== 0 && (have[n >> 3]! & (1 << (n & 7))) === 0) {
        fail(
          `memory node ${n} is not online on this host (online: ${nodesOnline})`,
          `${path}.nodes`,
          "list nodes from /sys/devices/system/node/online",
        );
      }
    }
  }
  return mask === undefined ? { mode: bits } : { mode: bits, nodes: mask };
}

/** A CPU (or memory node) list ("0-3,7") as a bit mask (n = bit n), or undefined when empty. */
export function cpuMask(list: unknown, path: string): Buffer | undefined {
  if (list === undefined || list === null || list === "") return undefined;
  const bad = (): never =>
    fail(`${JSON.stringify(list)} is not a CPU list`, path, 'write CPUs and ranges separated by commas, e.g. "0-3,7"');
  if (typeof list !== "string") return bad();
  const mask = Buffer.alloc(128); // 1024 CPUs, glibc's cpu_set_t
  for (const part of list.split(",")) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (m === null) return bad();
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi >= mask.length * 8) return bad();
    for (let c = lo; c <= hi; c++) mask[c >> 3]! |= 1 << (c & 7);
  }
  return mask;
}

/** linux.personality as a persona for berth-init, or undefined when the config sets none. */
export function buildPersonality(p: unknown): number | undefined {
  if (p === undefined || p === null) return undefined;
  const { domain, flags } = p as { domain?: unknown; flags?: unknown };
  if (typeof domain !== "string" || !Object.hasOwn(PERSONAS, domain)) {
    fail(`unknown execution domain ${JSON.stringify(domain)}`, "linux.personality.domain", 'use "LINUX" or "LINUX32"');
  }
  if (Array.isArray(flags) && flags.length > 0) {
    fail(
      `flags ${JSON.stringify(flags)} are not supported`,
      "linux.personality.flags",
      "runtime-spec 1.3 defines no flag values; remove them",
    );
  }
  return PERSONAS[domain];
}

// ---------------------------------------------------------------------------------------
// process

interface ProcessContext {
  path: string;
  host: HostProbe;
  warn: (msg: string) => void;
  /** Root used to look up HOME (rootfs for init, /proc/<pid>/root for exec). */
  homeRoot: string;
  defaults?: ExecDefaults;
}

function buildCaps(caps: Capabilities | undefined, ctx: ProcessContext): PlanProcess["caps"] {
  const lastCap = ctx.host.lastCap();
  if (caps === undefined) {
    // No capabilities object: every set is empty, as with runc 1.1.
    return { bounding: 0n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n };
  }
  const unavailable = new Set<string>();
  const set = (names: string[] | undefined): bigint => {
    const r = capabilityBits(names, lastCap);
    for (const n of r.unavailable) unavailable.add(n);
    return r.bits;
  };
  const out = {
    bounding: set(caps.bounding),
    effective: set(caps.effective),
    permitted: set(caps.permitted),
    inheritable: set(caps.inheritable),
    ambient: set(caps.ambient),
  };
  if (unavailable.size > 0) {
    ctx.warn(
      `${ctx.path}.capabilities: ignoring capabilities this kernel does not have or berth does not know: ${[...unavailable].join(", ")}`,
    );
  }
  return out;
}

function buildRlimits(rlimits: Rlimit[] | undefined, path: string): PlanRlimit[] {
  const seen = new Set<number>();
  return (rlimits ?? []).map((r, i) => {
    const p = `${path}[${i}]`;
    const type = rlimitNumber(r.type, `${p}.type`);
    if (seen.has(type)) fail(`duplicate rlimit type "${r.type}"`, `${p}.type`, "list each rlimit type once");
    seen.add(type);
    const soft = rlimitValue(r.soft, `${p}.soft`);
    const hard = rlimitValue(r.hard, `${p}.hard`);
    if (soft > hard) fail(`soft limit ${soft} is above hard limit ${hard}`, p, "make soft <= hard");
    return { type, soft, hard };
  });
}

/** One entry per variable, the last value given winning, in the order of those last entries (runc's). */
export function dedupEnv(env: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = env.length - 1; i >= 0; i--) {
    const kv = env[i]!;
    const eq = kv.indexOf("=");
    const key = eq < 0 ? kv : kv.slice(0, eq);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(kv);
  }
  return out.reverse();
}

function buildProcess(proc: Process, ctx: ProcessContext): PlanProcess {
  const d = ctx.defaults ?? {};
  const args = proc.args ?? [];
  if (args.length === 0) fail("process args must not be empty", `${ctx.path}.args`, 'give the command to run, e.g. ["sh"]');
  if (typeof proc.cwd !== "string" || !proc.cwd.startsWith("/")) {
    fail(`cwd "${String(proc.cwd)}" is not an absolute path`, `${ctx.path}.cwd`, 'use an absolute path such as "/"');
  }
  const execLabel = apparmorExecLabel(`${ctx.path}.apparmorProfile`, proc.apparmorProfile, () => ctx.host.lsms(), OP);
  refuseLabel(`${ctx.path}.selinuxLabel`, proc.selinuxLabel, "selinux", () => ctx.host.lsms(), OP);
  const uid = proc.user?.uid ?? 0;
  const gid = proc.user?.gid ?? 0;
  const env = dedupEnv(proc.env ?? []);
  // As runc: a missing or empty HOME is the user's home from the container's passwd.
  const home = env.findIndex((e) => e.startsWith("HOME="));
  if (home < 0 || env[home] === "HOME=") {
    const value = `HOME=${ctx.host.homeDir(ctx.homeRoot, uid)}`;
    if (home < 0) env.push(value);
    else env[home] = value;
  }
  const rlimits = proc.rlimits !== undefined && proc.rlimits.length > 0 ? proc.rlimits : d.rlimits;
  const rlimitPath = proc.rlimits !== undefined && proc.rlimits.length > 0 ? `${ctx.path}.rlimits` : "defaults.rlimits";
  const terminal = proc.terminal === true;
  const out: PlanProcess = {
    args: [...args],
    env,
    cwd: proc.cwd,
    uid,
    gid,
    additionalGids: [...(proc.user?.additionalGids ?? [])],
    umask: proc.user?.umask ?? d.umask ?? DEFAULT_UMASK,
    caps: buildCaps(proc.capabilities ?? d.capabilities, ctx),
    noNewPrivileges: proc.noNewPrivileges ?? d.noNewPrivileges ?? false,
    terminal,
    rlimits: buildRlimits(rlimits, rlimitPath),
  };
  const ioprio = buildIoPriority(proc.ioPriority, `${ctx.path}.ioPriority`);
  if (ioprio !== undefined) out.ioPriority = ioprio;
  const sched = buildSchedAttr(proc.scheduler, `${ctx.path}.scheduler`);
  if (sched !== undefined) out.schedAttr = sched;
  if (execLabel !== undefined) out.execLabel = execLabel;
  if (terminal && proc.consoleSize !== undefined) {
    out.consoleSize = { height: proc.consoleSize.height, width: proc.consoleSize.width };
  }
  const oom = proc.oomScoreAdj ?? d.oomScoreAdj;
  if (oom !== undefined) {
    if (!Number.isInteger(oom) || oom < -1000 || oom > 1000) {
      fail(`oomScoreAdj ${oom} is out of range`, `${ctx.path}.oomScoreAdj`, "use an integer from -1000 to 1000");
    }
    out.oomScoreAdj = oom;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// namespaces

interface NamespacePlan {
  cloneFlags: number;
  nsJoin: PlanNsJoin[];
  /** A new user namespace is created. */
  userns: boolean;
  /** The config has a user namespace (new or joined). */
  anyUserNs: boolean;
  hasMountNs: boolean;
}

function checkNamespacePath(type: NamespaceType, path: string, json: string, host: HostProbe): void {
  try {
    host.stat(path);
  } catch (err) {
    throw BerthError.fromSys(
      OP,
      path,
      err,
      `${json}: the namespace to join must exist (e.g. /proc/<pid>/ns/${namespaceInfo(type, json).procName})`,
    );
  }
  let link: string | undefined;
  try {
    link = host.readlink(path);
  } catch {
    return; // a bind-mounted namespace file is not a symlink; setns checks the type
  }
  const m = /^([a-z_]+):\[[0-9]+\]$/.exec(link);
  const want = namespaceInfo(type, json).procName;
  // pid_for_children / time_for_children point at the same kind of namespace.
  if (m !== null && m[1]!.replace(/_for_children$/, "") !== want) {
    fail(`${path} is a ${m[1]} namespace, not ${want}`, json, `point linux.namespaces "${type}" at a ${want} namespace file`);
  }
}

function buildNamespaces(spec: Spec, host: HostProbe): NamespacePlan {
  const out: NamespacePlan = { cloneFlags: 0, nsJoin: [], userns: false, anyUserNs: false, hasMountNs: false };
  const seen = new Set<string>();
  (spec.linux?.namespaces ?? []).forEach((ns, i) => {
    const json = `linux.namespaces[${i}]`;
    const info = namespaceInfo(ns.type, `${json}.type`);
    if (seen.has(ns.type)) fail(`duplicate namespace type "${ns.type}"`, `${json}.type`, "list each namespace type once");
    seen.add(ns.type);
    if (ns.type === "user") out.anyUserNs = true;
    if (ns.type === "mount") out.hasMountNs = true;
    if (ns.path !== undefined && ns.path !== "") {
      checkNamespacePath(ns.type, ns.path, `${json}.path`, host);
      out.nsJoin.push({ type: info.flag, path: ns.path });
    } else {
      out.cloneFlags |= info.flag;
      if (ns.type === "user") out.userns = true;
    }
  });
  return out;
}

/** The container's user namespace, for idmapped mounts that take its mapping. */
function containerUserns(spec: Spec): ContainerUserns {
  const ns = (spec.linux?.namespaces ?? []).find((n) => n.type === "user");
  if (ns === undefined) return { kind: "none" };
  if (ns.path !== undefined && ns.path !== "") return { kind: "join", path: ns.path };
  return { kind: "new", uidMappings: spec.linux?.uidMappings ?? [], gidMappings: spec.linux?.gidMappings ?? [] };
}

/** linux.timeOffsets → the text written to /proc/self/timens_offsets. */
export function renderTimeOffsets(offsets: Partial<Record<string, TimeOffset>>): string {
  let text = "";
  for (const clock of Object.keys(offsets)) {
    if (clock !== "monotonic" && clock !== "boottime") {
      fail(`unknown clock "${clock}"`, `linux.timeOffsets.${clock}`, "only monotonic and boottime can be offset");
    }
  }
  for (const clock of ["monotonic", "boottime"]) {
    const o = offsets[clock];
    if (o === undefined) continue;
    const secs = o.secs ?? 0;
    const nsecs = o.nanosecs ?? 0;
    if (!Number.isInteger(secs)) fail(`secs ${secs} is not an integer`, `linux.timeOffsets.${clock}.secs`);
    if (!Number.isInteger(nsecs) || nsecs < 0 || nsecs > 999_999_999) {
      fail(`nanosecs ${nsecs} is out of range`, `linux.timeOffsets.${clock}.nanosecs`, "use 0 … 999999999");
    }
    text += `${clock} ${secs} ${nsecs}\n`;
  }
  return text;
}

// ---------------------------------------------------------------------------------------
// mounts and devices

function buildMount(m: Mount, i: number, bundle: string, host: HostProbe, userns: ContainerUserns): PlanMount {
  const json = `mounts[${i}]`;
  if (typeof m.destination !== "string" || m.destination === "") fail("mount destination is empty", `${json}.destination`);
  const parsed = parseMountOptions(m.options);
  const destination = posix.resolve("/", m.destination);
  const bind = m.type === "bind" || (parsed.flags & MS_BIND) !== 0;
  let flags = parsed.flags;
  let source = m.source ?? "";
  let destIsFile = false;
  let remountFlags = 0n;
  if (bind) {
    flags |= MS_BIND;
    if (source === "") fail("bind mount has no source", `${json}.source`, "set source to the host path to bind");
    source = resolve(bundle, source);
    let st: Stats;
    try {
      st = host.stat(source);
    } catch (err) {
      throw BerthError.fromSys("stat bind source", source, err, `${json}.source must name an existing host path`);
    }
    destIsFile = !st.isDirectory();
    const extra = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    remountFlags = BigInt(extra);
  }
  const fstype = bind ? "bind" : (m.type ?? "");
  const out: PlanMount = {
    source,
    destination,
    fstype,
    flags: BigInt(flags),
    data: parsed.data,
    propagation: parsed.propagation,
    bind,
    remountFlags,
    destIsFile,
    cgroup: !bind && (fstype === "cgroup" || fstype === "cgroup2"),
  };
  // As runc: tmpcopyup means something only for a tmpfs; elsewhere it is ignored.
  if (parsed.copyUp && fstype === "tmpfs") out.copyUp = true;
  const recursiveAttr = mountRecursiveAttr(parsed, json);
  if (recursiveAttr !== undefined) out.recursiveAttr = recursiveAttr;
  const idmap = mountIdmap(m, json, parsed, bind, { userns, euid: host.euid() });
  if (idmap !== undefined) out.idmap = idmap;
  return out;
}

function buildDevices(spec: Spec, useBind: boolean, skipPtmx: boolean): PlanDevice[] {
  const specDevices = spec.linux?.devices ?? [];
  const specPaths = new Set(specDevices.map((d) => posix.resolve("/", d.path)));
  const out: PlanDevice[] = [];
  const seen = new Set<string>();
  const add = (d: PlanDevice): void => {
    if (seen.has(d.path) || (skipPtmx && d.path === "/dev/ptmx")) return;
    seen.add(d.path);
    if (useBind) d.bindFrom = d.path;
    out.push(d);
  };
  for (const d of DEFAULT_DEVICES) {
    if (specPaths.has(d.path)) continue;
    add({ path: d.path, type: d.type, major: d.major, minor: d.minor, mode: d.mode, uid: 0, gid: 0 });
  }
  specDevices.forEach((d, i) => {
    const json = `linux.devices[${i}]`;
    if (typeof d.path !== "string" || d.path === "") fail("device path is empty", `${json}.path`);
    const type = deviceType(d.type, `${json}.type`);
    if (d.type !== "p" && (d.major === undefined || d.minor === undefined)) {
      fail(`device ${d.path} needs major and minor numbers`, json, `set major and minor for type "${d.type}"`);
    }
    add({
      path: posix.resolve("/", d.path),
      type,
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      mode: (d.fileMode ?? 0o666) & 0o7777,
      uid: d.uid ?? 0,
      gid: d.gid ?? 0,
    });
  });
  return out;
}

function buildHooks(hooks: Hook[] | undefined, path: string): PlanHook[] {
  return (hooks ?? []).map((h, i) => {
    if (typeof h.path !== "string" || !h.path.startsWith("/")) {
      fail(`hook path "${String(h.path)}" is not absolute`, `${path}[${i}].path`, "hooks must name an absolute executable path");
    }
    const timeout = h.timeout ?? 0;
    if (!Number.isInteger(timeout) || timeout < 0)
      fail(`hook timeout ${timeout} is invalid`, `${path}[${i}].timeout`, "use a positive number of seconds");
    // An empty args list runs the hook with argv = [path], as Go's exec.Cmd does for runc.
    const args = h.args !== undefined && h.args.length > 0 ? [...h.args] : [h.path];
    return { path: h.path, args, env: [...(h.env ?? [])], timeout };
  });
}

function hostProbe(p: Partial<HostProbe> | undefined): HostProbe {
  return { ...realHost, ...(p ?? {}) };
}

// ---------------------------------------------------------------------------------------
// public

/** Plan for `create`/`run`: a new container from a validated config. */
export function buildInitPlan(spec: Spec, opts: InitPlanOptions): Plan {
  const host = hostProbe(opts.host);
  const warn = opts.warn ?? (() => {});
  if (spec.process === undefined) fail("config has no process", "process", "add a process object with args, cwd and user");
  if (spec.root === undefined || typeof spec.root.path !== "string" || spec.root.path === "") {
    fail("config has no root.path", "root.path", "set root.path to the rootfs directory (relative to the bundle)");
  }
  const bundle = resolve(opts.bundle);
  const rootfs = resolve(bundle, spec.root.path);

  const ns = buildNamespaces(spec, host);
  if (!ns.hasMountNs) {
    // runc's chroot mode: the container shares berth's mount namespace, its
    // mounts land below the rootfs on the host (removed again at delete) and
    // it is entered with chroot. Settings that would change mounts outside
    // the rootfs are refused.
    if (spec.root.readonly === true)
      fail("needs a mount namespace", "root.readonly", 'add {"type": "mount"} to linux.namespaces, or drop root.readonly');
    if (spec.linux?.rootfsPropagation !== undefined)
      fail("needs a mount namespace", "linux.rootfsPropagation", 'add {"type": "mount"} to linux.namespaces');
  }
  let timensOffsets: string | undefined;
  const offsets = spec.linux?.timeOffsets;
  if (offsets !== undefined && Object.keys(offsets).length > 0) {
    if ((ns.cloneFlags & CLONE_NEWTIME) === 0) {
      fail("timeOffsets need a new time namespace", "linux.timeOffsets", 'add {"type": "time"} without a path to linux.namespaces');
    }
    timensOffsets = renderTimeOffsets(offsets);
  }

  const userns = containerUserns(spec);
  const mounts = (spec.mounts ?? []).map((m, i) => buildMount(m, i, bundle, host, userns));
  // /dev is populated unless it is bind-mounted from somewhere (runc's needsSetupDev).
  const setupDev = !mounts.some((m) => m.bind && m.destination === "/dev");
  const devptsPtmx = setupDev && mounts.some((m) => m.fstype === "devpts" && m.destination === "/dev/pts");
  // As runc: a read-only /dev or tmpfs is mounted writable (to be filled), and that
  // mount is made read-only after the pivot (the filesystem itself stays writable).
  const remountReadonly: string[] = [];
  for (const m of mounts) {
    const late = !m.bind && (m.fstype === "tmpfs" || (setupDev && m.destination === "/dev"));
    if (ns.hasMountNs && late && (m.flags & BigInt(MS_RDONLY)) !== 0n) {
      m.flags &= ~BigInt(MS_RDONLY);
      remountReadonly.push(m.destination);
    }
  }
  const useBind = ns.anyUserNs || host.inUserNs();
  const devices = setupDev ? buildDevices(spec, useBind, devptsPtmx) : [];
  const symlinks = setupDev ? devSymlinks(host.hasKcore()) : [];

  let rootfsPropagation = DEFAULT_ROOTFS_PROPAGATION;
  const rp = spec.linux?.rootfsPropagation;
  if (rp !== undefined && rp !== "") {
    if (!Object.hasOwn(ROOTFS_PROPAGATION, rp)) {
      fail(`unknown rootfsPropagation "${rp}"`, "linux.rootfsPropagation", `use one of ${Object.keys(ROOTFS_PROPAGATION).join(", ")}`);
    }
    rootfsPropagation = ROOTFS_PROPAGATION[rp]!;
  }

  const sysctl = Object.entries(spec.linux?.sysctl ?? {}).map(([key, value]) => ({
    key: sysctlKeyToPath(key, `linux.sysctl.${key}`),
    value: String(value),
  }));

  const hooks = spec.hooks ?? {};
  const hasHooks = (["prestart", "createRuntime", "createContainer", "startContainer"] as const).some((k) => (hooks[k]?.length ?? 0) > 0);

  const seccomp =
    spec.linux?.seccomp === undefined || spec.linux.seccomp === null
      ? undefined
      : seccompProgram(spec.linux.seccomp as Seccomp, warn, { cacheDir: opts.seccompCacheDir });
  // linux.intelRdt: its values here; the resctrl mount and the groups at create (create.ts).
  const rdt = spec.linux?.intelRdt;
  if (rdt !== undefined && rdt !== null) validateIntelRdt(rdt);

  // Moved by berth from the host side when berth-init stops for the hooks (create.ts).
  const netDevices = netDeviceMoves(spec, host.euid());

  const process = buildProcess(spec.process, { path: "process", host, warn, homeRoot: rootfs });
  refuseLabel("linux.mountLabel", spec.linux?.mountLabel, "selinux", () => host.lsms(), OP);

  const plan: Plan = {
    mode: "init",
    cloneFlags: ns.cloneFlags,
    userns: ns.userns,
    nsJoin: ns.nsJoin,
    process,
    rootfs,
    rootfsPropagation,
    rootReadonly: spec.root.readonly === true,
    noPivot: opts.noPivot,
    mounts,
    devices,
    symlinks,
    devptsPtmx,
    maskedPaths: [...(spec.linux?.maskedPaths ?? [])],
    readonlyPaths: [...(spec.linux?.readonlyPaths ?? [])],
    remountReadonly,
    sysctl,
    fifoPath: opts.fifoPath,
    ...(opts.sessionKeyring === undefined ? {} : { sessionKeyring: opts.sessionKeyring }),
    hooksSync: hasHooks || opts.stateJsonHooks === true || netDevices.length > 0,
    createContainerHooks: buildHooks(hooks.createContainer, "hooks.createContainer"),
    startContainerHooks: buildHooks(hooks.startContainer, "hooks.startContainer"),
    preserveFds: opts.preserveFds,
    listenFds: opts.listenFds,
    wait: opts.wait,
    checkExec: true,
    setsid: true,
    defaultPath: DEFAULT_PATH,
  };
  if (timensOffsets !== undefined) plan.timensOffsets = timensOffsets;
  if (seccomp !== undefined) plan.seccomp = seccomp;
  const persona = buildPersonality(spec.linux?.personality);
  if (persona !== undefined) plan.personality = persona;
  const mempolicy = buildMemoryPolicy(spec.linux?.memoryPolicy, () => host.onlineNodes());
  if (mempolicy !== undefined) plan.memoryPolicy = mempolicy;
  if (spec.hostname !== undefined) plan.hostname = spec.hostname;
  if (spec.domainname !== undefined) plan.domainname = spec.domainname;
  return plan;
}

/** Plan for `exec`: run `proc` inside the namespaces of a running container. */
export function buildExecPlan(proc: Process, opts: ExecPlanOptions): Plan {
  const host = hostProbe(opts.host);
  const warn = opts.warn ?? (() => {});
  const nsJoin: PlanNsJoin[] = opts.namespaces.map((n, i) => ({
    type: namespaceInfo(n.type, `namespaces[${i}].type`).flag,
    path: n.path,
  }));
  if (opts.userns && !nsJoin.some((n) => n.type === CLONE_NEWUSER)) {
    fail("the container has a user namespace but none is given to join", "namespaces", "pass the container's /proc/<pid>/ns/user");
  }
  const process = buildProcess(proc, {
    path: "process",
    host,
    warn,
    homeRoot: `/proc/${opts.initPid}/root`,
    defaults: opts.defaults,
  });
  const seccomp =
    opts.seccomp === undefined || opts.seccomp === null
      ? undefined
      : seccompProgram(opts.seccomp, warn, { cacheDir: opts.seccompCacheDir });
  const persona = buildPersonality(opts.personality);
  const mempolicy = buildMemoryPolicy(opts.memoryPolicy, () => host.onlineNodes());
  // runtime-spec: for exec'd processes only (not the container's init).
  const affinity = proc.execCPUAffinity as { initial?: unknown; final?: unknown } | undefined;
  const initial = cpuMask(affinity?.initial, "process.execCPUAffinity.initial");
  const final = cpuMask(affinity?.final, "process.execCPUAffinity.final");
  return {
    ...(initial === undefined ? {} : { cpuAffinityInitial: initial }),
    ...(final === undefined ? {} : { cpuAffinityFinal: final }),
    ...(seccomp === undefined ? {} : { seccomp }),
    ...(persona === undefined ? {} : { personality: persona }),
    ...(mempolicy === undefined ? {} : { memoryPolicy: mempolicy }),
    ...(opts.sessionKeyring === undefined ? {} : { sessionKeyring: opts.sessionKeyring }),
    ...(opts.chrootRootfs === undefined ? {} : { rootfs: opts.chrootRootfs }),
    mode: "exec",
    cloneFlags: 0,
    userns: false,
    nsJoin,
    process,
    mounts: [],
    devices: [],
    symlinks: [],
    devptsPtmx: false,
    maskedPaths: [],
    readonlyPaths: [],
    remountReadonly: [],
    sysctl: [],
    hooksSync: false,
    createContainerHooks: [],
    startContainerHooks: [],
    preserveFds: opts.preserveFds,
    listenFds: 0,
    wait: opts.wait && !opts.detach,
    checkExec: true,
    setsid: true, // as runc: an exec'd process leads its own session and process group
    defaultPath: DEFAULT_PATH,
  };
}

/** The session keyring a container's processes join (runc's name for it), at create and for exec. */
export function sessionKeyringName(id: string): string {
  return `_ses.${id}`;
}
