// `exec`: run a new process inside an existing container. It joins every
// namespace of the container and its cgroup, with the same process setup as
// init (user, groups, capabilities, rlimits, no_new_privs, cwd, terminal).

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Socket } from "node:net";
import { checkTerminal, connectConsole, connectPidfd } from "./consoleSocket.js";
import { BerthError } from "../errors.js";
import { log } from "../log.js";
import type { Process, Spec } from "../spec/types.js";
import { readJsonFile } from "../spec/readJson.js";
import { buildExecPlan, sessionKeyringName } from "./planBuilder.js";
import { loadCgroupManager } from "../linux/cgroups/manager.js";
import { joinIntelRdt } from "../linux/resctrl.js";
import { runHelper } from "./spawnInit.js";
import { begin, span } from "../trace.js";
import { loadRecord, loadSeccomp, seccompCacheDir, writeFileAtomic, type ContainerRecord } from "./stateStore.js";
import { SECCOMP_FILTER_FLAG_NEW_LISTENER, type Seccomp } from "../linux/seccomp/profile.js";
import { connectAgent, containerProcessState } from "./seccompAgent.js";
import { activeLsms, refuseLabel } from "../linux/lsm.js";
import { statusOf } from "./status.js";
import { forwardSignals } from "./signalForward.js";
import { namespacePathsOf } from "../linux/namespaces.js";

export interface ExecOptions {
  root: string;
  id: string;
  processFile?: string;
  args: string[];
  tty: boolean;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  /** --pidfd-socket: where the new process sends a pidfd of itself. */
  pidfdSocket?: string;
  cwd?: string;
  env: string[];
  user?: string;
  additionalGids: number[];
  caps: string[];
  noNewPrivs: boolean;
  preserveFds: number;
  ignorePaused: boolean;
  /** --apparmor: the new process's AppArmor profile; --process-label (SELinux) is refused: berth cannot apply it yet. */
  apparmor?: string;
  processLabel?: string;
}

function parseUser(spec: string): { uid: number; gid: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(spec);
  if (m === null) {
    throw new BerthError(`invalid user ${JSON.stringify(spec)}`, {
      op: "exec",
      path: "--user",
      hint: "use numeric uid[:gid], e.g. --user 1000:1000",
    });
  }
  return { uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : 0 };
}

function mergeEnv(base: string[], extra: string[]): string[] {
  const out = [...base];
  for (const kv of extra) {
    const key = kv.split("=", 1)[0];
    const i = out.findIndex((e) => e.split("=", 1)[0] === key);
    if (i >= 0) out[i] = kv;
    else out.push(kv);
  }
  return out;
}

/** The process to run: --process FILE as is, or the container's process adjusted by the flags. */
/** process.env of the container's bundle config.json, or none (with a warning) when it cannot be read. */
function bundleEnv(rec: ContainerRecord): string[] {
  try {
    const doc = readJsonFile(join(rec.bundle, "config.json"), "exec: read the bundle's config.json") as Spec;
    return Array.isArray(doc?.process?.env) ? doc.process.env.map(String) : [];
  } catch (err) {
    log.warn(`${(err as Error).message}; the process starts without the container's environment`);
    return [];
  }
}

export function execProcess(rec: ContainerRecord, opts: ExecOptions): Process {
  refuseLabel("--apparmor", opts.apparmor, "apparmor", activeLsms, "exec", true);
  refuseLabel("--process-label", opts.processLabel, "selinux", activeLsms, "exec");
  if (opts.processFile !== undefined) {
    let proc: Process;
    try {
      proc = JSON.parse(readFileSync(resolve(opts.processFile), "utf8")) as Process;
    } catch (err) {
      throw BerthError.fromSys(
        "exec: read process",
        opts.processFile,
        err,
        "--process must name a JSON file holding an OCI process object",
      );
    }
    if (typeof proc !== "object" || proc === null || !Array.isArray(proc.args) || proc.args.length === 0) {
      throw new BerthError("args must be a non-empty array", { op: "exec", path: `${opts.processFile}: args` });
    }
    if (typeof proc.cwd !== "string" || proc.cwd === "") proc.cwd = rec.config.process?.cwd ?? "/";
    if (proc.user === undefined) proc.user = { uid: 0, gid: 0 };
    // As runc: the container's profile unless the process names its own (or --apparmor does).
    const profile = opts.apparmor ?? (proc.apparmorProfile || rec.config.process?.apparmorProfile);
    if (profile) proc.apparmorProfile = profile;
    return proc;
  }
  if (opts.args.length === 0) {
    throw new BerthError("a command to run is required", {
      op: "exec",
      path: "<command>",
      hint: "berth exec <container-id> <command> [args…], or --process FILE",
    });
  }
  const base = structuredClone(rec.config.process ?? { cwd: "/", user: { uid: 0, gid: 0 } }) as Process;
  // state.json keeps no environment: the base env is the bundle's, as runc exec reads it.
  if (base.env === undefined) base.env = bundleEnv(rec);
  const proc: Process = { ...base, args: opts.args, terminal: opts.tty };
  delete proc.consoleSize;
  proc.env = mergeEnv(base.env ?? [], opts.env);
  if (opts.cwd !== undefined) proc.cwd = opts.cwd;
  if (opts.user !== undefined) proc.user = { ...parseUser(opts.user) };
  else proc.user = { ...base.user };
  if (opts.additionalGids.length > 0) proc.user.additionalGids = opts.additionalGids;
  if (opts.noNewPrivs) proc.noNewPrivileges = true;
  if (opts.apparmor !== undefined) proc.apparmorProfile = opts.apparmor;
  if (opts.caps.length > 0) {
    const caps = { ...(proc.capabilities ?? {}) };
    for (const c of opts.caps) {
      const name = c.toUpperCase().startsWith("CAP_") ? c.toUpperCase() : `CAP_${c.toUpperCase()}`;
      caps.bounding = [...(caps.bounding ?? []), name];
      caps.effective = [...(caps.effective ?? []), name];
      caps.permitted = [...(caps.permitted ?? []), name];
      if (caps.inheritable !== undefined && caps.inheritable.length > 0) caps.ambient = [...(caps.ambient ?? []), name];
    }
    proc.capabilities = caps;
  }
  return proc;
}

/**
 * A rootless container whose only gid is the caller's own has setgroups denied in its
 * user namespace: supplementary groups cannot be given to a process there.
 */
function refuseDeniedGroups(rec: ContainerRecord, proc: Process, opts: ExecOptions): void {
  if ((proc.user.additionalGids ?? []).length === 0) return;
  let policy: string;
  try {
    policy = readFileSync(`/proc/${rec.pid}/setgroups`, "utf8").trim();
  } catch {
    return; // no such file (old kernel) or the container is gone: exec says so
  }
  if (policy !== "deny") return;
  const path =
    opts.additionalGids.length > 0
      ? "--additional-gids"
      : opts.processFile !== undefined
        ? `${opts.processFile}: user.additionalGids`
        : "process.user.additionalGids";
  throw new BerthError(
    "supplementary groups cannot be set: the container's user namespace denies setgroups (a rootless container with only its user's gid mapped)",
    {
      op: "exec",
      path,
      errno: "EPERM",
      hint: "drop the additional gids",
    },
  );
}

/**
 * Put the new process in the container's cgroup. Rootless, as runc: a cgroup the caller may
 * not write (a container created by a process in another delegated subtree, say) leaves the
 * process where it is, with a warning; except in a unit of the user's systemd instance, which
 * is asked to move it (it can, through the system instance) before giving up.
 */
async function enterCgroup(cg: ReturnType<typeof loadCgroupManager> | undefined, rec: ContainerRecord, pid: number): Promise<void> {
  try {
    cg?.enter(pid, rec.pid);
  } catch (err) {
    const errno = err instanceof BerthError ? err.errno : undefined;
    if (rec.cgroup.rootless !== true || (errno !== "EACCES" && errno !== "EPERM" && errno !== "EROFS")) throw err;
    let why = (err as Error).message;
    if (cg?.attach !== undefined) {
      try {
        await cg.attach(pid);
        return;
      } catch (again) {
        why += `; systemd: ${(again as Error).message}`;
      }
    }
    log.warn(`exec: the process stays out of the container's cgroup (${why}): it is not under the container's limits`);
  }
}

/** Returns the exit status for berth (the process's status when in the foreground). */
export async function execInContainer(opts: ExecOptions): Promise<number> {
  const validated = begin("validate (state, process)");
  const rec = loadRecord(opts.root, opts.id);
  const status = statusOf(opts.root, rec);
  if (status === "stopped")
    throw new BerthError("cannot exec in a stopped container", { op: "exec", path: opts.id, hint: "the container's init has exited" });
  if (status === "paused" && !opts.ignorePaused)
    throw new BerthError("cannot exec in a paused container", {
      op: "exec",
      path: opts.id,
      hint: "resume it first, or pass --ignore-paused",
    });
  const proc = execProcess(rec, opts);
  refuseDeniedGroups(rec, proc, opts);
  if (opts.tty) proc.terminal = true;
  checkTerminal("exec", proc.terminal === true, opts);
  validated();
  const namespaces = namespacePathsOf(rec.config.linux?.namespaces, rec.pid);
  const seccomp = loadSeccomp(opts.root, rec) as Seccomp | null | undefined;
  const plan = span("build plan", () =>
    buildExecPlan(proc, {
      initPid: rec.pid,
      namespaces,
      userns: namespaces.some((n) => n.type === "user"),
      preserveFds: opts.preserveFds,
      consoleSocket: opts.consoleSocket !== undefined,
      wait: !opts.detach,
      detach: opts.detach,
      defaults: {
        capabilities: rec.config.process?.capabilities,
        noNewPrivileges: rec.config.process?.noNewPrivileges,
        rlimits: rec.config.process?.rlimits,
        oomScoreAdj: rec.config.process?.oomScoreAdj,
        umask: rec.config.process?.user.umask,
      },
      seccomp,
      seccompCacheDir: seccompCacheDir(opts.root),
      personality: rec.config.linux?.personality,
      memoryPolicy: rec.config.linux?.memoryPolicy,
      ...(rec.noNewKeyring !== true ? { sessionKeyring: sessionKeyringName(rec.id) } : {}),
      ...(rec.hostMounts !== undefined ? { chrootRootfs: rec.rootfs } : {}),
      warn: (m) => log.warn(m),
    }),
  );
  const console = opts.consoleSocket !== undefined ? await connectConsole(opts.consoleSocket) : undefined;
  const cg = rec.cgroup.paths !== undefined && Object.keys(rec.cgroup.paths).length > 0 ? loadCgroupManager(rec.cgroup) : undefined;
  // runc sends the new process's listener to the agent too, with the container "running".
  const listenerPath = ((plan.seccomp?.flags ?? 0) & SECCOMP_FILTER_FLAG_NEW_LISTENER) !== 0 ? seccomp?.listenerPath : undefined;
  let agent: { socket: Socket; path: string } | undefined;
  let helper;
  let pidfd: Socket | undefined;
  try {
    if (opts.pidfdSocket !== undefined) pidfd = await connectPidfd(opts.pidfdSocket, "exec");
    if (listenerPath !== undefined) agent = { socket: await connectAgent(listenerPath, "exec"), path: listenerPath };
    helper = await span("berth-init", () =>
      runHelper(
        plan,
        "exec",
        {
          beforePlan: async (pid) => {
            await enterCgroup(cg, rec, pid);
            if (rec.intelRdt !== undefined) joinIntelRdt(rec.intelRdt, pid);
          },
          seccompState: (pid) =>
            containerProcessState({
              pid,
              metadata: seccomp?.listenerMetadata,
              container: rec,
              status: "running",
              initPid: rec.pid,
            }),
          onWarn: (m) => log.warn(m),
        },
        { console, pidfd, seccompAgent: agent },
      ),
    );
  } finally {
    console?.destroy();
    pidfd?.destroy();
    agent?.socket.destroy();
  }
  // As runc: the pid file is written in the foreground too, before waiting, and stays. When
  // it cannot be written the process is killed and exec fails, as with runc.
  if (opts.pidFile !== undefined) {
    try {
      writeFileAtomic(resolve(opts.pidFile), String(helper.pid));
    } catch (err) {
      try {
        process.kill(helper.pid, "SIGKILL");
      } catch {
        /* gone */
      }
      helper.channel.destroy();
      throw new BerthError((err as Error).message, {
        op: "exec",
        path: "--pid-file",
        cause: err,
        hint: "--pid-file must name a file in an existing, writable directory",
      });
    }
  }
  if (opts.detach) {
    helper.channel.destroy();
    helper.child.unref();
    return 0;
  }
  helper.channel.destroy();
  const stop = forwardSignals(helper.pid);
  try {
    return await span("process running", () => helper.exited, "container");
  } finally {
    stop();
  }
}
