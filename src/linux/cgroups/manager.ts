// The cgroupfs manager: creates the container's cgroup in every hierarchy, moves
// processes into it, signals everything in it and removes what berth created.
//
// Ownership rule: create() records only the directories it made. A cgroup that
// already existed (for example one parent shared by several containers, or a leaf
// an administrator prepared) is joined and never removed; and when the container's
// own leaf directory pre-existed everywhere, destroy() does not kill what is in it
// either, because those processes may belong to someone else.
//
// Resource limits (linux.resources) are written by apply(); see resources.ts.

import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { BerthError, isErrno } from "../../errors.js";
import type { Resources } from "../../spec/types.js";
import { detectCgroupLayout, UNIFIED, type Hierarchy } from "./detect.js";
import { childCgroups, readPids, sleep, writeCgroupFile } from "./files.js";
import type { CgroupManager, CgroupState } from "./types.js";
import { SystemdCgroupManager } from "./systemd.js";
import { checkMigration } from "./delegation.js";
import { parseProcCgroup } from "./paths.js";
import { freezerOf, isFrozen, type Freezer } from "./freezer.js";
import { freezerState, freezeV1, initCpuset, thawV1 } from "./v1.js";
import { freezeV2, hasCgroupFreeze, hasCgroupKill, isFrozenV2, killV2, thawV2 } from "./v2.js";

export type { CgroupManager, CgroupState } from "./types.js";

/** How long destroy() waits for the cgroup to empty after SIGKILL. */
const DESTROY_WAIT_MS = 5000;
/** How long destroy() retries rmdir of the container's own directory on EBUSY. */
const RMDIR_RETRY_MS = 1000;

function isKillSignal(sig: NodeJS.Signals | number): boolean {
  return sig === "SIGKILL" || sig === 9;
}

/** EACCES, EPERM or EROFS: what a caller without rights on cgroupfs meets (runc's "ignorable" errors). */
function isPermissionError(err: unknown): boolean {
  const code = err instanceof BerthError ? err.errno : (err as NodeJS.ErrnoException)?.code;
  return code === "EACCES" || code === "EPERM" || code === "EROFS";
}

function rmdirQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // best effort: the error being reported is what matters
  }
}

/** How deep a path is: its count of "/" (counted, not split: a delete sorts every directory it removes). */
function depth(p: string): number {
  let n = 0;
  for (let i = p.indexOf("/"); i >= 0; i = p.indexOf("/", i + 1)) n++;
  return n;
}

export class FsCgroupManager implements CgroupManager {
  readonly state: CgroupState;
  private hierarchies: Record<string, Hierarchy> | undefined;

  /** linux.cgroupsPath was given: a rootless permission error is then an error. */
  private readonly explicitPath: boolean;

  constructor(state: CgroupState, hierarchies?: Record<string, Hierarchy>, opts: { explicitPath?: boolean } = {}) {
    this.state = state;
    this.hierarchies = hierarchies;
    this.explicitPath = opts.explicitPath === true;
  }

  /** Distinct directories (comounted controllers share one) with the keys that use them. */
  private dirs(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [key, dir] of Object.entries(this.state.paths)) {
      const keys = out.get(dir);
      if (keys === undefined) out.set(dir, [key]);
      else keys.push(key);
    }
    return out;
  }

  private mountOf(key: string): string {
    this.hierarchies ??= detectCgroupLayout().hierarchies;
    const h = this.hierarchies[key];
    if (h === undefined) {
      throw new BerthError(`the ${key} hierarchy is not mounted`, {
        op: "create cgroup",
        path: this.state.paths[key],
        hint: "mount it, or create the container on the host it was created on",
      });
    }
    return h.mountPoint;
  }

  create(): void {
    const made: string[] = [];
    try {
      for (const [dir, keys] of this.dirs()) {
        const mark = made.length;
        try {
          this.makeDir(dir, keys, made);
        } catch (err) {
          if (!this.skippable(err)) throw err;
          // runc's rootless rule: no cgroup in this hierarchy, unless a limit needs it (apply says so).
          for (const d of made.splice(mark).reverse()) rmdirQuiet(d);
          for (const k of keys) delete this.state.paths[k];
          this.state.skipped = [...(this.state.skipped ?? []), ...keys];
        }
      }
    } catch (err) {
      for (const d of made.reverse()) rmdirQuiet(d);
      const rootless = this.state.rootless === true && isPermissionError(err);
      throw BerthError.fromSys(
        "create cgroup",
        (err as { path?: string })?.path,
        err,
        rootless
          ? "a rootless container's linux.cgroupsPath must name a cgroup its user may write (one delegated to it); or remove linux.cgroupsPath to run without a cgroup where none is writable"
          : "check linux.cgroupsPath and that cgroupfs is writable by root",
      );
    }
    for (const d of made) if (!this.state.created.includes(d)) this.state.created.push(d);
  }

  /** mkdir the directories from the hierarchy's mount down to `dir`; rootless: check that it can be joined. */
  private makeDir(dir: string, keys: string[], made: string[]): void {
    const mount = this.mountOf(keys[0]!);
    const rel = relative(mount, dir);
    if (rel.startsWith("..")) {
      throw new BerthError(`${dir} is outside the hierarchy mounted at ${mount}`, {
        op: "create cgroup",
        path: "linux.cgroupsPath",
      });
    }
    let cur = mount;
    for (const part of rel === "" ? [] : rel.split("/")) {
      cur = join(cur, part);
      try {
        mkdirSync(cur, 0o755);
        made.push(cur);
      } catch (err) {
        if (!isErrno(err, "EEXIST")) throw err;
        if (!statSync(cur).isDirectory()) {
          throw new BerthError("exists and is not a directory", { op: "create cgroup", path: cur, errno: "ENOTDIR" });
        }
      }
    }
    // root may write any cgroup.procs; a rootless caller only those of cgroups delegated to it,
    // and on cgroup2 the common ancestor's with its own cgroup too (berth-init moves there from
    // berth's). Under systemd the unit's manager puts the process in, not berth.
    if (this.state.rootless === true) {
      const own =
        keys.includes(UNIFIED) && this.state.systemd === undefined ? ownCgroup2(mount, this.hierarchies?.[UNIFIED]?.root) : undefined;
      if (own !== undefined) checkMigration(own, dir);
      else accessSync(join(dir, "cgroup.procs"), constants.W_OK);
    }
    if (keys.includes("cpuset")) initCpuset(mount, dir);
  }

  /** A permission error that rootless mode tolerates: only without an explicit linux.cgroupsPath (runc). */
  private skippable(err: unknown): boolean {
    return this.state.rootless === true && !this.explicitPath && isPermissionError(err);
  }

  // Writing limits is create's and update's work: its code loads only then.
  async apply(resources: Resources | undefined, opts: { update?: boolean; warn?: (msg: string) => void } = {}): Promise<void> {
    const { applyResources } = await import("./resources.js");
    applyResources(this.state, resources, (key) => this.mountOf(key), opts);
    // berth update leaves devices out of its patch, as runc does.
    if (resources?.devices !== undefined) {
      const { applyDevices } = await import("./devices.js");
      try {
        applyDevices(this.state, resources.devices, opts);
      } catch (err) {
        // As runc: a rootless container's device rules are not expected to work (writing
        // them needs CAP_SYS_ADMIN on the host); its devices are bind mounts of the host's.
        if (this.state.rootless !== true) throw err;
      }
    }
  }

  enter(pid: number, initPid?: number): void {
    for (const [dir, keys] of this.dirs()) {
      try {
        this.enterDir(dir, pid);
      } catch (err) {
        if (initPid === undefined || !keys.includes(UNIFIED) || !(err instanceof BerthError) || err.errno !== "EBUSY") throw err;
        const sub = initSubCgroup(this.mountOf(UNIFIED), dir, initPid);
        if (sub === undefined) throw err;
        this.enterDir(sub, pid);
      }
    }
  }

  enterDir(dir: string, pid: number): void {
    writeCgroupFile(join(dir, "cgroup.procs"), String(pid), "join cgroup", `could not move process ${pid} into the container's cgroup`);
  }

  selfEntry(): { tasks: string[]; into?: string } {
    const tasks: string[] = [];
    let into: string | undefined;
    for (const [dir, keys] of this.dirs()) {
      if (keys.includes(UNIFIED)) into = dir;
      else tasks.push(join(dir, "tasks"));
    }
    return { tasks, into };
  }

  /**
   * The leaves whose processes are the container's: those berth created. Every process of
   * the container is in each of its leaves, so these find them all, while a leaf that
   * already existed (a cgroup2 directory made by someone else, say) may hold bystanders.
   * Only when no leaf was created (a shared cgroup) are all of them the container's.
   */
  private ownLeaves(): string[] {
    const leaves = [...this.dirs().keys()];
    const own = leaves.filter((d) => this.state.created.includes(d));
    return own.length > 0 ? own : leaves;
  }

  /** Directories berth may create for this container that do not exist yet, parents first. */
  plannedDirs(): string[] {
    const out: string[] = [];
    for (const [dir, keys] of this.dirs()) {
      let mount: string;
      try {
        mount = this.mountOf(keys[0]!);
      } catch {
        continue;
      }
      const rel = relative(mount, dir);
      if (rel.startsWith("..")) continue;
      let cur = mount;
      for (const part of rel === "" ? [] : rel.split("/")) {
        cur = join(cur, part);
        let exists = true;
        try {
          statSync(cur);
        } catch {
          exists = false;
        }
        if (!exists && !out.includes(cur)) out.push(cur);
      }
    }
    return out;
  }

  pids(): number[] {
    const all = new Set<number>();
    for (const dir of this.ownLeaves()) readPids(dir, true, all);
    return [...all].sort((a, b) => a - b);
  }

  private freezer(): Freezer | undefined {
    return freezerOf(this.state);
  }

  isFrozen(): boolean {
    return isFrozen(this.state);
  }

  freeze(): void {
    const f = this.freezer();
    if (f === undefined) {
      const skipped = this.state.skipped ?? [];
      if (skipped.includes("freezer") || skipped.includes(UNIFIED)) {
        throw new BerthError("the container has no freezer cgroup: it is rootless and none could be made for it", {
          op: "pause",
          errno: "EACCES",
          hint: "run it with a cgroup delegated to its user (linux.cgroupsPath), or as root",
        });
      }
      throw new BerthError("no freezer is available for this container", {
        op: "pause",
        hint: "mount the v1 freezer controller, or use cgroup v2",
      });
    }
    const done = f.kind === "v1" ? freezeV1(f.dir) : freezeV2(f.dir);
    if (!done) {
      if (f.kind === "v1") thawV1(f.dir);
      else thawV2(f.dir);
      throw new BerthError("the container did not freeze in time", {
        op: "pause",
        path: f.dir,
        hint: "a process may be in uninterruptible sleep; try again",
      });
    }
  }

  thaw(): void {
    const f = this.freezer();
    // A cgroup not made yet (a create killed half-way), or one removed once its
    // last process died (systemd drops an emptied scope at any moment), holds
    // nothing frozen.
    if (f === undefined || !existsSync(f.dir)) return;
    this.tolerateGone(() => (f.kind === "v1" ? thawV1(f.dir) : thawV2(f.dir)));
  }

  signalAll(signal: NodeJS.Signals | number): void {
    // cgroup.kill and freezing act on everything in a directory: only on the container's own.
    const own = this.ownLeaves();
    const mine = (d: string | undefined): string | undefined => (d !== undefined && own.includes(d) ? d : undefined);
    const unified = mine(this.state.paths[UNIFIED]);
    const freezer = mine(this.state.paths["freezer"]);
    if (isKillSignal(signal) && unified !== undefined && hasCgroupKill(unified)) {
      // Atomic and race-free for the cgroup2 part; the walk below still covers
      // v1-only hierarchies and processes moved out of the cgroup2 one.
      this.tolerateGone(() => killV2(unified));
    }
    let thaw: (() => void) | undefined;
    if (freezer !== undefined && freezerState(freezer) !== undefined) {
      // A frozen task only acts on SIGKILL once thawed, so a paused cgroup is
      // thawed after SIGKILL; for other signals it is left as it was.
      if (freezerState(freezer) !== "FROZEN") {
        if (this.tolerateGone(() => freezeV1(freezer))) thaw = () => thawV1(freezer);
      } else if (isKillSignal(signal)) {
        thaw = () => thawV1(freezer);
      }
    } else if (unified !== undefined && this.state.layout === "v2" && hasCgroupFreeze(unified)) {
      if (!isFrozenV2(unified)) {
        if (this.tolerateGone(() => freezeV2(unified))) thaw = () => thawV2(unified);
      } else if (isKillSignal(signal)) {
        thaw = () => thawV2(unified);
      }
    }
    try {
      for (const pid of this.pids()) {
        if (pid === process.pid) continue;
        try {
          process.kill(pid, signal);
        } catch (err) {
          if (!isErrno(err, "ESRCH")) throw BerthError.fromSys("signal", `pid ${pid}`, err);
        }
      }
    } finally {
      if (thaw !== undefined) this.tolerateGone(thaw);
    }
  }

  /** Run a cgroup write, treating a vanished cgroup as done. Returns whether it ran. */
  private tolerateGone(fn: () => unknown): boolean {
    try {
      fn();
      return true;
    } catch (err) {
      const code = err instanceof BerthError ? err.errno : (err as NodeJS.ErrnoException)?.code;
      if (code === "ENOENT" || code === "ENODEV") return false;
      throw err;
    }
  }

  async destroy(): Promise<void> {
    const leaves = [...this.dirs().keys()];
    const ownsLeaf = leaves.some((d) => this.state.created.includes(d));
    if (ownsLeaf) {
      const deadline = Date.now() + DESTROY_WAIT_MS;
      // SIGKILLed processes are usually gone within a millisecond or two: look again
      // soon, then less often.
      let delay = 1;
      for (;;) {
        if (this.pids().length === 0) break;
        if (Date.now() >= deadline) {
          throw new BerthError(`processes ${this.pids().join(", ")} are still in the cgroup after SIGKILL`, {
            op: "remove cgroup",
            path: leaves[0],
            hint: "a process in uninterruptible sleep (D state) may be holding it; retry delete later",
          });
        }
        this.signalAll("SIGKILL");
        await sleep(delay);
        delay = Math.min(delay * 2, 20);
      }
    }
    const ordered = [...this.state.created].sort((a, b) => depth(b) - depth(a));
    const failed: string[] = [];
    for (const dir of ordered) {
      if (leaves.includes(dir)) {
        if (!removedEmpty(dir)) await removeTree(dir);
      } else {
        try {
          rmdirSync(dir);
        } catch (err) {
          if (isErrno(err, "ENOENT")) continue;
          // Still used by another container that joined below it: leave it.
          if (isErrno(err, "EBUSY") || isErrno(err, "ENOTEMPTY")) {
            failed.push(dir);
            continue;
          }
          throw BerthError.fromSys("remove cgroup", dir, err);
        }
      }
    }
    this.state.created.splice(0, this.state.created.length, ...failed);
  }
}

/** berth's own cgroup2 directory under `mount` (whose hierarchy root is `root`), from /proc/self/cgroup. */
function ownCgroup2(mount: string, root: string | undefined): string | undefined {
  let own: string | undefined;
  try {
    own = parseProcCgroup(readFileSync("/proc/self/cgroup", "utf8"))[UNIFIED];
  } catch {
    return undefined;
  }
  if (own === undefined) return undefined;
  if (root !== undefined && root !== "/" && (own === root || own.startsWith(root + "/"))) own = own.slice(root.length);
  return join(mount, own);
}

/**
 * The cgroup2 directory `initPid` is in, when it lies below the container's
 * `dir` (from /proc/<pid>/cgroup's "0::" line); undefined otherwise.
 */
function initSubCgroup(mount: string, dir: string, initPid: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${initPid}/cgroup`, "utf8");
  } catch {
    return undefined;
  }
  const line = text.split("\n").find((l) => l.startsWith("0::"));
  if (line === undefined) return undefined;
  const sub = join(mount, line.slice(3));
  return sub !== dir && sub.startsWith(dir + "/") ? sub : undefined;
}

/** rmdir a cgroup and any sub-cgroups the container made inside it, deepest first; retry EBUSY briefly. */
/**
 * Remove `dir` if it is an empty cgroup (or already gone); false otherwise, and removeTree
 * does the rest. A deleted container's leaf usually is empty: this spares a delete the
 * listing of every hierarchy and the awaits it would make for nothing.
 */
function removedEmpty(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    return isErrno(err, "ENOENT");
  }
}

async function removeTree(dir: string): Promise<void> {
  for (const child of childCgroups(dir)) await removeTree(join(dir, child));
  const deadline = Date.now() + RMDIR_RETRY_MS;
  let delay = 1;
  for (;;) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if (isErrno(err, "ENOENT")) return;
      if (!isErrno(err, "EBUSY") || Date.now() >= deadline) {
        throw BerthError.fromSys("remove cgroup", dir, err, "something still uses the cgroup; retry delete later");
      }
      // Exiting tasks leave the cgroup a moment after they are reaped.
      await sleep(delay);
      delay = Math.min(delay * 2, 20);
    }
  }
}

/** Reopen the cgroups of an existing container from what state.json recorded. */
export function loadCgroupManager(state: CgroupState): CgroupManager {
  const fs = new FsCgroupManager({ layout: state.layout, paths: { ...state.paths }, created: [...state.created] });
  if (state.rootless === true) fs.state.rootless = true;
  if (state.skipped !== undefined) fs.state.skipped = [...state.skipped];
  if (state.systemd === undefined) return fs;
  fs.state.systemd = { ...state.systemd };
  return new SystemdCgroupManager(fs.state, fs);
}
