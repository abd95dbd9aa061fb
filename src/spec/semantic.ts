// Semantic checks on a config.json that already matches the schema: the rules
// the schema cannot express (versions, paths, duplicates, cross-field rules),
// following the runtime-spec text and, where it is silent, runc. Each failure is
// a BerthError naming the JSON path; tolerated oddities come back as warnings.

import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { BerthError } from "../errors.js";
import { CAPABILITIES } from "../linux/capabilities.js";
import { RLIMITS } from "../linux/rlimits.js";
import type { Hook, IDMapping, Namespace, NamespaceType, Spec } from "./types.js";

const OP = "validate config.json";

/** Oldest and newest runtime-spec versions berth accepts ([major, minor, patch]; patch of the newest is open). */
export const OCI_VERSION_MIN = [1, 0, 0] as const;
export const OCI_VERSION_MAX_MINOR = [1, 3] as const;

/** The kernel accepts at most this many lines in a uid_map/gid_map. */
export const MAX_ID_MAP_LINES = 340;

const HOOK_KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] as const;
const CAP_SETS = ["bounding", "effective", "inheritable", "permitted", "ambient"] as const;

/** IPC-namespaced sysctls (besides the fs.mqueue.* family), as runc lists them. */
const IPC_SYSCTLS = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);

export interface SemanticOptions {
  /** The config must have a `process` (create/run: yes, the default). */
  requireProcess?: boolean;
  /** Stat root.path and namespace paths on the host (default true; tests of pure rules turn it off). */
  checkHost?: boolean;
}

function fail(path: string, detail: string, hint?: string, extra: { errno?: string; cause?: unknown } = {}): never {
  throw new BerthError(detail, { op: OP, path, hint, ...extra });
}

/**
 * Check the rules the schema cannot express. Throws a BerthError for the first
 * violation; returns warnings for accepted but deprecated or odd settings.
 */
export function checkSemantics(spec: Spec, bundle: string, options: SemanticOptions = {}): string[] {
  const warnings: string[] = [];
  const requireProcess = options.requireProcess ?? true;
  const checkHost = options.checkHost ?? true;

  checkOciVersion(spec.ociVersion);
  checkRoot(spec, bundle, checkHost);
  checkMounts(spec, warnings);
  checkProcess(spec, requireProcess);
  checkCapabilities(spec, warnings);
  checkHooks(spec);
  checkAnnotations(spec);
  const ns = checkNamespaces(spec);
  checkIdMappings(spec, ns);
  checkNamespaceDependents(spec, ns);
  checkDevices(spec);
  checkPathLists(spec);
  checkSysctls(spec, ns, checkHost);
  return warnings;
}

// ---------------------------------------------------------------------------
// ociVersion

/** Parse a SemVer 2.0.0 string into [major, minor, patch]; undefined if it is not one. */
export function parseSemver(v: string): [number, number, number] | undefined {
  const m =
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/.exec(v);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function checkOciVersion(version: string): void {
  const v = parseSemver(version);
  const supported = `${OCI_VERSION_MIN.join(".")} to ${OCI_VERSION_MAX_MINOR.join(".")}.x`;
  if (v === undefined) {
    fail("ociVersion", `"${version}" is not a SemVer version`, `use a runtime-spec version such as "1.2.0" (berth supports ${supported})`);
  }
  const [major, minor, patch] = v;
  const belowMin =
    major < OCI_VERSION_MIN[0] ||
    (major === OCI_VERSION_MIN[0] && (minor < OCI_VERSION_MIN[1] || (minor === OCI_VERSION_MIN[1] && patch < OCI_VERSION_MIN[2])));
  const aboveMax = major > OCI_VERSION_MAX_MINOR[0] || (major === OCI_VERSION_MAX_MINOR[0] && minor > OCI_VERSION_MAX_MINOR[1]);
  if (belowMin || aboveMax) {
    fail("ociVersion", `runtime-spec version "${version}" is not supported`, `berth supports ${supported}`);
  }
}

// ---------------------------------------------------------------------------
// root, mounts

function checkRoot(spec: Spec, bundle: string, checkHost: boolean): void {
  if (spec.root === undefined) {
    fail("root", "is required on Linux", 'add "root": {"path": "rootfs"}');
  }
  const p = spec.root.path;
  if (p === "") fail("root.path", "must not be empty", 'use the root filesystem directory, conventionally "rootfs"');
  if (!checkHost) return;
  const full = resolve(bundle, p);
  let isDir: boolean;
  try {
    isDir = statSync(full).isDirectory();
  } catch (err) {
    const e = BerthError.fromSys(OP, "root.path", err);
    fail(
      "root.path",
      `${JSON.stringify(p)} (${full}): ${e.message.replace(/^.*?: /, "")}`,
      "create the root filesystem directory or fix root.path",
      { errno: e.errno, cause: err },
    );
  }
  if (!isDir)
    fail("root.path", `${JSON.stringify(p)} (${full}) is not a directory`, "root.path must name a directory", { errno: "ENOTDIR" });
}

function checkMounts(spec: Spec, warnings: string[]): void {
  (spec.mounts ?? []).forEach((m, i) => {
    const at = `mounts[${i}]`;
    if (m.destination === "") fail(`${at}.destination`, "must not be empty", "use an absolute path inside the container");
    if (m.destination.includes("\0")) fail(`${at}.destination`, "must not contain NUL bytes");
    if (!m.destination.startsWith("/")) {
      warnings.push(
        `${at}.destination: ${JSON.stringify(m.destination)} is relative; treating it as ${JSON.stringify(`/${m.destination}`)} (deprecated)`,
      );
    }
    if ((m.uidMappings === undefined) !== (m.gidMappings === undefined)) {
      const given = m.uidMappings !== undefined ? "uidMappings" : "gidMappings";
      const other = given === "uidMappings" ? "gidMappings" : "uidMappings";
      fail(`${at}.${given}`, `is set without ${other}`, `an id-mapped mount needs both uidMappings and gidMappings`);
    }
    if (m.uidMappings !== undefined) checkMapList(m.uidMappings, `${at}.uidMappings`);
    if (m.gidMappings !== undefined) checkMapList(m.gidMappings, `${at}.gidMappings`);
  });
}

// ---------------------------------------------------------------------------
// process

function checkProcess(spec: Spec, requireProcess: boolean): void {
  const p = spec.process;
  if (p === undefined) {
    if (requireProcess) fail("process", "is required to create a container", "add a process object with args, cwd and user");
    return;
  }
  if (p.args === undefined || p.args.length === 0) {
    fail("process.args", "must name the program to run (at least one entry)", 'e.g. "args": ["sh"]');
  }
  if (p.args[0] === "") fail("process.args[0]", "must not be empty", "name the program to run");
  if (!p.cwd.startsWith("/")) fail("process.cwd", `${JSON.stringify(p.cwd)} is not an absolute path`, 'use an absolute path such as "/"');
  if (p.user === undefined) fail("process.user", "is required", 'add "user": {"uid": 0, "gid": 0}');
  if (p.user.uid === undefined) fail("process.user.uid", "is required", "set the numeric user id");
  if (p.user.gid === undefined) fail("process.user.gid", "is required", "set the numeric group id");
  (p.env ?? []).forEach((kv, i) => {
    const eq = kv.indexOf("=");
    if (eq < 0) fail(`process.env[${i}]`, `${JSON.stringify(kv)} has no "="`, "write environment entries as NAME=value");
    if (eq === 0) fail(`process.env[${i}]`, `${JSON.stringify(kv)} has an empty name`, "write environment entries as NAME=value");
    if (kv.includes("\0")) fail(`process.env[${i}]`, "must not contain NUL bytes");
  });
  p.args.forEach((a, i) => {
    if (a.includes("\0")) fail(`process.args[${i}]`, "must not contain NUL bytes");
  });
  if (p.oomScoreAdj !== undefined && (p.oomScoreAdj < -1000 || p.oomScoreAdj > 1000)) {
    fail("process.oomScoreAdj", `must be between -1000 and 1000 (got ${p.oomScoreAdj})`);
  }
  checkRlimits(spec);
  checkScheduler(spec);
}

/**
 * config.md: a capability that cannot be mapped to the kernel MUST be logged as
 * a warning, and runtimes SHOULD NOT fail for it. Unknown names are reported
 * here and left out of the sets by the plan builder.
 */
function checkCapabilities(spec: Spec, warnings: string[]): void {
  const caps = spec.process?.capabilities;
  if (caps === undefined) return;
  for (const set of CAP_SETS) {
    (caps[set] ?? []).forEach((name, i) => {
      if (!Object.hasOwn(CAPABILITIES, name)) {
        warnings.push(
          `process.capabilities.${set}[${i}]: unknown capability ${JSON.stringify(name)} ignored; capabilities(7) and \`berth features\` list the known names`,
        );
      }
    });
  }
}

function checkRlimits(spec: Spec): void {
  const seen = new Map<string, number>();
  (spec.process?.rlimits ?? []).forEach((r, i) => {
    const at = `process.rlimits[${i}]`;
    if (!Object.hasOwn(RLIMITS, r.type)) {
      fail(`${at}.type`, `unknown resource limit ${JSON.stringify(r.type)}`, `use one of ${Object.keys(RLIMITS).join(", ")}`);
    }
    const prev = seen.get(r.type);
    if (prev !== undefined) fail(`${at}.type`, `${r.type} is set twice (also process.rlimits[${prev}])`, "keep one entry per limit");
    seen.set(r.type, i);
    if (r.soft > r.hard)
      fail(`${at}.soft`, `soft limit ${r.soft} is above the hard limit ${r.hard}`, "the soft limit must not exceed the hard limit");
  });
}

function checkScheduler(spec: Spec): void {
  const s = spec.process?.scheduler as
    { policy: string; nice?: number; priority?: number; runtime?: number; deadline?: number; period?: number } | undefined;
  if (s === undefined) return;
  if (s.nice !== undefined && (s.nice < -20 || s.nice > 19)) fail("process.scheduler.nice", `must be between -20 and 19 (got ${s.nice})`);
  if ((s.priority ?? 0) !== 0 && s.policy !== "SCHED_FIFO" && s.policy !== "SCHED_RR") {
    fail(
      "process.scheduler.priority",
      `only applies to SCHED_FIFO and SCHED_RR (policy is ${s.policy})`,
      "remove priority or change the policy",
    );
  }
  if (s.policy !== "SCHED_DEADLINE") {
    for (const k of ["runtime", "deadline", "period"] as const) {
      if ((s[k] ?? 0) !== 0)
        fail(`process.scheduler.${k}`, `only applies to SCHED_DEADLINE (policy is ${s.policy})`, `remove ${k} or change the policy`);
    }
  }
}

// ---------------------------------------------------------------------------
// hooks, annotations

function checkHooks(spec: Spec): void {
  if (spec.hooks === undefined) return;
  for (const kind of HOOK_KINDS) {
    const list: Hook[] = spec.hooks[kind] ?? [];
    list.forEach((h, i) => {
      const at = `hooks.${kind}[${i}]`;
      if (!h.path.startsWith("/")) fail(`${at}.path`, `${JSON.stringify(h.path)} is not an absolute path`, "hook paths must be absolute");
      if (h.timeout !== undefined && !(h.timeout > 0)) fail(`${at}.timeout`, `must be greater than zero (got ${h.timeout})`);
    });
  }
}

function checkAnnotations(spec: Spec): void {
  if (spec.annotations !== undefined && Object.hasOwn(spec.annotations, "")) {
    fail("annotations", "keys must not be empty", "give the annotation a name");
  }
}

// ---------------------------------------------------------------------------
// namespaces and id mappings

/** Namespace type → its entry, after the duplicate check. */
type NsIndex = Map<NamespaceType, Namespace>;

function checkNamespaces(spec: Spec): NsIndex {
  const index: NsIndex = new Map();
  const where = new Map<NamespaceType, number>();
  (spec.linux?.namespaces ?? []).forEach((ns, i) => {
    const prev = where.get(ns.type);
    if (prev !== undefined) {
      fail(
        `linux.namespaces[${i}].type`,
        `${JSON.stringify(ns.type)} is listed twice (also linux.namespaces[${prev}])`,
        "list each namespace type once",
      );
    }
    where.set(ns.type, i);
    index.set(ns.type, ns);
    if (ns.path !== undefined && !isAbsolute(ns.path)) {
      fail(
        `linux.namespaces[${i}].path`,
        `${JSON.stringify(ns.path)} is not an absolute path`,
        "use a path such as /proc/<pid>/ns/<type> or a bind-mounted namespace file",
      );
    }
  });
  return index;
}

function checkIdMappings(spec: Spec, ns: NsIndex): void {
  const l = spec.linux;
  const uid = l?.uidMappings;
  const gid = l?.gidMappings;
  const given = (uid !== undefined && uid.length > 0) || (gid !== undefined && gid.length > 0);
  const userns = ns.get("user");
  if (given && userns === undefined) {
    fail(
      uid !== undefined && uid.length > 0 ? "linux.uidMappings" : "linux.gidMappings",
      "user namespace mappings are set, but no user namespace is configured",
      'add {"type": "user"} to linux.namespaces or remove the mappings',
    );
  }
  if (userns !== undefined && userns.path === undefined) {
    if (uid === undefined || uid.length === 0)
      fail("linux.uidMappings", "a new user namespace needs uid mappings", "map at least one container uid to a host uid");
    if (gid === undefined || gid.length === 0)
      fail("linux.gidMappings", "a new user namespace needs gid mappings", "map at least one container gid to a host gid");
  }
  if (uid !== undefined) checkMapList(uid, "linux.uidMappings");
  if (gid !== undefined) checkMapList(gid, "linux.gidMappings");
}

/** Sizes > 0, no 32-bit overflow, no overlapping container or host ranges, at most 340 lines. */
export function checkMapList(maps: readonly IDMapping[], at: string): void {
  if (maps.length > MAX_ID_MAP_LINES) fail(at, `has ${maps.length} entries; the kernel accepts at most ${MAX_ID_MAP_LINES}`);
  maps.forEach((m, i) => {
    if (m.size === 0) fail(`${at}[${i}].size`, "must be greater than zero");
    if (m.containerID + m.size > 2 ** 32) fail(`${at}[${i}]`, "containerID + size runs past 4294967295");
    if (m.hostID + m.size > 2 ** 32) fail(`${at}[${i}]`, "hostID + size runs past 4294967295");
  });
  for (let i = 0; i < maps.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = maps[j]!;
      const b = maps[i]!;
      if (overlaps(a.containerID, a.size, b.containerID, b.size)) {
        fail(
          `${at}[${i}].containerID`,
          `container range ${b.containerID}-${b.containerID + b.size - 1} overlaps ${at}[${j}] (${a.containerID}-${a.containerID + a.size - 1})`,
          "mapped ranges must not overlap",
        );
      }
      if (overlaps(a.hostID, a.size, b.hostID, b.size)) {
        fail(
          `${at}[${i}].hostID`,
          `host range ${b.hostID}-${b.hostID + b.size - 1} overlaps ${at}[${j}] (${a.hostID}-${a.hostID + a.size - 1})`,
          "mapped ranges must not overlap",
        );
      }
    }
  }
}

function overlaps(a: number, asize: number, b: number, bsize: number): boolean {
  return a < b + bsize && b < a + asize;
}

/** Settings that only make sense with a namespace of their own (runc's rules). */
function checkNamespaceDependents(spec: Spec, ns: NsIndex): void {
  if (spec.hostname !== undefined && spec.hostname !== "" && !ns.has("uts")) {
    fail("hostname", "cannot be set without a private UTS namespace", 'add {"type": "uts"} to linux.namespaces');
  }
  if (spec.domainname !== undefined && spec.domainname !== "" && !ns.has("uts")) {
    fail("domainname", "cannot be set without a private UTS namespace", 'add {"type": "uts"} to linux.namespaces');
  }
  const l = spec.linux;
  if (((l?.maskedPaths?.length ?? 0) > 0 || (l?.readonlyPaths?.length ?? 0) > 0) && !ns.has("mount")) {
    fail(
      (l?.maskedPaths?.length ?? 0) > 0 ? "linux.maskedPaths" : "linux.readonlyPaths",
      "needs a private mount namespace",
      'add {"type": "mount"} to linux.namespaces',
    );
  }
  if (l?.timeOffsets !== undefined && !ns.has("time")) {
    fail(
      "linux.timeOffsets",
      "time offsets are set, but no time namespace is configured",
      'add {"type": "time"} to linux.namespaces or remove timeOffsets',
    );
  }
  if (l?.timeOffsets !== undefined && ns.get("time")?.path !== undefined) {
    fail("linux.timeOffsets", "cannot be applied when joining an existing time namespace", "remove timeOffsets or the time namespace path");
  }
}

// ---------------------------------------------------------------------------
// devices, masked/readonly paths

function checkDevices(spec: Spec): void {
  (spec.linux?.devices ?? []).forEach((d, i) => {
    const at = `linux.devices[${i}]`;
    if (!d.path.startsWith("/"))
      fail(`${at}.path`, `${JSON.stringify(d.path)} is not an absolute path`, "give the full path inside the container, e.g. /dev/fuse");
    // Engines (podman) send the whole st_mode, file type bits included: only the permission
    // bits are used, as runc does. More than a mode holds cannot be made.
    if (d.fileMode !== undefined && d.fileMode > 0o177777) {
      fail(
        `${at}.fileMode`,
        `${d.fileMode} (0o${d.fileMode.toString(8)}) is not a file mode`,
        "give the permission bits, e.g. 0o666 (438)",
      );
    }
    if (d.type !== "p") {
      if (d.major === undefined) fail(`${at}.major`, `is required for a device of type "${d.type}"`);
      if (d.minor === undefined) fail(`${at}.minor`, `is required for a device of type "${d.type}"`);
    }
  });
}

function checkPathLists(spec: Spec): void {
  for (const key of ["maskedPaths", "readonlyPaths"] as const) {
    (spec.linux?.[key] ?? []).forEach((p, i) => {
      if (!p.startsWith("/"))
        fail(`linux.${key}[${i}]`, `${JSON.stringify(p)} is not an absolute path`, "use an absolute path inside the container");
    });
  }
}

// ---------------------------------------------------------------------------
// sysctl

/**
 * Normalise a sysctl key to dotted form. A key whose first separator is "/" uses
 * slashes between components (and dots inside them, e.g. interface names):
 * "net/ipv4/conf/eth0.100/rp_filter" → "net.ipv4.conf.eth0/100.rp_filter".
 */
export function sysctlDotted(key: string): string {
  const first = key.search(/[./]/);
  if (first < 0 || key[first] === ".") return key;
  return key.replace(/[./]/g, (c) => (c === "." ? "/" : "."));
}

/** Path below /proc/sys for a sysctl key ("net.ipv4.ip_forward" → "net/ipv4/ip_forward"). */
export function sysctlProcPath(key: string): string {
  return sysctlDotted(key).replace(/[./]/g, (c) => (c === "." ? "/" : "."));
}

function checkSysctlKey(key: string): void {
  const at = `linux.sysctl[${JSON.stringify(key)}]`;
  const hint = 'write keys such as "net.ipv4.ip_forward"';
  if (key === "") fail("linux.sysctl", "has an empty key", hint);
  if (!/^[A-Za-z0-9_.:@+/-]+$/.test(key)) fail(at, "the key contains characters a sysctl name cannot have", hint);
  const parts = sysctlProcPath(key).split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) fail(at, 'the key has an empty, "." or ".." component', hint);
}

function checkSysctls(spec: Spec, ns: NsIndex, checkHost: boolean): void {
  const sysctl = spec.linux?.sysctl;
  if (sysctl === undefined) return;
  let hostNet: boolean | undefined;
  for (const key of Object.keys(sysctl)) {
    checkSysctlKey(key);
    const at = `linux.sysctl[${JSON.stringify(key)}]`;
    const s = sysctlDotted(key);
    if (IPC_SYSCTLS.has(s) || s.startsWith("fs.mqueue.")) {
      if (!ns.has("ipc")) fail(at, `${s} is not allowed in the host's IPC namespace`, 'add {"type": "ipc"} to linux.namespaces');
      continue;
    }
    if (s.startsWith("net.")) {
      hostNet ??= isHostNetwork(ns, checkHost);
      if (hostNet) fail(at, `${s} is not allowed in the host's network namespace`, 'add {"type": "network"} to linux.namespaces');
      continue;
    }
    if (ns.has("uts")) {
      if (s === "kernel.domainname") continue;
      if (s === "kernel.hostname") fail(at, 'kernel.hostname conflicts with the "hostname" field', "set hostname instead");
    }
    fail(at, `${s} is not namespaced; setting it would change the host`, "remove it, or set it on the host instead");
  }
}

function isHostNetwork(ns: NsIndex, checkHost: boolean): boolean {
  const net = ns.get("network");
  if (net === undefined) return true;
  if (net.path === undefined || !checkHost) return false;
  try {
    const mine = statSync("/proc/self/ns/net");
    const theirs = statSync(net.path);
    return mine.dev === theirs.dev && mine.ino === theirs.ino;
  } catch (err) {
    throw BerthError.fromSys(OP, net.path, err, "linux.namespaces: the network namespace path must exist");
  }
}

// ---------------------------------------------------------------------------
// container id

/**
 * Check a container ID the way runc does: letters, digits and `_ + . -`, and not
 * "." or "..". Throws a BerthError with runc's "invalid container ID format".
 */
export function validateContainerId(id: string): void {
  const hint = "use letters, digits and _ + . - (for example my-container.1)";
  if (id === "") {
    throw new BerthError("invalid container ID format: the ID is empty", { op: "check container id", path: "<container-id>", hint });
  }
  if (!/^[A-Za-z0-9_+.-]+$/.test(id) || id === "." || id === "..") {
    throw new BerthError("invalid container ID format", { op: "check container id", path: JSON.stringify(id), hint });
  }
}
