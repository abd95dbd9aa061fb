// Starting berth-init and driving the sync protocol (native/PROTOCOL.md).
// TypeScript spawns the helper, places it in the container's cgroups before
// the plan is sent (so every process it creates inherits them), answers its
// requests (uid/gid maps, host hooks) and returns once the container process
// reports ready.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Socket } from "node:net";
import { BerthError, errnoName } from "../errors.js";
import { AGENT_TIMEOUT_MS, LISTENER_PATH } from "./seccompAgent.js";
import { Msg } from "./protocol.js";
import type { Plan } from "./plan.js";
import { encodePlan } from "./planCodec.js";
import { SyncChannel, decodeError, type Frame } from "./syncChannel.js";
import { spawnHelper, type HelperProcess, type StdioSlot } from "./helperProcess.js";
import { begin, now, record, traceEnabled } from "../trace.js";

export interface HelperCallbacks {
  /** Called with stage 1's pid before the plan is sent: enter cgroups here (awaited when it returns a promise). */
  beforePlan(stage1Pid: number): void | Promise<void>;
  /** Called once the container process's pid is known (before hooks and readiness). */
  onPid?(pid: number): void;
  /** Write uid/gid maps for pid. */
  onUserMap?(pid: number): void;
  /** Run prestart/createRuntime; return the state JSON for in-container hooks. */
  onHooks?(pid: number): string;
  /** The container process state berth-init sends to the seccomp agent with the listener. */
  seccompState?(pid: number): string;
  onWarn?(msg: string): void;
}

/** Connected sockets berth-init uses: the caller's --console-socket and --pidfd-socket, the seccomp agent's. */
export interface HelperSockets {
  console?: Socket;
  pidfd?: Socket;
  /** With its listenerPath, for errors; needed when plan.seccomp makes a listener. */
  seccompAgent?: { socket: Socket; path: string };
}

export interface HelperResult {
  /** Host pid of the container process (init, or the exec'd process). */
  pid: number;
  child: HelperProcess;
  /** Settles when stage 1 exits: its exit status (128+N for signal N). */
  exited: Promise<number>;
  channel: SyncChannel;
}

let cachedInitPath: string | undefined;

/** Defined (true) by scripts/compile.mjs in the compiled executable; absent elsewhere. */
declare const BERTH_COMPILED: boolean | undefined;

export function initBinaryPath(): string {
  if (cachedInitPath !== undefined) return cachedInitPath;
  const env = process.env.BERTH_INIT;
  // The compiled executable's modules live in a file system embedded in it, so it
  // looks beside itself; otherwise beside the module (dist/ for the Node bundle) or
  // in the source tree (tests run from src/).
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates =
    env !== undefined && env !== ""
      ? [env]
      : typeof BERTH_COMPILED !== "undefined" && BERTH_COMPILED
        ? [join(dirname(process.execPath), "berth-init")]
        : [join(here, "berth-init"), join(here, "../../native/berth-init"), join(here, "../native/berth-init")];
  for (const c of candidates) {
    if (existsSync(c)) return (cachedInitPath = c);
  }
  throw new BerthError("berth-init not found", { op: "start helper", path: candidates.join(", "), hint: "run `make build`" });
}

/**
 * Spawn berth-init with the plan and run the protocol until MSG_READY.
 * On any failure every process it made is killed before the error is thrown.
 */
export async function runHelper(built: Plan, op: string, cb: HelperCallbacks, sockets: HelperSockets = {}): Promise<HelperResult> {
  const n = built.preserveFds + built.listenFds;
  const stdio: StdioSlot[] = ["inherit", "inherit", "inherit"];
  for (let i = 0; i < n; i++) stdio.push(3 + i);
  const syncIndex = stdio.length;
  stdio.push("pipe");
  // Where the sockets land in berth-init's fd table is this function's to say: the plan
  // sent is the one built, with those fd numbers (and --trace) added.
  const slot = (s: Socket): number => stdio.push(s) - 1;
  const agent = sockets.seccompAgent;
  const plan: Plan = {
    ...built,
    ...(sockets.console === undefined ? {} : { consoleSocketFd: slot(sockets.console) }),
    ...(sockets.pidfd === undefined ? {} : { pidfdSocketFd: slot(sockets.pidfd) }),
    ...(built.seccomp === undefined || agent === undefined ? {} : { seccomp: { ...built.seccomp, agentFd: slot(agent.socket) } }),
    ...(traceEnabled() ? { trace: true } : {}),
  };
  let child: HelperProcess;
  const spawned = begin("spawn berth-init");
  try {
    child = spawnHelper(initBinaryPath(), stdio, { _BERTH_SYNC_FD: String(syncIndex) });
  } catch (err) {
    throw BerthError.fromSys(op, "--preserve-fds", err, "every preserved fd must be open in the calling process");
  }
  spawned();
  const spawnError = child.error;
  const exited = child.exited;
  // berth-init has its own copy: the agent sees the connection close once berth-init sent its message.
  agent?.socket.destroy();
  const channel = new SyncChannel(child.sync);
  const marks = new InitMarks();
  let pid = 0;
  // Set once the container process asks for the seccomp agent's state: from then on it
  // must be ready within AGENT_TIMEOUT_MS (its notified syscalls wait for the agent).
  let agentDeadline: number | undefined;
  const fail = async (err: unknown): Promise<never> => {
    if (pid > 0)
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    if (child.pid !== undefined)
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    channel.destroy();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    throw err;
  };
  if (child.pid === undefined) {
    const e = await spawnError;
    return fail(BerthError.fromSys(op, initBinaryPath(), e));
  }
  try {
    const entered = begin("enter cgroup");
    await cb.beforePlan(child.pid);
    entered();
    const encoded = encodePlan(plan);
    marks.planSent = now();
    channel.send(Msg.PLAN, encoded);
    for (;;) {
      const frame =
        agentDeadline === undefined ? await channel.next() : await nextBefore(channel, agentDeadline, () => agentTimeout(op, agent?.path));
      if (frame === null) {
        const status = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(-1), 1000))]);
        throw new BerthError(`container process exited before it was ready${status >= 0 ? ` (status ${status})` : ""}`, {
          op,
          hint: "run with --debug for details",
        });
      }
      switch (frame.type) {
        case Msg.USERMAP:
          if (cb.onUserMap === undefined) throw new BerthError("unexpected uid/gid map request", { op });
          cb.onUserMap(frame.payload.readUInt32LE(0));
          channel.send(Msg.USERMAP_DONE);
          break;
        case Msg.PID:
          pid = frame.payload.readUInt32LE(0);
          cb.onPid?.(pid);
          break;
        case Msg.HOOKS: {
          const state = cb.onHooks?.(pid) ?? "{}";
          channel.send(Msg.HOOKS_DONE, Buffer.from(state));
          break;
        }
        case Msg.SECCOMP: {
          if (cb.seccompState === undefined || agent === undefined)
            throw new BerthError("unexpected request for the seccomp agent's state", { op });
          channel.send(Msg.SECCOMP_STATE, Buffer.from(cb.seccompState(pid)));
          agentDeadline = Date.now() + AGENT_TIMEOUT_MS;
          break;
        }
        case Msg.MARK:
          marks.add(frame.payload);
          break;
        case Msg.WARN:
          cb.onWarn?.(frame.payload.toString("utf8"));
          break;
        case Msg.ERROR: {
          const e = decodeError(frame.payload);
          const errno = e.errno > 0 ? errnoName(e.errno) : undefined;
          // berth-init knows no config field: its hand-off errors say "seccomp agent: …".
          if (agent !== undefined && e.message.startsWith("seccomp agent: ")) {
            throw new BerthError(`${e.message} at ${JSON.stringify(agent.path)}`, { op, path: LISTENER_PATH, errno });
          }
          throw new BerthError(e.message, { op, errno });
        }
        case Msg.READY:
          if (pid <= 0) throw new BerthError("helper reported ready before the container pid", { op });
          marks.flush();
          return { pid, child, exited, channel };
        default:
          throw new BerthError(`unknown message type ${frame.type} from berth-init`, { op });
      }
    }
  } catch (err) {
    marks.flush();
    if (!(err instanceof BerthError)) return fail(BerthError.fromSys(op, undefined, err));
    return fail(err);
  }
}

/**
 * berth-init's stage marks (--trace), put on this process's clock. Both read CLOCK_MONOTONIC,
 * but this process's clock may count from another origin (Bun's counts from its start). The
 * offset between them is bounded: berth-init received the plan after it was sent, and each mark
 * ended before it arrived here. The tightest arrival bound is used (each stage as late as the
 * messages allow), so a stage never seems to end after berth could know of it.
 */
class InitMarks {
  planSent = 0n;
  private readonly list: { name: string; start: bigint; end: bigint; arrived: bigint }[] = [];

  add(payload: Buffer): void {
    this.list.push({
      name: payload.subarray(16).toString("utf8"),
      start: payload.readBigUInt64LE(0),
      end: payload.readBigUInt64LE(8),
      arrived: now(),
    });
  }

  flush(): void {
    const first = this.list[0];
    if (first === undefined) return;
    const high = first.start - this.planSent;
    let offset = this.list.reduce((m, k) => (k.end - k.arrived > m ? k.end - k.arrived : m), first.end - first.arrived);
    if (offset > high) offset = high;
    for (const k of this.list) record(`init: ${k.name}`, k.start - offset, k.end - offset, "berth-init");
    this.list.length = 0;
  }
}

/** The next frame, or the error of onTimeout() once the deadline has passed. */
function nextBefore(channel: SyncChannel, deadline: number, onTimeout: () => Error): Promise<Frame | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), Math.max(0, deadline - Date.now()));
    channel.next().then(
      (f) => {
        clearTimeout(timer);
        resolve(f);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new BerthError(String(e), { op: "read from berth-init" }));
      },
    );
  });
}

function agentTimeout(op: string, path: string | undefined): BerthError {
  return new BerthError(
    `the container process was not ready ${AGENT_TIMEOUT_MS / 1000}s after it asked for its seccomp agent's state: the agent${path === undefined ? "" : ` at ${JSON.stringify(path)}`} has not taken the listener, or does not answer the notifications of the process's syscalls`,
    {
      op,
      path: LISTENER_PATH,
      errno: "ETIMEDOUT",
      hint: "check that the seccomp agent receives the listener and answers every notification",
    },
  );
}
