// criu(8), as checkpoint and restore drive it: finding the binary, `criu check`
// before touching a container, the command lines (the options runc passes to
// criu through its RPC, here on criu's command line) and criu's errors, read
// from its log. The argument builders are pure, so they are tested without criu.

import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { release } from "node:os";
import { join, posix, resolve } from "node:path";
import { BerthError } from "../errors.js";
import type { Spec } from "../spec/types.js";
import type { CgroupState } from "../linux/cgroups/types.js";
import type { CgroupLayout } from "../linux/cgroups/detect.js";
import { cgroupMounts } from "./cgroupMounts.js";
import { fsMount } from "./plan.js";

/** The init process's stdio paths (readlink of /proc/<pid>/fd/0..2), as runc names the file. */
export const DESCRIPTORS_FILE = "descriptors.json";
export const DUMP_LOG = "dump.log";
/** berth's own file beside the images of a container with a terminal: criu's key of its pty. */
export const TERMINAL_FILE = "berth-terminal.json";
/** The fd (in criu) of the new pty's slave on restore. */
export const TTY_FD = 4;
export const RESTORE_LOG = "restore.log";

/** The criu options both commands share (runc's flags of the same names). */
export interface CriuFlags {
  tcpEstablished: boolean;
  extUnixSk: boolean;
  shellJob: boolean;
  fileLocks: boolean;
  autoDedup: boolean;
  manageCgroupsMode?: "soft" | "full" | "strict" | "ignore";
  /** --empty-ns values; only "network", which criu gets anyway. */
  emptyNs: string[];
}

/**
 * --empty-ns: runc accepts only "network", and passes criu an empty network namespace
 * whether it is given or not (runc does not manage network devices, so criu neither saves
 * nor restores their configuration).
 */
export function checkEmptyNs(values: readonly string[], op: string): void {
  for (const v of values) {
    if (v !== "network")
      throw new BerthError(`namespace "${v}" is not supported`, { op, path: "--empty-ns", hint: "criu supports --empty-ns network only" });
  }
}

/** The criu binary: --criu, else criu on PATH (criu lives in /usr/sbin). */
export function findCriu(given: string | undefined, op: string): string {
  if (given !== undefined && given !== "") {
    try {
      accessSync(given, constants.X_OK);
    } catch (err) {
      throw BerthError.fromSys(op, given, err, "--criu must name the criu executable");
    }
    return given;
  }
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/sbin", "/usr/local/sbin"];
  for (const d of dirs) {
    if (d === "") continue;
    const p = join(d, "criu");
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  throw new BerthError("criu is not installed", {
    op,
    path: "criu",
    errno: "ENOENT",
    hint: "apt-get install criu, or name it with --criu",
  });
}

/**
 * `criu check`: a criu that cannot work on this kernel fails here, before the container is
 * touched. The error carries what criu printed (its last lines are the reason).
 */
export function checkCriu(criu: string, op: string): void {
  const r = spawnSync(criu, ["check"], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
  if (r.status === 0) return;
  const printed = `${r.stdout ?? ""}${r.stderr ?? ""}`
    .trim()
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-4)
    .join(" | ");
  const why = r.error !== undefined ? r.error.message : printed === "" ? `exit status ${r.status ?? r.signal}` : printed;
  throw new BerthError(`criu cannot checkpoint or restore on this kernel (Linux ${release()}): \`criu check\` failed: ${why}`, {
    op,
    path: criu,
    hint: "the container was left as it was; this criu does not support this kernel (see `criu check --all`): use a kernel criu supports, or a newer criu with --criu",
  });
}

/** Run criu with args; on failure, a BerthError with the errors from its log. */
export function runCriu(criu: string, args: string[], op: string, logPath: string): void {
  const r = spawnSync(criu, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status === 0) return;
  throw criuFailed(op, logPath, r.error?.message ?? (`${r.stderr ?? ""}`.trim() || `exit status ${r.status ?? r.signal}`));
}

/** criu's failure: the last Error lines of its log (the first one is usually the cause). */
export function criuFailed(op: string, logPath: string, fallback: string): BerthError {
  let lines: string[] = [];
  try {
    lines = readFileSync(logPath, "utf8")
      .split("\n")
      .filter((l) => /Error|error/.test(l))
      .slice(-4)
      .map((l) => l.replace(/^\(\d+\.\d+\)\s*/, "").trim());
  } catch {
    /* no log */
  }
  const detail = lines.length > 0 ? lines.join(" | ") : fallback;
  return new BerthError(`criu ${op === "checkpoint" ? "dump" : "restore"} failed: ${detail}`, {
    op,
    path: logPath,
    hint: `see the whole log in ${logPath}`,
  });
}

/** Options common to dump and restore. */
function commonArgs(f: CriuFlags, images: string, work: string | undefined, log: string): string[] {
  const a = ["-D", images, "-v4", "--log-file", log];
  if (work !== undefined) a.push("-W", work);
  a.push(`--manage-cgroups=${f.manageCgroupsMode ?? "soft"}`);
  if (f.tcpEstablished) a.push("--tcp-established");
  if (f.extUnixSk) a.push("--ext-unix-sk");
  if (f.shellJob) a.push("--shell-job");
  if (f.fileLocks) a.push("--file-locks");
  if (f.autoDedup) a.push("--auto-dedup");
  a.push("--empty-ns", "net");
  return a;
}

/** The bundle's bind mounts, which criu cannot dump (their sources are outside the container): destination → host source. */
export function bindMounts(spec: Spec, bundle: string): { destination: string; source: string }[] {
  const out: { destination: string; source: string }[] = [];
  for (const m of spec.mounts ?? []) {
    const bind = m.type === "bind" || (m.options ?? []).some((o) => o === "bind" || o === "rbind");
    if (!bind || m.source === undefined || m.source === "") continue;
    out.push({ destination: posix.resolve("/", m.destination), source: resolve(bundle, m.source) });
  }
  return out;
}

/**
 * The binds the config's `cgroup` mounts become inside the container (cgroupMounts.ts): on
 * cgroup v1 and hybrid hosts a bind of the container's directory of each hierarchy (without a
 * cgroup namespace), on v2 in a user namespace the cgroup2 directory. Their sources are the
 * host's cgroup directories, slaves of the host's mounts, which criu cannot dump ("unreachable
 * sharing"); as runc, they are external mounts keyed by destination, reconnected on restore to
 * the restored container's own directories (`state`).
 */
export function cgroupBinds(spec: Spec, state: CgroupState, layout: CgroupLayout): { destination: string; source: string }[] {
  const ns = spec.linux?.namespaces ?? [];
  const cgroupns = ns.some((n) => n.type === "cgroup");
  const userns = ns.some((n) => n.type === "user");
  const out: { destination: string; source: string }[] = [];
  for (const m of spec.mounts ?? []) {
    if (m.type !== "cgroup") continue;
    const pm = fsMount({ source: m.source ?? "cgroup", destination: posix.resolve("/", m.destination), fstype: "cgroup", cgroup: true });
    for (const x of cgroupMounts(pm, state, layout, cgroupns, userns).mounts) {
      if (x.bind) out.push({ destination: x.destination, source: x.source });
    }
  }
  return out;
}

export interface DumpArgs extends CriuFlags {
  pid: number;
  rootfs: string;
  images: string;
  work?: string;
  preDump: boolean;
  leaveRunning: boolean;
  parentPath?: string;
  tcpSkipInFlight: boolean;
  linkRemap: boolean;
  pageServer?: string;
  /** The cgroup criu freezes the container with (cgroup2 directory or the v1 freezer's). */
  freezeCgroup?: string;
  binds: { destination: string }[];
  /** Inode of a network namespace the container joined (linux.namespaces[].path): external to the image. */
  externalNetNs?: number;
  /** criu's key of the container's pty ("tty[rdev:dev]"): external to the image. */
  ttyKey?: string;
}

export function dumpArgs(o: DumpArgs): string[] {
  const a = [o.preDump ? "pre-dump" : "dump", "-t", String(o.pid), "--root", o.rootfs, ...commonArgs(o, o.images, o.work, DUMP_LOG)];
  if (o.leaveRunning && !o.preDump) a.push("--leave-running");
  if (o.parentPath !== undefined) a.push("--prev-images-dir", o.parentPath, "--track-mem");
  else if (o.preDump) a.push("--track-mem");
  if (o.tcpSkipInFlight) a.push("--skip-in-flight");
  if (o.linkRemap) a.push("--link-remap");
  if (o.pageServer !== undefined) {
    const i = o.pageServer.lastIndexOf(":");
    if (i <= 0 || !/^\d+$/.test(o.pageServer.slice(i + 1))) {
      throw new BerthError("page server must be ADDRESS:PORT", {
        op: "checkpoint",
        path: "--page-server",
        hint: "e.g. --page-server 192.0.2.1:27",
      });
    }
    a.push("--page-server", "--address", o.pageServer.slice(0, i), "--port", o.pageServer.slice(i + 1));
  }
  if (o.freezeCgroup !== undefined) a.push("--freeze-cgroup", o.freezeCgroup);
  if (!o.preDump) {
    // runc's keys: the mount's destination names it in the image.
    for (const b of o.binds) a.push("--external", `mnt[${b.destination}]:${b.destination}`);
    if (o.externalNetNs !== undefined) a.push("--external", `net[${o.externalNetNs}]:extRootNetNS`);
    if (o.ttyKey !== undefined) a.push("--external", o.ttyKey);
  }
  return a;
}

export interface RestoreArgs extends CriuFlags {
  root: string;
  images: string;
  work?: string;
  pidFile: string;
  cgroupRoots: string[];
  binds: { destination: string; source: string }[];
  /** stdio entries of descriptors.json that are pipes: criu's fd i takes their place. */
  descriptors: string[];
  /** The fd (in criu) of a network namespace to restore into. */
  netNsFd?: number;
  lsmProfile?: string;
  lsmMountContext?: string;
  /** criu's --action-script: the notifications berth acts on (criuNotify.ts). */
  actionScript?: string;
  /** The pty's key from the checkpoint: the new pty's slave (criu's fd TTY_FD) takes its place. */
  ttyKey?: string;
}

export function restoreArgs(o: RestoreArgs): string[] {
  const a = ["restore", "--root", o.root, ...commonArgs(o, o.images, o.work, RESTORE_LOG)];
  a.push("--restore-detached", "--restore-sibling", "--pidfile", o.pidFile, "--evasive-devices");
  for (const r of o.cgroupRoots) a.push("--cgroup-root", r);
  for (const b of o.binds) a.push("--external", `mnt[${b.destination}]:${b.source}`);
  o.descriptors.forEach((d, i) => {
    if (d.includes("pipe:")) a.push("--inherit-fd", `fd[${i}]:${d}`);
  });
  if (o.netNsFd !== undefined) a.push("--inherit-fd", `fd[${o.netNsFd}]:extRootNetNS`);
  if (o.lsmProfile !== undefined) a.push("--lsm-profile", o.lsmProfile);
  if (o.lsmMountContext !== undefined) a.push("--lsm-mount-context", o.lsmMountContext);
  if (o.actionScript !== undefined) a.push("--action-script", o.actionScript);
  if (o.ttyKey !== undefined) a.push("--inherit-fd", `fd[${TTY_FD}]:${o.ttyKey}`);
  return a;
}

/**
 * criu's --cgroup-root values that put the restored processes into the container's new
 * cgroups: the cgroup2 directory relative to its mount (no controller: every one; on a
 * hybrid host the cgroup2 mount at unified/, else the restored tasks would stay in the
 * dumped container's cgroup2 directory, which criu makes again), and on v1 each
 * controller's directory relative to its hierarchy.
 */
export function cgroupRoots(state: CgroupState): string[] {
  const out: string[] = [];
  for (const [key, abs] of Object.entries(state.paths)) {
    if (key === "unified") {
      // cgroup2 has no controller name for criu: its root is the default one (every
      // hierarchy not named), which on a hybrid host is the cgroup2 mount at unified/.
      const mount = state.layout === "v2" ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
      if (abs.startsWith(`${mount}/`) || abs === mount) out.push(abs.slice(mount.length) || "/");
      continue;
    }
    const m = /^\/sys\/fs\/cgroup\/([^/]+)(\/.*)?$/.exec(abs);
    if (m === null) continue;
    out.push(`${key}:${m[2] ?? "/"}`);
  }
  return out;
}

/** descriptors.json: a JSON array of strings. */
export function parseDescriptors(text: string, path: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new BerthError("descriptors.json is not JSON", {
      op: "restore",
      path,
      cause: err,
      hint: "is --image-path a checkpoint made by `berth checkpoint` or runc?",
    });
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new BerthError("descriptors.json must be an array of strings", {
      op: "restore",
      path,
      hint: "is --image-path a checkpoint made by `berth checkpoint` or runc?",
    });
  }
  return v as string[];
}

/** criu's key of a tty: its st_rdev and st_dev in hex (criu's tty.c). */
export function ttyKey(rdev: number, dev: number): string {
  return `tty[${rdev.toString(16)}:${dev.toString(16)}]`;
}

const PTY_SLAVE_MAJORS = [136, 137, 138, 139, 140, 141, 142, 143];

/** Whether a character device number (glibc's encoding, as stat gives it) is a pty slave. */
export function isPtySlave(rdev: number): boolean {
  const major = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  return PTY_SLAVE_MAJORS.includes(major);
}

/** The key of berth-terminal.json, checked. */
export function parseTerminalFile(text: string, path: string): string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new BerthError(`${TERMINAL_FILE} is not JSON`, { op: "restore", path, cause: err });
  }
  const key = (v as { tty?: unknown } | null)?.tty;
  if (typeof key !== "string" || !/^tty\[[0-9a-f]+:[0-9a-f]+\]$/.test(key)) {
    throw new BerthError(`${TERMINAL_FILE} must hold {"tty": "tty[RDEV:DEV]"}`, { op: "restore", path });
  }
  return key;
}
