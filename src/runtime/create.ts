// `create` (and the create half of `run`): validate → plan → claim the id →
// cgroups → berth-init → hooks → state.json + pid file. Any failure undoes
// everything this command made: processes, cgroups, the state directory.

import type { Socket } from "node:net";
import { checkTerminal, connectConsole, connectPidfd } from "./consoleSocket.js";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { BerthError } from "../errors.js";
import { log } from "../log.js";
import type { Spec } from "../spec/types.js";
import { loadAndValidateConfig, validateContainerId } from "../spec/validate.js";
import { checkRootlessConfig } from "../spec/rootless.js";
import { buildInitPlan, sessionKeyringName } from "./planBuilder.js";
import { createCgroupManager, userManagerCgroup } from "../linux/cgroups/newManager.js";
import { detectCgroupLayout } from "../linux/cgroups/detect.js";
import { checkCgroupDriver } from "../linux/cgroups/paths.js";
import { effectiveDeviceRules } from "../linux/cgroups/devices.js";
import { readPids } from "../linux/cgroups/files.js";
import { joinIntelRdt, removeIntelRdt, requireResctrl, setupIntelRdt, validateIntelRdt, type RdtPlacement } from "../linux/resctrl.js";
import type { CgroupManager } from "../linux/cgroups/types.js";
import { mountsUnder, unmountUnder } from "../linux/mountinfo.js";
import { egid, euid, rootlessCgroups, systemdInstance, type RootlessMode } from "../linux/userns.js";
import { writeIdMaps } from "../linux/idMaps.js";
import { placeInCgroups } from "./planCgroups.js";
import { runHelper, type HelperResult } from "./spawnInit.js";
import { runHooks, runHooksWarn } from "./hooks.js";
import { begin, span } from "../trace.js";
import { hostNotifySocket, setupNotify } from "./notifySocket.js";
import { startTimeOf } from "./procfs.js";
import {
  claimContainerDir,
  removeContainerDir,
  saveRecord,
  writeFileAtomic,
  hookState,
  FIFO_FILE,
  seccompCacheDir,
  type ContainerRecord,
} from "./stateStore.js";
import { containerRecord, recordBeforeCgroups } from "./record.js";
import { checkHostDevices, moveNetDevices, netDeviceMoves } from "./netDevices.js";
import { connectAgent, containerProcessState } from "./seccompAgent.js";
import { SECCOMP_FILTER_FLAG_NEW_LISTENER, type Seccomp } from "../linux/seccomp/profile.js";

export interface CreateOptions {
  root: string;
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  /** --pidfd-socket: where the init process sends a pidfd of itself. */
  pidfdSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  systemdCgroup: boolean;
  /** The global --rootless: whether cgroup permission errors are tolerated (default auto). */
  rootless?: RootlessMode;
  /** Foreground run: berth-init stays to wait for the container (and relays its tty). */
  wait: boolean;
  /** Detached (create, run -d): a terminal needs a console socket. */
  detach: boolean;
}

export interface Created {
  rec: ContainerRecord;
  helper: HelperResult;
}

/** Socket activation: fds handed to berth by LISTEN_PID/LISTEN_FDS are passed on. */
export function listenFdsFor(spec: Spec): number {
  const pid = Number(process.env.LISTEN_PID);
  const n = Number(process.env.LISTEN_FDS);
  if (pid !== process.pid || !(n > 0)) return 0;
  if (spec.process !== undefined) {
    const env = (spec.process.env ?? []).filter((e) => !e.startsWith("LISTEN_FDS=") && !e.startsWith("LISTEN_PID="));
    env.push(`LISTEN_FDS=${n}`);
    spec.process.env = env;
  }
  return n;
}

export async function createContainer(opts: CreateOptions): Promise<Created> {
  validateContainerId(opts.id);
  const bundle = resolve(opts.bundle ?? ".");
  const { spec, warnings } = span("validate config", () => loadAndValidateConfig(bundle));
  for (const w of warnings) log.warn(w);
  if (euid() !== 0) checkRootlessConfig(spec, egid());
  log.debug(`create ${opts.id}: bundle ${bundle}, config valid`);
  checkTerminal("create", spec.process?.terminal === true, opts);
  const listenFds = listenFdsFor(spec);
  const rootfs = resolve(bundle, spec.root?.path ?? "rootfs");
  // No mount namespace (runc's chroot mode): the container's mounts land on the
  // host below the rootfs; remember what was there before so delete removes only its own.
  const hostMounts =
    spec.linux?.namespaces?.some((n) => n.type === "mount") === true ? undefined : { rootfs, keep: mountsUnder(rootfs).map((m) => m.id) };
  // linux.intelRdt: its values, then the resctrl mount it needs (the spec's MUST), before anything is made.
  const rdtConfig = spec.linux?.intelRdt ?? undefined;
  if (rdtConfig !== undefined) validateIntelRdt(rdtConfig);
  const resctrlRoot = rdtConfig !== undefined ? requireResctrl() : undefined;
  const dir = claimContainerDir(opts.root, opts.id);
  let cg: CgroupManager | undefined;
  let rdt: RdtPlacement | undefined;
  let consoleSocket: Socket | undefined;
  let pidfdSocket: Socket | undefined;
  let agentSocket: Socket | undefined;
  let pidFileWritten = false;
  // Once hooks have begun, a failure stops the container and continues at
  // runtime.md step 12: destroy, then the poststop hooks.
  let hooksBegan = false;
  try {
    if (hostNotifySocket() !== undefined) setupNotify(spec, dir);
    // A caller that is not root drives its own systemd instance (cgroup v2 only); a host
    // without systemd is told first.
    const cgroupOpts = { cgroupsPath: spec.linux?.cgroupsPath, id: opts.id, systemd: opts.systemdCgroup };
    checkCgroupDriver(cgroupOpts);
    const instance = systemdInstance(opts.systemdCgroup, () => detectCgroupLayout().layout);
    const userManager = instance === "user" ? await userManagerCgroup() : undefined;
    cg = createCgroupManager(
      {
        ...cgroupOpts,
        annotations: spec.annotations,
        rootless: rootlessCgroups(opts.rootless, opts.systemdCgroup),
      },
      userManager,
    );
    const fifoPath = join(dir, FIFO_FILE);
    const built = span("build plan", () =>
      buildInitPlan(spec, {
        bundle,
        fifoPath,
        noPivot: opts.noPivot,
        preserveFds: opts.preserveFds,
        listenFds,
        consoleSocket: opts.consoleSocket !== undefined,
        wait: opts.wait,
        warn: (m) => log.warn(m),
        seccompCacheDir: seccompCacheDir(opts.root),
        // runc's default: the container gets a session keyring of its own.
        ...(opts.noNewKeyring ? {} : { sessionKeyring: sessionKeyringName(opts.id) }),
      }),
    );
    // linux.netDevices (checked by the plan builder): each must exist before anything starts.
    const netMoves = netDeviceMoves(spec, process.geteuid?.() ?? 0);
    if (netMoves.length > 0) span("check network devices", () => checkHostDevices(netMoves));
    const cgm = cg;
    const inputs = {
      id: opts.id,
      bundle,
      rootfs,
      spec,
      cgroup: cgm.state,
      systemdCgroup: opts.systemdCgroup,
      hostMounts,
      noNewKeyring: opts.noNewKeyring,
    };
    const record = (pid: number): ContainerRecord => {
      const startTime = startTimeOf(pid);
      if (startTime === undefined) throw new BerthError("container process exited during create", { op: "create" });
      return { ...containerRecord({ ...inputs, cgroup: cgm.state, intelRdt: rdt }, pid, startTime), creating: true };
    };
    // A berth killed from here on would leave cgroups: record the ones it is about to
    // make before making them, so that delete --force can remove them.
    saveRecord(opts.root, recordBeforeCgroups(inputs, cgm.plannedDirs?.() ?? []));
    const cgroupDone = begin("cgroup setup");
    cgm.create();
    log.debug(`create ${opts.id}: cgroups ${Object.values(cgm.state.paths).join(" ")}`);
    // As runc (1.2 on): a cgroup that already has processes is another container's or the
    // host's; limits set here would change theirs, and delete could not remove it.
    const busy = new Set<number>();
    for (const dir of new Set(Object.values(cgm.state.paths))) readPids(dir, true, busy);
    if (busy.size > 0) {
      throw new BerthError(`container's cgroup is not empty: ${busy.size} process(es) found`, {
        op: "create",
        path: "linux.cgroupsPath",
        hint: "give each container a cgroup of its own (a cgroupsPath no running container uses)",
      });
    }
    // Device rules always apply: runc's defaults hold even without linux.resources.
    await cgm.apply({ ...spec.linux?.resources, devices: effectiveDeviceRules(spec.linux) }, { warn: (m) => log.warn(m) });
    const entry = cgm.selfEntry();
    const plan = placeInCgroups(built, { state: cgm.state, entry });
    cgroupDone();
    if (resctrlRoot !== undefined && rdtConfig !== undefined) {
      rdt = span("intel RDT groups", () => setupIntelRdt(rdtConfig, opts.id, resctrlRoot));
      saveRecord(opts.root, { ...recordBeforeCgroups(inputs, cgm.plannedDirs?.() ?? []), intelRdt: rdt });
    }
    if (opts.consoleSocket !== undefined) consoleSocket = await connectConsole(opts.consoleSocket);
    if (opts.pidfdSocket !== undefined) pidfdSocket = await connectPidfd(opts.pidfdSocket, "create");
    const base = { id: opts.id, bundle, annotations: spec.annotations };
    // SCMP_ACT_NOTIFY: the listener goes to the agent at listenerPath (resolveProfile made sure there is one).
    const seccomp = spec.linux?.seccomp as Seccomp | null | undefined;
    const listenerPath = ((plan.seccomp?.flags ?? 0) & SECCOMP_FILTER_FLAG_NEW_LISTENER) !== 0 ? seccomp?.listenerPath : undefined;
    if (listenerPath !== undefined) agentSocket = await connectAgent(listenerPath, "create");
    log.debug(
      `create ${opts.id}: plan ready (${plan.mounts.length} mounts, ${plan.devices.length} devices${plan.seccomp !== undefined ? ", seccomp" : ""}); starting berth-init`,
    );
    const helper = await span("berth-init", () =>
      runHelper(
        plan,
        "create",
        {
          // berth-init places itself and the container (plan.cgroupTasks/cgroupInto).
          beforePlan: async (pid) => {
            if (entry.into !== undefined && plan.cgroupInto === undefined) cgm.enterDir(entry.into, pid);
            // What berth-init forks (the container) inherits its resctrl group.
            if (rdt !== undefined) joinIntelRdt(rdt, pid);
            // The systemd driver starts the container's unit with stage 1 in it.
            await cgm.start?.(pid);
          },
          // Recorded at once, so a berth killed before create ends leaves a container that
          // `delete --force` finds (status "creating") instead of an init nobody knows of.
          // A process already gone has sent, or is sending, its error: that is the one to report.
          onPid: (pid) => {
            if (startTimeOf(pid) !== undefined) saveRecord(opts.root, record(pid));
          },
          onUserMap: (pid) =>
            writeIdMaps(pid, spec.linux?.uidMappings, spec.linux?.gidMappings, { rootlessEuid: euid() !== 0, egid: egid() }),
          onHooks: (pid) => {
            // As runc: the devices are in the container's namespace before any hook runs.
            if (netMoves.length > 0) span("move network devices", () => moveNetDevices(netMoves, pid));
            hooksBegan = true;
            log.debug(`create ${opts.id}: running prestart and createRuntime hooks`);
            // The environment is in place (runtime.md lifecycle step 2 is done), so
            // the hooks of steps 3-5 see the container as `created`, which is also
            // what the runtime-tools hooks_stdin check expects.
            const created = hookState(base, "created", pid);
            span("prestart and createRuntime hooks", () => {
              runHooks("prestart", spec.hooks?.prestart, created);
              runHooks("createRuntime", spec.hooks?.createRuntime, created);
            });
            return created;
          },
          // runc's: the state as it is while being created, its pid that of the init process.
          seccompState: (pid) =>
            containerProcessState({
              pid,
              metadata: seccomp?.listenerMetadata,
              container: base,
              status: "creating",
              initPid: pid,
            }),
          onWarn: (m) => log.warn(m),
        },
        {
          console: consoleSocket,
          pidfd: pidfdSocket,
          seccompAgent: agentSocket === undefined || listenerPath === undefined ? undefined : { socket: agentSocket, path: listenerPath },
        },
      ),
    );
    const rec = record(helper.pid);
    delete rec.creating;
    saveRecord(opts.root, rec);
    log.debug(`create ${opts.id}: created, init pid ${helper.pid}`);
    if (opts.pidFile !== undefined) {
      writeFileAtomic(resolve(opts.pidFile), String(helper.pid));
      pidFileWritten = true;
    }
    consoleSocket?.destroy();
    pidfdSocket?.destroy();
    if (!opts.wait) {
      helper.channel.destroy();
      helper.child.unref();
    }
    return { rec, helper };
  } catch (err) {
    consoleSocket?.destroy();
    pidfdSocket?.destroy();
    agentSocket?.destroy();
    if (pidFileWritten && opts.pidFile !== undefined) removeQuiet(resolve(opts.pidFile));
    if (cg !== undefined) {
      try {
        await cg.destroy();
      } catch (e) {
        log.warn(`cleanup: ${(e as Error).message}`);
      }
    }
    if (rdt !== undefined) {
      try {
        removeIntelRdt(rdt);
      } catch (e) {
        log.warn(`cleanup: ${(e as Error).message}`);
      }
    }
    if (hostMounts !== undefined) {
      try {
        await unmountUnder(hostMounts.rootfs, hostMounts.keep);
      } catch (e) {
        log.warn(`cleanup: ${(e as Error).message}`);
      }
    }
    removeContainerDir(opts.root, opts.id);
    if (hooksBegan) {
      const stopped = hookState({ id: opts.id, bundle, annotations: spec.annotations }, "stopped");
      for (const w of runHooksWarn("poststop", spec.hooks?.poststop, stopped)) log.warn(w);
    }
    throw err;
  }
}

function removeQuiet(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    /* ignore */
  }
}
