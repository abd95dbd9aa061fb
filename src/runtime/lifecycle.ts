// start, kill, delete, state and list: the operations on an existing container.
// Each derives the status from the world first (runtime.md: an operation not
// valid in the current status errors and has no effect). What only some containers
// need (hooks, Intel RDT, host mounts, a pid-namespace walk) is loaded when one does:
// these commands are called several times per container and load nothing else.

import { closeSync, constants, openSync, rmSync, unlinkSync, writeSync, existsSync } from "node:fs";
import { join } from "node:path";
import { BerthError, isErrno } from "../errors.js";
import { log } from "../log.js";
import { loadCgroupManager } from "../linux/cgroups/manager.js";
import { notifyProxy } from "./notifySocket.js";
import { isAlive, waitGone } from "./procfs.js";
import { processesOf } from "./ps.js";
import { statusOf } from "./status.js";
import { span } from "../trace.js";
import { containerDir, hookState, loadRecord, removeContainerDir, FIFO_FILE, type ContainerRecord } from "./stateStore.js";

function hasCgroup(rec: ContainerRecord): boolean {
  return Object.keys(rec.cgroup?.paths ?? {}).length > 0;
}

/** Freeze every process of a created or running container (runc's pause). */
export function pauseContainer(root: string, id: string): void {
  const rec = loadRecord(root, id);
  const status = statusOf(root, rec);
  if (status === "paused") return;
  if (status !== "running" && status !== "created") {
    throw new BerthError("container not running", { op: "pause", path: id, hint: "only a created or running container can be paused" });
  }
  loadCgroupManager(rec.cgroup).freeze();
}

export function resumeContainer(root: string, id: string): void {
  const rec = loadRecord(root, id);
  if (statusOf(root, rec) !== "paused") {
    throw new BerthError("container not paused", { op: "resume", path: id, hint: "see `berth state` for its status" });
  }
  loadCgroupManager(rec.cgroup).thaw();
}

/** Release the exec barrier, then run the poststart hooks once the user program runs. */
export async function startContainer(root: string, id: string): Promise<ContainerRecord> {
  const rec = loadRecord(root, id);
  const status = statusOf(root, rec);
  if (status !== "created") {
    const why: Record<string, string> = {
      running: "cannot start an already running container",
      stopped: "cannot start a container that has stopped",
      paused: "cannot start a paused container",
    };
    throw new BerthError(why[status] ?? `cannot start a container in state ${status}`, {
      op: "start",
      path: id,
      hint: "only a container in state `created` can be started",
    });
  }
  const notify = await notifyProxy(containerDir(root, id));
  try {
    await span("start: release the exec barrier", () => releaseBarrier(root, rec));
    await runPoststart(rec);
    // As runc: with NOTIFY_SOCKET, start returns once the container said READY (or ended).
    await notify?.forward(rec.pid, rec.initStartTime);
  } finally {
    notify?.close();
  }
  return rec;
}

/**
 * The poststart hooks. runtime-spec 1.3 (runtime.md, lifecycle step 9): a failing one is an
 * error, and the container is stopped (as runc does); `delete` then removes it and runs the
 * poststop hooks.
 */
export async function runPoststart(rec: ContainerRecord): Promise<void> {
  const hooks = rec.config.hooks?.poststart;
  if (hooks === undefined || hooks.length === 0) return;
  try {
    const { runHooks } = await import("./hooks.js");
    runHooks("poststart", hooks, hookState(rec, "running", rec.pid));
  } catch (err) {
    try {
      await killAndWait(rec);
    } catch (killErr) {
      log.warn(`stop the container after a failed poststart hook: ${(killErr as Error).message}`);
    }
    throw err;
  }
}

/**
 * Write the byte the container process waits for on exec.fifo. It holds the
 * read end open (close-on-exec) until it execs the user program, so writes
 * keep succeeding until then and fail with EPIPE after: that is how start
 * knows the startContainer hooks are done and the program runs. Only poststart
 * hooks need that, so without them start returns as soon as the byte is out.
 */
export async function releaseBarrier(root: string, rec: ContainerRecord): Promise<void> {
  log.debug(`start ${rec.id}: releasing the exec barrier of pid ${rec.pid}`);
  const fifo = join(containerDir(root, rec.id), FIFO_FILE);
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (isErrno(err, "ENXIO"))
      throw new BerthError("container process is gone", {
        op: "start",
        path: rec.id,
        errno: "ENXIO",
        hint: "delete the container and create it again",
      });
    throw BerthError.fromSys("start: open exec fifo", fifo, err);
  }
  try {
    writeSync(fd, "0");
    try {
      unlinkSync(fifo);
    } catch {
      /* already gone */
    }
    if ((rec.config.hooks?.poststart?.length ?? 0) === 0) return;
    let delay = 1;
    for (;;) {
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 20);
      try {
        writeSync(fd, "0");
      } catch (err) {
        if (isErrno(err, "EPIPE")) return;
        if (!isErrno(err, "EAGAIN")) throw err;
      }
      if (!isAlive(rec.pid, rec.initStartTime)) return;
    }
  } catch (err) {
    throw BerthError.fromSys("start: write exec fifo", fifo, err);
  } finally {
    closeSync(fd);
  }
}

export function killContainer(root: string, id: string, signal: number, all: boolean): void {
  const rec = loadRecord(root, id);
  const status = statusOf(root, rec);
  log.debug(`kill ${id}: signal ${signal}${all ? " to every process of the container" : ` to pid ${rec.pid}`} (${status})`);
  if (status === "stopped") {
    if (all) {
      // containerd sends `kill --all <id> 9` after init died: kill what is left, succeed.
      signalCgroup(rec, signal);
      return;
    }
    throw new BerthError("container not running", {
      op: "kill",
      path: id,
      errno: "ESRCH",
      hint: "the container's process has exited; delete it with `berth delete`",
    });
  }
  if (all) {
    signalCgroup(rec, signal);
    return;
  }
  if (!(rec.pid > 0))
    throw new BerthError("container has no process yet", {
      op: "kill",
      path: id,
      errno: "ESRCH",
      hint: "it is being created; delete it with `berth delete --force`",
    });
  try {
    process.kill(rec.pid, signal);
    // A frozen process acts on SIGKILL only once thawed (runc thaws too).
    if (signal === 9 && status === "paused") loadCgroupManager(rec.cgroup).thaw();
  } catch (err) {
    if (isErrno(err, "ESRCH")) throw new BerthError("no such process", { op: "kill", path: id, errno: "ESRCH" });
    throw BerthError.fromSys("kill", id, err);
  }
}

function ownsCgroup(rec: ContainerRecord): boolean {
  return rec.cgroup.created.length > 0;
}

function signalCgroup(rec: ContainerRecord, signal: number): void {
  if (ownsCgroup(rec)) {
    loadCgroupManager(rec.cgroup).signalAll(signal);
    return;
  }
  // No cgroup at all (rootless, none writable): the processes of its pid namespace.
  const pids = hasCgroup(rec) ? [rec.pid] : processesOf(rec);
  for (const pid of pids) {
    if (!(pid > 0)) continue;
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

/** Remove everything create made, then run poststop hooks (failures warn). */
export async function destroyContainer(root: string, rec: ContainerRecord): Promise<void> {
  if (ownsCgroup(rec)) {
    await loadCgroupManager(rec.cgroup).destroy();
  }
  if (rec.intelRdt !== undefined) (await import("../linux/resctrl.js")).removeIntelRdt(rec.intelRdt);
  if (rec.hostMounts !== undefined) await (await import("../linux/mountinfo.js")).unmountUnder(rec.hostMounts.rootfs, rec.hostMounts.keep);
  removeContainerDir(root, rec.id);
  const poststop = rec.config.hooks?.poststop;
  if (poststop === undefined || poststop.length === 0) return;
  const { runHooksWarn } = await import("./hooks.js");
  for (const w of runHooksWarn("poststop", poststop, hookState(rec, "stopped"))) log.warn(w);
}

async function killAndWait(rec: ContainerRecord): Promise<void> {
  signalCgroup(rec, 9);
  // pid 0 is a create that died before berth-init started: never kill(0, …), our own group.
  if (rec.pid > 0)
    try {
      process.kill(rec.pid, 9);
    } catch {
      /* gone */
    }
  if (hasCgroup(rec)) loadCgroupManager(rec.cgroup).thaw();
  if (!(await waitGone(rec.pid, rec.initStartTime, 10_000))) {
    throw new BerthError("container process did not die after SIGKILL", {
      op: "delete",
      path: rec.id,
      hint: "the process may be stuck in the kernel (D state); try again",
    });
  }
}

export async function deleteContainer(root: string, id: string, force: boolean): Promise<void> {
  let rec: ContainerRecord;
  try {
    rec = loadRecord(root, id);
  } catch (err) {
    if (force && err instanceof BerthError && err.errno === "ENOENT") {
      // A directory without state (a create that died) is still removed.
      if (id !== "" && !id.includes("/") && id !== "." && id !== ".." && existsSync(containerDir(root, id)))
        rmSync(containerDir(root, id), { recursive: true, force: true });
      return;
    }
    throw err;
  }
  const status = statusOf(root, rec);
  log.debug(`delete ${id}: status ${status}${force ? ", --force" : ""}`);
  switch (status) {
    case "stopped":
      break;
    case "created":
      // runc, crun and containerd: deleting a created container kills it first.
      await killAndWait(rec);
      break;
    default:
      if (!force) {
        throw new BerthError(`cannot delete container ${id} that is not stopped: ${status}`, {
          op: "delete",
          path: id,
          hint: "stop it with `berth kill`, or use `berth delete --force`",
        });
      }
      await killAndWait(rec);
  }
  await destroyContainer(root, rec);
  log.debug(`delete ${id}: cgroups and state removed`);
}
