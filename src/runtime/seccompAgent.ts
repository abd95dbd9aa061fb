// The seccomp agent of linux.seccomp.listenerPath (runtime-spec config-linux.md): berth
// connects to its unix socket and writes the container process state; berth-init sends
// that state with the listener fd in SCM_RIGHTS on the connected socket
// (native/listener.c), at create and for each exec, as runc does.
//
// Why berth-init sends, not berth: Node cannot attach SCM_RIGHTS to a message on a unix
// socket (net.Socket has no sendmsg), and the listener is made inside the container
// process, which would first have to pass it out to Node, the same problem again. koffi
// could reach sendmsg, but at the cost of its ~35 ms load and a hand-built msghdr on every
// such create. So berth connects here, where a missing or refusing agent is reported with
// the config field to fix, and hands the connected socket to berth-init as it does the
// console socket; to berth-init the state is opaque bytes.

import type { Socket } from "node:net";
import { BerthError, describeErrno } from "../errors.js";
import { net } from "../lazy.js";
import { OCI_VERSION, specState } from "./stateStore.js";
import type { Status } from "./stateStore.js";

export const LISTENER_PATH = "linux.seccomp.listenerPath";

/**
 * How long berth waits for the agent: for the connection, and from the moment the
 * container process asks for its state until it is ready (berth-init hands on the listener
 * in between, after which the process's notified syscalls wait for the agent's answers).
 */
export const AGENT_TIMEOUT_MS = 10_000;

/** Connect to the agent's socket; a BerthError naming linux.seccomp.listenerPath when it cannot be had. */
export function connectAgent(path: string, op: string, timeoutMs = AGENT_TIMEOUT_MS): Promise<Socket> {
  return new Promise((resolvePromise, reject) => {
    const s = net().createConnection(path);
    const timer = setTimeout(() => {
      s.destroy();
      reject(
        new BerthError(`the seccomp agent at ${JSON.stringify(path)} did not accept the connection within ${timeoutMs / 1000}s`, {
          op,
          path: LISTENER_PATH,
          errno: "ETIMEDOUT",
          hint: "check that the agent is running and accepting connections",
        }),
      );
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(timer);
      s.removeAllListeners("error");
      resolvePromise(s);
    });
    s.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = typeof err.code === "string" ? err.code : undefined;
      reject(
        new BerthError(
          `cannot connect to the seccomp agent at ${JSON.stringify(path)}: ${code === undefined ? err.message : describeErrno(code)}`,
          {
            op,
            path: LISTENER_PATH,
            errno: code,
            cause: err,
            hint: "start the seccomp agent listening on that unix socket first, or fix listenerPath (SCMP_ACT_NOTIFY needs an agent)",
          },
        ),
      );
    });
  });
}

export interface ProcessStateInput {
  /** Host pid of the process whose listener is sent (the init process at create, the new one for exec). */
  pid: number;
  /** linux.seccomp.listenerMetadata. */
  metadata?: string;
  container: { id: string; bundle: string; annotations?: Record<string, string> };
  /** "creating" at create, "running" for exec (runc's values). */
  status: Status;
  /** pid in the container's state: its init process. */
  initPid: number;
}

/** The container process state (config-linux.md "The Container Process State") as JSON. */
export function containerProcessState(i: ProcessStateInput): string {
  const doc: Record<string, unknown> = { ociVersion: OCI_VERSION, fds: ["seccompFd"], pid: i.pid };
  if (i.metadata !== undefined && i.metadata !== "") doc.metadata = i.metadata;
  doc.state = specState(i.container, i.status, i.initPid);
  return JSON.stringify(doc);
}
