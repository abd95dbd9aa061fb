// `restore`: a container again from a checkpoint's images. berth makes what
// criu does not restore itself (the state directory, the cgroups with the
// bundle's limits, a bind mount of the rootfs as criu's root) and criu restores
// the processes with their namespaces, mounts and memory. As runc: criu runs in
// the container's cgroups (the restored tree lands there, --cgroup-root), the
// bundle's bind mounts are reconnected to their host sources, and pipes among
// the init's stdio become berth's own stdio (--inherit-fd), a container's terminal
// is a new pty whose master goes to --console-socket, and the prestart and
// createRuntime hooks run at criu's setup-namespaces (criuNotify.ts). Then berth
// records the state of a running container. Any failure removes what restore made.

import { execFileSync, spawn } from "node:child_process";
import { closeSync, constants, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { BerthError, isErrno } from "../errors.js";
import { log } from "../log.js";
import { loadAndValidateConfig, validateContainerId } from "../spec/validate.js";
import { createCgroupManager } from "../linux/cgroups/newManager.js";
import { effectiveDeviceRules } from "../linux/cgroups/devices.js";
import { detectCgroupLayout } from "../linux/cgroups/detect.js";
import type { CgroupManager } from "../linux/cgroups/types.js";
import { mount, umount2, MNT_DETACH, MS_BIND, MS_REC } from "../linux/sys.js";
import { openPty, sendFdTo, type Pty } from "../linux/pty.js";
import { checkTerminal } from "./consoleSocket.js";
import { SetupNamespacesNotifier } from "./criuNotify.js";
import { runHooks } from "./hooks.js";
import { containerRecord, recordBeforeCgroups } from "./record.js";
import { destroyContainer } from "./lifecycle.js";
import { readProcStat, startTimeOf, waitGone } from "./procfs.js";
import { forwardSignals } from "./signalForward.js";
import { claimContainerDir, hookState, removeContainerDir, saveRecord, writeFileAtomic, type ContainerRecord } from "./stateStore.js";
import {
  bindMounts,
  cgroupBinds,
  cgroupRoots,
  checkCriu,
  checkEmptyNs,
  criuFailed,
  findCriu,
  parseDescriptors,
  parseTerminalFile,
  restoreArgs,
  DESCRIPTORS_FILE,
  RESTORE_LOG,
  TERMINAL_FILE,
  TTY_FD,
  type CriuFlags,
} from "./criu.js";

export interface RestoreOptions extends CriuFlags {
  root: string;
  id: string;
  criu?: string;
  imagePath?: string;
  workPath?: string;
  bundle?: string;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  systemdCgroup: boolean;
  lsmProfile?: string;
  lsmMountContext?: string;
}

const NET_NS_FD = 3;

/** Returns berth's exit status: 0 when detached, else the restored container's. */
export async function restoreContainer(o: RestoreOptions): Promise<number> {
  validateContainerId(o.id);
  const bundle = resolve(o.bundle ?? ".");
  const { spec, warnings } = loadAndValidateConfig(bundle);
  for (const w of warnings) log.warn(w);
  const terminal = spec.process?.terminal === true;
  checkTerminal("restore", terminal, o);
  if (terminal && o.consoleSocket === undefined) {
    throw new BerthError("a container with a terminal is restored with a new pty, whose master goes to --console-socket", {
      op: "restore",
      path: "--console-socket",
      hint: "pass --detach and --console-socket, or set process.terminal to false",
    });
  }
  // criu restores processes berth-init never forked, so none inherits a resctrl group: refused
  // rather than restored outside the group the config asks for.
  if (spec.linux?.intelRdt != null) {
    throw new BerthError("restore cannot place the restored processes in a resctrl group", {
      op: "restore",
      path: "linux.intelRdt",
      hint: "restore the container without linux.intelRdt",
    });
  }
  if ((process.geteuid?.() ?? 0) !== 0) {
    throw new BerthError("restore needs root (criu restores namespaces and mounts)", {
      op: "restore",
      path: o.id,
      errno: "EPERM",
      hint: "run berth restore as root",
    });
  }
  checkEmptyNs(o.emptyNs, "restore");
  const images = resolve(o.imagePath ?? "checkpoint");
  const descPath = join(images, DESCRIPTORS_FILE);
  let descText: string;
  try {
    descText = readFileSync(descPath, "utf8");
  } catch (err) {
    throw BerthError.fromSys(
      "restore",
      descPath,
      err,
      "--image-path must name the directory of a `berth checkpoint` (the default is ./checkpoint)",
    );
  }
  const descriptors = parseDescriptors(descText, descPath);
  const ttyKey = terminal ? readTerminalKey(images) : undefined;
  const criu = findCriu(o.criu, "restore");
  checkCriu(criu, "restore");
  const work = o.workPath === undefined ? undefined : resolve(o.workPath);
  if (work !== undefined) mkdirSync(work, { recursive: true, mode: 0o700 });
  const rootfs = resolve(bundle, spec.root?.path ?? "rootfs");
  const netNsPath = spec.linux?.namespaces?.find((n) => n.type === "network")?.path;
  const externalNet = netNsPath !== undefined && netNsPath !== "";

  const dir = claimContainerDir(o.root, o.id);
  const criuRoot = join(dir, "criu-root");
  let mounted = false;
  let cg: CgroupManager | undefined;
  let pidFileWritten = false;
  let notifier: SetupNamespacesNotifier | undefined;
  let pty: Pty | undefined;
  let restored: { pid: number; startTime: string } | undefined;
  try {
    cg = createCgroupManager({ cgroupsPath: spec.linux?.cgroupsPath, id: o.id, systemd: o.systemdCgroup, annotations: spec.annotations });
    const cgm = cg;
    const inputs = { id: o.id, bundle, rootfs, spec, cgroup: cgm.state, systemdCgroup: o.systemdCgroup };
    const record = (pid: number, startTime: string): ContainerRecord => containerRecord({ ...inputs, cgroup: cgm.state }, pid, startTime);
    // Recorded before the cgroups exist, so that `delete --force` finds them after a crash.
    saveRecord(o.root, recordBeforeCgroups(inputs, cgm.plannedDirs?.() ?? []));
    cgm.create();
    await cgm.apply({ ...spec.linux?.resources, devices: effectiveDeviceRules(spec.linux) }, { warn: (m) => log.warn(m) });

    // criu's root must be a mount point whose parent is not overmounted: a bind of the rootfs here.
    mkdirSync(criuRoot, { mode: 0o755 });
    // Its propagation stays that of the rootfs: criu gives the restored root the same sharing.
    await mount(rootfs, criuRoot, MS_BIND | MS_REC);
    mounted = true;

    const pidFile = join(dir, "criu.pid");
    // As runc: the prestart and createRuntime hooks run at criu's setup-namespaces, with the
    // restored init's pid, before it resumes.
    if ((spec.hooks?.prestart ?? []).length + (spec.hooks?.createRuntime ?? []).length > 0) {
      notifier = new SetupNamespacesNotifier(dir, (pid) => {
        log.debug(`restore ${o.id}: running prestart and createRuntime hooks for pid ${pid}`);
        const created = hookState({ id: o.id, bundle, annotations: spec.annotations }, "created", pid);
        runHooks("prestart", spec.hooks?.prestart, created);
        runHooks("createRuntime", spec.hooks?.createRuntime, created);
      });
    }
    // The container's pty was external to the image: a new one takes its place (criu makes
    // its slave the restored processes' terminal, and it is bound on /dev/console).
    if (ttyKey !== undefined) pty = openPty();
    const args = restoreArgs({
      ...o,
      root: criuRoot,
      images,
      work,
      pidFile,
      cgroupRoots: cgroupRoots(cgm.state),
      binds: [
        ...bindMounts(spec, bundle),
        ...cgroupBinds(spec, cgm.state, detectCgroupLayout()),
        ...(pty !== undefined ? [{ destination: "/dev/console", source: pty.slave }] : []),
      ],
      descriptors,
      netNsFd: externalNet ? NET_NS_FD : undefined,
      actionScript: notifier?.script,
      ttyKey,
    });
    log.debug(`restore ${o.id}: ${criu} ${args.join(" ")}`);
    await runCriuInCgroup(
      criu,
      args,
      dir,
      cgm,
      externalNet ? netNsPath : undefined,
      pty?.slave,
      join(work ?? images, RESTORE_LOG),
      notifier,
    );
    notifier?.cleanup();
    notifier = undefined;

    const pid = Number(readFileSync(pidFile, "utf8").trim());
    rmSync(pidFile, { force: true });
    const startTime = startTimeOf(pid);
    if (!(pid > 0) || startTime === undefined)
      throw new BerthError("the restored process exited at once", {
        op: "restore",
        path: o.id,
        hint: `see ${join(work ?? images, RESTORE_LOG)}`,
      });
    restored = { pid, startTime };
    if (pty !== undefined && o.consoleSocket !== undefined) {
      sendFdTo(resolve(o.consoleSocket), pty.master, pty.slave, "--console-socket");
      closeSync(pty.master);
      pty = undefined;
    }
    const rec = record(pid, startTime);
    saveRecord(o.root, rec);
    log.debug(`restore ${o.id}: running, init pid ${pid}`);
    if (o.pidFile !== undefined) {
      writeFileAtomic(resolve(o.pidFile), String(pid));
      pidFileWritten = true;
    }
    await unmountCriuRoot(criuRoot);
    mounted = false;
    if (o.detach) return 0;
    return await waitRestored(o.root, rec);
  } catch (err) {
    if (pidFileWritten && o.pidFile !== undefined) rmSync(resolve(o.pidFile), { force: true });
    // Restored, then failed (the console socket is gone …): the container's processes go too.
    if (restored !== undefined && startTimeOf(restored.pid) === restored.startTime) {
      try {
        process.kill(restored.pid, "SIGKILL");
      } catch {
        /* gone */
      }
      await waitGone(restored.pid, restored.startTime, 10_000);
    }
    if (cg !== undefined) {
      try {
        await cg.destroy();
      } catch (e) {
        log.warn(`cleanup: ${(e as Error).message}`);
      }
    }
    if (mounted) await unmountCriuRoot(criuRoot).catch((e: Error) => log.warn(`cleanup: ${e.message}`));
    notifier?.cleanup();
    if (pty !== undefined) closeSync(pty.master);
    rmSync(join(dir, "criu.pid"), { force: true });
    removeContainerDir(o.root, o.id);
    throw err;
  }
}

/** The checkpointed pty's key, which berth checkpoint wrote beside the images. */
function readTerminalKey(images: string): string {
  const path = join(images, TERMINAL_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw BerthError.fromSys(
      "restore",
      path,
      err,
      "a container with a terminal is restored from a `berth checkpoint` of one (it keeps its pty external to the image)",
    );
  }
  return parseTerminalFile(text, path);
}

async function unmountCriuRoot(path: string): Promise<void> {
  await umount2(path, MNT_DETACH);
  try {
    rmdirSync(path);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) throw err;
  }
}

/**
 * criu restore, started inside the container's cgroups: a shell waits on a fifo until
 * berth has moved it there, then becomes criu. With --restore-sibling the restored init
 * is then berth's child.
 */
async function runCriuInCgroup(
  criu: string,
  args: string[],
  dir: string,
  cgm: CgroupManager,
  netNs: string | undefined,
  ttySlave: string | undefined,
  logPath: string,
  notifier: SetupNamespacesNotifier | undefined,
): Promise<void> {
  const gate = join(dir, "criu.gate");
  execFileSync("mkfifo", ["-m", "0600", gate]);
  const script =
    `read _ < "$BERTH_GATE"; ${netNs !== undefined ? `exec ${NET_NS_FD}< "$BERTH_NETNS"; ` : ""}` +
    `${ttySlave !== undefined ? `exec ${TTY_FD}<> "$BERTH_TTY"; ` : ""}exec "$@"`;
  const env: NodeJS.ProcessEnv = { ...process.env, ...notifier?.env(), BERTH_GATE: gate };
  if (netNs !== undefined) env.BERTH_NETNS = netNs;
  if (ttySlave !== undefined) env.BERTH_TTY = ttySlave;
  const child = spawn("/bin/sh", ["-c", script, "sh", criu, ...args], { stdio: "inherit", env });
  const exited = new Promise<{ code: number | null; signal: string | null }>((res, rej) => {
    child.on("error", rej);
    child.on("exit", (code, signal) => res({ code, signal }));
  });
  try {
    const pid = child.pid;
    if (pid === undefined) throw new BerthError("cannot start criu", { op: "restore", path: criu });
    if (cgm.start !== undefined) await cgm.start(pid);
    else cgm.enter(pid);
    await openGate(gate, pid);
  } catch (err) {
    try {
      child.kill("SIGKILL");
    } catch {
      /* gone */
    }
    await exited.catch(() => undefined);
    rmSync(gate, { force: true });
    throw err;
  }
  // The notifier's own failure (a fifo) is kept: criu then fails on the script's exit status.
  let notifyError: Error | undefined;
  const notified = notifier?.run().catch((err: unknown) => {
    notifyError = err instanceof Error ? err : new Error(String(err));
  });
  const r = await exited;
  notifier?.stop();
  await notified;
  rmSync(gate, { force: true });
  if (r.code === 0) return;
  // A hook that failed is the cause; criu's log only says the action script failed.
  if (notifier?.failure !== undefined) throw notifier.failure;
  if (notifyError !== undefined) throw notifyError;
  throw criuFailed("restore", logPath, `criu exited with ${r.code ?? r.signal}`);
}

async function openGate(gate: string, pid: number): Promise<void> {
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    try {
      const fd = openSync(gate, constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        writeSync(fd, "\n");
      } finally {
        closeSync(fd);
      }
      return;
    } catch (err) {
      if (!isErrno(err, "ENXIO")) throw BerthError.fromSys("restore: open criu's gate", gate, err);
    }
    if (readProcStat(pid) === undefined) throw new BerthError("criu's shell exited before it started", { op: "restore", path: gate });
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * In the foreground berth waits for the restored init (its child, through --restore-sibling),
 * forwarding signals, then deletes the container. The status is read from the zombie's
 * /proc/<pid>/stat (field 52, the wait status) before berth exits and the kernel reaps it.
 */
async function waitRestored(root: string, rec: ContainerRecord): Promise<number> {
  const stop = forwardSignals(rec.pid);
  let status = 0;
  try {
    for (let delay = 1; ; delay = Math.min(delay * 2, 100)) {
      const st = readProcStat(rec.pid);
      if (st === undefined || st.startTime !== rec.initStartTime) break;
      if (st.state === "Z" || st.state === "X") {
        status = exitStatusOf(rec.pid);
        break;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  } finally {
    stop();
  }
  await destroyContainer(root, rec);
  return status;
}

function exitStatusOf(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const ws = Number(fields[49]);
    if (!Number.isFinite(ws)) return 0;
    const sig = ws & 0x7f;
    return sig === 0 ? (ws >> 8) & 0xff : 128 + sig;
  } catch {
    return 0;
  }
}
