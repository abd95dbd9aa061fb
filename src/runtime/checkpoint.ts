// `checkpoint`: criu dumps the running container's processes into the image
// directory. As runc: descriptors.json beside the images records the init
// process's stdio, bind mounts are external to the image (restore reconnects
// them), and the container is destroyed afterwards unless --leave-running or
// --pre-dump. A container's terminal (its pty, whose master is outside) is external to
// the image, for restore to give it a new one. Nothing is changed when criu cannot work
// on this host.

import { mkdirSync, readlinkSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { BerthError } from "../errors.js";
import { log } from "../log.js";
import { statusOf } from "./status.js";
import { destroyContainer } from "./lifecycle.js";
import { waitGone } from "./procfs.js";
import { loadRecord, writeFileAtomic } from "./stateStore.js";
import { detectCgroupLayout } from "../linux/cgroups/detect.js";
import {
  bindMounts,
  cgroupBinds,
  checkCriu,
  checkEmptyNs,
  dumpArgs,
  findCriu,
  isPtySlave,
  runCriu,
  ttyKey,
  DESCRIPTORS_FILE,
  DUMP_LOG,
  TERMINAL_FILE,
  type CriuFlags,
} from "./criu.js";

export interface CheckpointOptions extends CriuFlags {
  root: string;
  id: string;
  criu?: string;
  imagePath?: string;
  workPath?: string;
  parentPath?: string;
  leaveRunning: boolean;
  preDump: boolean;
  tcpSkipInFlight: boolean;
  linkRemap: boolean;
  pageServer?: string;
}

function mkdirPrivate(dir: string, flag: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw BerthError.fromSys("checkpoint", dir, err, `${flag} must be a directory berth can create`);
  }
}

/** The paths of fds 0-2 of pid, as criu will name them in the image ("pipe:[123]", "/dev/null"). */
export function stdioPaths(pid: number): string[] {
  return [0, 1, 2].map((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return "/dev/null";
    }
  });
}

/** criu's key of the pty among the init's stdio (the container's terminal). */
export function terminalOf(pid: number): string {
  for (const fd of [0, 1, 2]) {
    try {
      const st = statSync(`/proc/${pid}/fd/${fd}`);
      if (st.isCharacterDevice() && isPtySlave(st.rdev)) return ttyKey(st.rdev, st.dev);
    } catch {
      /* closed */
    }
  }
  throw new BerthError("the container has a terminal, but its init's stdio is not a pty", {
    op: "checkpoint",
    path: "process.terminal",
    hint: "criu needs the pty among fds 0-2 of the container's init to give it a new one on restore",
  });
}

export async function checkpointContainer(o: CheckpointOptions): Promise<void> {
  const rec = loadRecord(o.root, o.id);
  const status = statusOf(o.root, rec);
  if (status !== "running" && status !== "paused") {
    throw new BerthError(`container cannot be checkpointed in ${status} state`, {
      op: "checkpoint",
      path: o.id,
      hint: "only a running (or paused) container can be checkpointed",
    });
  }
  if ((process.geteuid?.() ?? 0) !== 0) {
    throw new BerthError("checkpoint needs root (criu dumps other processes)", {
      op: "checkpoint",
      path: o.id,
      errno: "EPERM",
      hint: "run berth checkpoint as root",
    });
  }
  checkEmptyNs(o.emptyNs, "checkpoint");
  if (o.parentPath !== undefined && isAbsolute(o.parentPath)) {
    throw new BerthError("--parent-path must be relative", {
      op: "checkpoint",
      path: "--parent-path",
      hint: "give it relative to --image-path, e.g. ../pre",
    });
  }
  const criu = findCriu(o.criu, "checkpoint");
  checkCriu(criu, "checkpoint");
  const images = resolve(o.imagePath ?? "checkpoint");
  mkdirPrivate(images, "--image-path");
  if (o.parentPath !== undefined) {
    const parent = join(images, o.parentPath);
    let dir = false;
    try {
      dir = statSync(parent).isDirectory();
    } catch {
      /* below */
    }
    if (!dir)
      throw new BerthError("invalid --parent-path: not a directory", {
        op: "checkpoint",
        path: parent,
        errno: "ENOTDIR",
        hint: "--parent-path names the images of an earlier --pre-dump, relative to --image-path",
      });
  }
  const work = o.workPath === undefined ? undefined : resolve(o.workPath);
  if (work !== undefined) mkdirPrivate(work, "--work-path");
  const nsPath = rec.config.linux?.namespaces?.find((n) => n.type === "network")?.path;
  let externalNetNs: number | undefined;
  if (nsPath !== undefined && nsPath !== "") {
    try {
      externalNetNs = statSync(nsPath).ino;
    } catch (err) {
      throw BerthError.fromSys("checkpoint: stat network namespace", nsPath, err);
    }
  }
  // The pty's master is the caller's, outside the container: its slave is external to the
  // image, as is the /dev/console bind of it, and restore gives both a new pty.
  const tty = rec.config.process?.terminal === true ? terminalOf(rec.pid) : undefined;
  if (!o.preDump) {
    writeFileAtomic(join(images, DESCRIPTORS_FILE), JSON.stringify(stdioPaths(rec.pid)), 0o600);
    if (tty !== undefined) writeFileAtomic(join(images, TERMINAL_FILE), JSON.stringify({ tty }), 0o600);
  }
  const freezeCgroup =
    rec.cgroup.paths.unified !== undefined && rec.cgroup.layout === "v2" ? rec.cgroup.paths.unified : rec.cgroup.paths.freezer;
  const args = dumpArgs({
    ...o,
    pid: rec.pid,
    rootfs: rec.rootfs,
    images,
    work,
    freezeCgroup,
    binds: [
      ...bindMounts(rec.config, rec.bundle),
      ...cgroupBinds(rec.config, rec.cgroup, detectCgroupLayout()),
      ...(tty !== undefined ? [{ destination: "/dev/console" }] : []),
    ],
    externalNetNs,
    ttyKey: tty,
  });
  log.debug(`checkpoint ${o.id}: ${criu} ${args.join(" ")}`);
  runCriu(criu, args, "checkpoint", join(work ?? images, DUMP_LOG));
  if (o.leaveRunning || o.preDump) return;
  // criu killed the processes; as runc, the container is then destroyed (its cgroups, its state).
  if (!(await waitGone(rec.pid, rec.initStartTime, 10_000))) log.warn(`checkpoint ${o.id}: pid ${rec.pid} still runs after criu dump`);
  await destroyContainer(o.root, rec);
}
