// The on-disk state of containers: <root>/<id>/state.json (+ exec.fifo while
// the container is `created`, and seccomp.json when its config has linux.seccomp). The id directory is created with one atomic
// mkdir, so two concurrent creates of one id have exactly one winner. Writes go
// to a temp file and are renamed into place. Status is derived, never stored.

import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
  existsSync,
} from "node:fs";
import { join } from "node:path";
import { BerthError, isErrno } from "../errors.js";
import type { Spec, OciState } from "../spec/types.js";
import type { CgroupState } from "../linux/cgroups/types.js";
import { xdgStateRoot } from "../linux/userns.js";
import { isAlive } from "./procfs.js";
import type { RdtPlacement } from "../linux/resctrl.js";

export const OCI_VERSION = "1.3.0";
export const STATE_FILE = "state.json";
export const FIFO_FILE = "exec.fifo";
export const SECCOMP_FILE = "seccomp.json";

/** Everything later commands need, so they never re-read the bundle. */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  bundle: string;
  rootfs: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat when the container was created. */
  initStartTime: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /** The validated config.json as it was at create time. */
  config: Spec;
  cgroup: CgroupState;
  /** Namespace type (spec name) → path to join for exec. */
  namespaces: Record<string, string>;
  systemdCgroup: boolean;
  /** Without a mount namespace: mounts on/below rootfs whose ids are not in keep are the container's. */
  hostMounts?: { rootfs: string; keep: number[] };
  /** Created with --no-new-keyring: exec'd processes keep the caller's session keyring too. */
  noNewKeyring?: boolean;
  /** linux.intelRdt: the resctrl groups its processes are in (exec joins them, delete removes berth's). */
  intelRdt?: RdtPlacement;
  /**
   * Written once the cgroups exist (pid 0) and again when the container's pid is known,
   * before create finishes: a create that dies half-way leaves a record that
   * `delete --force` can act on.
   */
  creating?: boolean;
  /** The berth process making the container (pid and start time): while pid is 0, whether the create still runs. */
  creator?: { pid: number; startTime: string };
  /** config.linux.seccomp is in seccomp.json, not in state.json (see saveRecord). */
  seccompFile?: true;
}

export type Status = OciState["status"];

/** /run/berth, or $XDG_RUNTIME_DIR/berth for a rootless caller (runc's rule, see xdgStateRoot). */
export function defaultRoot(): string {
  return xdgStateRoot() ?? "/run/berth";
}

export function containerDir(root: string, id: string): string {
  return join(root, id);
}

/**
 * Create the state root 0700, or tighten an existing one of ours to 0700: other users
 * must not reach the containers' fifos and state. A sticky directory (a shared one such
 * as /tmp) or one owned by someone else is left as it is. The default root under
 * $XDG_RUNTIME_DIR gets the sticky bit too, as runc's: the XDG base directory spec
 * lets a session manager prune files there that lack it.
 */
export function ensureRoot(root: string): void {
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const st = statSync(root);
    const uid = process.geteuid?.() ?? 0;
    if (root === xdgStateRoot() && st.uid === uid && (st.mode & 0o7777) !== 0o1700) chmodSync(root, 0o1700);
    else if ((st.mode & 0o077) !== 0 && (st.mode & 0o1000) === 0 && st.uid === uid) chmodSync(root, 0o700);
  } catch (err) {
    throw BerthError.fromSys("create state root", root, err, "check --root");
  }
}

/** Atomically claim <root>/<id>; throws runc's "already exists" error if taken. */
export function claimContainerDir(root: string, id: string): string {
  ensureRoot(root);
  const dir = containerDir(root, id);
  try {
    mkdirSync(dir, { mode: 0o711 });
  } catch (err) {
    if (isErrno(err, "EEXIST")) {
      throw new BerthError(`container with id ${id} already exists`, {
        op: "create",
        path: dir,
        errno: "EEXIST",
        hint: "choose another id or delete the existing container",
      });
    }
    throw BerthError.fromSys("create container directory", dir, err);
  }
  return dir;
}

export function removeContainerDir(root: string, id: string): void {
  const dir = containerDir(root, id);
  // The usual content is known: remove it directly; anything else falls back to a recursive remove.
  try {
    for (const f of [STATE_FILE, FIFO_FILE, SECCOMP_FILE]) {
      // Looked for first: the fifo is usually gone (start removed it), the profile often absent,
      // and an exception costs a delete more than the stat.
      const path = join(dir, f);
      if (!existsSync(path)) continue;
      try {
        unlinkSync(path);
      } catch (err) {
        if (!isErrno(err, "ENOENT")) throw err;
      }
    }
    rmdirSync(dir);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Write a file atomically: temp file in the same directory, rename. `durable`
 * also fsyncs first (the pid file, which callers keep on disk; runc writes it
 * O_SYNC); state lives under /run, where a crash loses it anyway.
 */
export function writeFileAtomic(path: string, data: string, mode = 0o644, durable = true): void {
  const slash = path.lastIndexOf("/");
  const tmp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${process.pid}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", mode);
    writeSync(fd, data);
    if (durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw BerthError.fromSys("write", path, err);
  }
}

/**
 * Write state.json. A config's linux.seccomp goes to seccomp.json instead, written once: an
 * engine's default profile is most of the config, and only exec needs it, while the commands
 * engines call for every container (start, kill, delete, state) parse the record each time.
 */
export function saveRecord(root: string, rec: ContainerRecord): void {
  const dir = containerDir(root, rec.id);
  const linux = rec.config.linux;
  let stored = rec;
  if (linux?.seccomp !== undefined && linux.seccomp !== null) {
    const file = join(dir, SECCOMP_FILE);
    if (!existsSync(file)) writeFileAtomic(file, JSON.stringify(linux.seccomp), 0o600, false);
    const rest = { ...linux };
    delete rest.seccomp;
    stored = { ...rec, config: { ...rec.config, linux: rest }, seccompFile: true };
  }
  writeFileAtomic(join(dir, STATE_FILE), JSON.stringify(stored), 0o600, false);
}

/**
 * The container's linux.seccomp, which exec applies to its process: from seccomp.json, or
 * from state.json for a record written before it moved out. A record that says the file
 * exists and a file that cannot be read is an error, never a process without the filter.
 */
export function loadSeccomp(root: string, rec: ContainerRecord): unknown {
  if (rec.seccompFile !== true) return rec.config.linux?.seccomp;
  const file = join(containerDir(root, rec.id), SECCOMP_FILE);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as unknown;
  } catch (err) {
    throw BerthError.fromSys(
      "load seccomp profile",
      file,
      err,
      "the container's seccomp profile is gone or damaged; delete the container and create it again",
    );
  }
}

export function notExist(id: string): BerthError {
  return new BerthError("container does not exist", {
    op: "load",
    path: id,
    errno: "ENOENT",
    hint: "see `berth list` for the containers under this --root",
  });
}

/** Load a container's record; throws runc's "does not exist" error. */
export function loadRecord(root: string, id: string): ContainerRecord {
  if (id === "" || id.includes("/") || id === "." || id === "..") throw notExist(id);
  let text: string;
  try {
    text = readFileSync(join(containerDir(root, id), STATE_FILE), "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) throw notExist(id);
    throw BerthError.fromSys("read state", join(containerDir(root, id), STATE_FILE), err);
  }
  try {
    return JSON.parse(text) as ContainerRecord;
  } catch (err) {
    throw new BerthError("state file is corrupt", {
      op: "load",
      path: join(containerDir(root, id), STATE_FILE),
      cause: err,
      hint: "remove it with `berth delete --force`",
    });
  }
}

/** Derive the status from the world: init liveness (pid + start time), freezer, exec fifo. */
export function deriveStatus(root: string, rec: ContainerRecord, frozen?: () => boolean): Status {
  // pid 0: cgroups made, berth-init not started yet; or a create that died then, which made
  // no process: stopped, so that a plain `delete` removes what it left.
  if (rec.creating === true && rec.pid === 0) {
    return rec.creator !== undefined && !isAlive(rec.creator.pid, rec.creator.startTime) ? "stopped" : "creating";
  }
  if (!isAlive(rec.pid, rec.initStartTime)) return "stopped";
  if (rec.creating === true) return "creating";
  if (frozen !== undefined && frozen()) return "paused";
  if (existsSync(join(containerDir(root, rec.id), FIFO_FILE))) return "created";
  return "running";
}

/** The state document `berth state` prints: the spec's fields plus runc's extras. */
export function ociState(rec: ContainerRecord, status: Status): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ociVersion: rec.ociVersion,
    id: rec.id,
    pid: status === "stopped" ? 0 : rec.pid,
    status,
    bundle: rec.bundle,
    rootfs: rec.rootfs,
    created: rec.created,
    owner: rec.owner,
  };
  if (rec.annotations !== undefined && Object.keys(rec.annotations).length > 0) out.annotations = rec.annotations;
  return out;
}

/** The state given to hooks on stdin (runtime.md "State"). */
export function hookState(rec: { id: string; bundle: string; annotations?: Record<string, string> }, status: Status, pid?: number): string {
  return JSON.stringify(specState(rec, status, pid));
}

/** runtime-spec's state of a container (runtime.md "State"), as hooks and seccomp agents get it. */
export function specState(
  rec: { id: string; bundle: string; annotations?: Record<string, string> },
  status: Status,
  pid?: number,
): Record<string, unknown> {
  const s: Record<string, unknown> = { ociVersion: OCI_VERSION, id: rec.id, status };
  if (pid !== undefined && pid > 0) s.pid = pid;
  s.bundle = rec.bundle;
  s.annotations = rec.annotations ?? {};
  return s;
}

/** Where compiled seccomp programs are cached: "@" cannot be part of a container id. */
export function seccompCacheDir(root: string): string {
  return join(root, "@seccomp-cache");
}

/** Ids of every container directory under root that has a state file. */
export function listIds(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw BerthError.fromSys("list", root, err);
  }
  return names
    .filter((n) => {
      try {
        return statSync(join(root, n, STATE_FILE)).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

/** RFC 3339 UTC time with nanoseconds, as runc writes `created` (UTC methods only: no time zone lookup). */
export function rfc3339Nano(d = new Date(), nanos?: bigint): string {
  const ns = nanos ?? process.hrtime.bigint() % 1_000_000_000n;
  const base = d.toISOString().slice(0, 19);
  const frac = (BigInt(d.getUTCMilliseconds()) * 1_000_000n + (ns % 1_000_000n)).toString().padStart(9, "0");
  return `${base}.${frac}Z`;
}
