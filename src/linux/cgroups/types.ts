// The interface lifecycle code uses to place a container in its cgroups.
// Resource limits (linux.resources) are applied through the same manager.

import type { Resources } from "../../spec/types.js";

/** What state.json records so later commands (kill --all, delete, exec) reopen the same cgroups. */
export interface CgroupState {
  /** "v1" | "v2" | "hybrid" as detected when the container was created. */
  layout: "v1" | "v2" | "hybrid";
  /** Controller (or "unified" for the cgroup2 hierarchy) → absolute directory under /sys/fs/cgroup. */
  paths: Record<string, string>;
  /** Directories berth itself created (removed on delete, deepest first); pre-existing ones are never removed. */
  created: string[];
  /**
   * Set under the systemd driver (--systemd-cgroup): the transient unit that
   * owns the cgroup and its slice. `created` then lists the unit's directories,
   * which belong to the container. `user`: the unit is in the caller's own
   * systemd instance (a rootless container), reached over the user's bus.
   */
  systemd?: { unit: string; slice: string; user?: boolean };
  /**
   * Rootless cgroups (runc's RootlessCgroups, the global --rootless): without an
   * explicit linux.cgroupsPath, a hierarchy berth may not write is left out of
   * `paths` and named in `skipped`; a limit that needs it is then an error.
   */
  rootless?: boolean;
  skipped?: string[];
}

export interface CgroupManager {
  readonly state: CgroupState;
  /** Create the directories (recording which ones berth made). Throws BerthError naming cgroupsPath. */
  create(): void;
  /** The directories create() would make (those missing now), parents first: recorded before it runs. */
  plannedDirs?(): string[];
  /**
   * Drivers that need the container's first process to make its cgroup (systemd)
   * do that here, with berth-init's stage 1 before it gets its plan, and then
   * write the resources apply() was given. Absent for the cgroupfs driver.
   */
  start?(pid: number): Promise<void>;
  /**
   * Drivers that keep their own copy of the limits (systemd's unit properties,
   * which systemd writes again on daemon-reload) change that copy too. `update`
   * calls it after apply(…, { update: true }) with the container's complete
   * resources after the update. Absent for the cgroupfs driver.
   */
  updateUnit?(resources: Resources): Promise<void>;
  /**
   * Write linux.resources into the container's cgroup files (v1 controllers
   * and/or cgroup2). Called after create() and before the container runs; with
   * `update` set, for `berth update` on a live container (order-sensitive pairs
   * such as memory limit/swap are written in the order that succeeds).
   * Throws BerthError naming the JSON path (e.g. linux.resources.memory.limit).
   */
  apply(resources: Resources | undefined, opts?: { update?: boolean; warn?: (msg: string) => void }): Promise<void>;
  /**
   * Move a process into every hierarchy (writes cgroup.procs). On cgroup v2 a
   * container cgroup that has enabled controllers for its children takes no
   * processes itself (EBUSY); then, given `initPid`, the process joins the
   * sub-cgroup the container's init is in, as runc does for exec.
   */
  enter(pid: number, initPid?: number): void;
  /**
   * How berth-init places the container itself, avoiding the kernel's global
   * migration lock: v1 "tasks" files it writes "0" to (moving its own thread)
   * and the cgroup2 directory it clones the container process into.
   */
  selfEntry(): { tasks: string[]; into?: string };
  /**
   * Drivers whose manager can move a process the caller could not move itself (a
   * user's systemd instance asks the system's) do that here. Absent otherwise.
   */
  attach?(pid: number): Promise<void>;
  /** Move a process into one of the container's directories (writes its cgroup.procs). */
  enterDir(dir: string, pid: number): void;
  /** All pids in the container's cgroup (deduplicated over hierarchies). */
  pids(): number[];
  /** Whether the container's cgroup is frozen (paused). */
  isFrozen(): boolean;
  /** Freeze every process (v1 freezer, or cgroup.freeze on v2) and wait until frozen. */
  freeze(): void;
  thaw(): void;
  /** Signal every process in the cgroup (freeze first where a freezer is available, then thaw). */
  signalAll(signal: NodeJS.Signals | number): void;
  /** Kill everything left, wait until empty, remove the directories berth created. Idempotent. */
  destroy(): Promise<void>;
}
