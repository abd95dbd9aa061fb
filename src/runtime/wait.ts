// `berth wait`: block until a container reaches a state. The status is derived
// as `berth state` derives it; between looks the wait sleeps in poll(2) on what
// can change it:
//   - the container's state directory (inotify): the record rewritten when
//     create finishes, exec.fifo removed by start, the directory removed by delete;
//   - a pidfd of the container's init: readable once it exits;
//   - cgroup.events of a cgroup v2 freezer (inotify): its "frozen" field flips.
// Only a v1 freezer (freezer.state sends no notification) is polled, every
// FALLBACK_POLL_MS, and only while waiting for paused or running; so is
// everything when the event calls cannot be made at all.

import { join } from "node:path";
import { BerthError } from "../errors.js";
import {
  fdWaitAvailable,
  Inotify,
  IN_ATTRIB,
  IN_CREATE,
  IN_DELETE,
  IN_DELETE_SELF,
  IN_MODIFY,
  IN_MOVE_SELF,
  IN_MOVED_FROM,
  IN_MOVED_TO,
  pidfdOpen,
  pollReadable,
} from "../linux/fdwait.js";
import { UNIFIED } from "../linux/cgroups/detect.js";
import { closeSync, existsSync } from "node:fs";
import { statusOf } from "./status.js";
import { isAlive } from "./procfs.js";
import { containerDir, FIFO_FILE, loadRecord, type ContainerRecord, type Status } from "./stateStore.js";

export const WAIT_STATES = ["created", "running", "paused", "stopped"] as const;
export type WaitState = (typeof WAIT_STATES)[number];

/** Exit status of `berth wait` when --timeout passed first (as timeout(1)). */
export const WAIT_TIMED_OUT = 124;

/** How often a state without a notification (a v1 freezer) is looked at. */
export const FALLBACK_POLL_MS = 100;

/**
 * Whether a container in `status` can still reach `target`. Statuses only move forward
 * (creating → created → running ⇄ paused → stopped), except that a container paused while
 * created (its exec.fifo still there) goes back to created when resumed.
 */
export function canReach(status: Status, target: WaitState, fifoExists: boolean): boolean {
  if (status === target) return true;
  switch (target) {
    case "stopped":
      return true;
    case "created":
      return status === "creating" || (status === "paused" && fifoExists);
    case "running":
    case "paused":
      return status !== "stopped";
  }
}

/** Whether reaching `target` from `status` needs a look at a v1 freezer, which only polling sees. */
export function needsFreezerPoll(status: Status, target: WaitState, v1Freezer: boolean): boolean {
  if (!v1Freezer) return false;
  return target === "paused" || (target === "running" && status === "paused") || (target === "created" && status === "paused");
}

export interface WaitOptions {
  root: string;
  id: string;
  state: WaitState;
  /** Milliseconds; undefined waits without limit. */
  timeoutMs?: number;
}

function unreachable(id: string, status: Status, target: WaitState): BerthError {
  return new BerthError(`container is ${status} and can no longer become ${target}`, {
    op: "wait",
    path: id,
    hint: status === "stopped" ? "delete it with `berth delete`" : "see `berth state` for its status",
  });
}

/** Watches for one container; rebuilt when the record's pid becomes known. */
class Watch {
  private inotify: Inotify | undefined;
  private pidfd: number | undefined;
  private pid = 0;
  private pidExited = false;
  private cgroupWatched = false;
  readonly usable: boolean;

  constructor(dir: string) {
    this.usable = fdWaitAvailable();
    if (!this.usable) return;
    this.inotify = Inotify.open();
    // Before the first look: a change after it wakes the poll.
    this.inotify?.add(dir, IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
  }

  /** Watch the record's init and its cgroup v2 freezer (if any), once per pid. */
  follow(rec: ContainerRecord): void {
    if (!this.usable) return;
    if (rec.pid > 0 && rec.pid !== this.pid) {
      this.closePidfd();
      this.pid = rec.pid;
      const fd = pidfdOpen(rec.pid);
      // A pidfd taken after the pid was recycled would watch a stranger.
      if (fd !== undefined && isAlive(rec.pid, rec.initStartTime)) this.pidfd = fd;
      else if (fd !== undefined) closeSync(fd);
    }
    const unified = rec.cgroup?.paths?.[UNIFIED];
    if (!this.cgroupWatched && unified !== undefined && rec.cgroup.layout === "v2" && rec.cgroup.paths["freezer"] === undefined) {
      this.cgroupWatched = this.inotify?.add(join(unified, "cgroup.events"), IN_MODIFY) ?? false;
    }
  }

  /** Whether the container's freezer is one that only polling can see. */
  static v1Freezer(rec: ContainerRecord): boolean {
    return rec.cgroup?.paths?.["freezer"] !== undefined;
  }

  /** Whether, without polling, something here tells of every change that matters. */
  get evented(): boolean {
    return this.usable && this.inotify !== undefined;
  }

  /** Sleep until something watched changes or `ms` pass (-1: no limit). */
  sleep(ms: number): void {
    const fds: number[] = [];
    if (this.inotify !== undefined) fds.push(this.inotify.fd);
    if (this.pidfd !== undefined && !this.pidExited) fds.push(this.pidfd);
    if (fds.length === 0) {
      sleepMs(ms < 0 ? FALLBACK_POLL_MS : Math.min(ms, FALLBACK_POLL_MS));
      return;
    }
    const ready = pollReadable(fds, ms);
    // An exited process keeps its pidfd readable: stop polling it so the loop cannot spin.
    if (this.pidfd !== undefined && ready.includes(this.pidfd)) this.pidExited = true;
    this.inotify?.drain();
  }

  close(): void {
    this.closePidfd();
    this.inotify?.close();
  }

  private closePidfd(): void {
    if (this.pidfd !== undefined) closeSync(this.pidfd);
    this.pidfd = undefined;
    this.pidExited = false;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, ms));
}

/**
 * Wait until container `id` is in `state`. Resolves "reached" (at once when it is there
 * already) or "timeout"; throws "container does not exist" when it is (or becomes) absent,
 * and an error when it can no longer reach the state.
 */
export function waitForState(opts: WaitOptions): "reached" | "timeout" {
  const dir = containerDir(opts.root, opts.id);
  const deadline = opts.timeoutMs === undefined ? undefined : performance.now() + opts.timeoutMs;
  // Missing from the start is reported as such, before any watch is set up.
  loadRecord(opts.root, opts.id);
  const watch = new Watch(dir);
  try {
    for (;;) {
      const rec = loadRecord(opts.root, opts.id);
      watch.follow(rec);
      const status = statusOf(opts.root, rec);
      if (status === opts.state) return "reached";
      const fifo = existsSync(join(dir, FIFO_FILE));
      if (!canReach(status, opts.state, fifo)) throw unreachable(opts.id, status, opts.state);
      const left = deadline === undefined ? -1 : deadline - performance.now();
      if (deadline !== undefined && left <= 0) return "timeout";
      const poll = !watch.evented || needsFreezerPoll(status, opts.state, Watch.v1Freezer(rec));
      const ms = poll ? (left < 0 ? FALLBACK_POLL_MS : Math.min(left, FALLBACK_POLL_MS)) : left;
      watch.sleep(ms);
    }
  } finally {
    watch.close();
  }
}
