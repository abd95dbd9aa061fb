// The caller's hand-off sockets: --console-socket (the pty master) and --pidfd-socket
// (a pidfd of the container process). berth connects on the host and hands the
// connected socket to berth-init, which sends the fd over it.
import type { Socket } from "node:net";
import { BerthError } from "../errors.js";
import { net } from "../lazy.js";
import { hasSyscall } from "../linux/syscallProbe.js";

export type HandoffFlag = "--console-socket" | "--pidfd-socket";

/** A connection to the unix socket a hand-off flag names; errors name the flag. */
export function connectHandoff(path: string, flag: HandoffFlag): Promise<Socket> {
  const what = flag === "--console-socket" ? "console socket" : "pidfd socket";
  return new Promise((resolvePromise, reject) => {
    const s = net().createConnection(path);
    s.once("connect", () => {
      s.removeAllListeners("error");
      resolvePromise(s);
    });
    s.once("error", (err) => reject(BerthError.fromSys(`connect to ${what}`, path, err, `${flag} must name a listening unix socket`)));
  });
}

export function connectConsole(path: string): Promise<Socket> {
  return connectHandoff(path, "--console-socket");
}

/** As runc: the kernel must have pidfd_open (Linux 5.3), checked before anything is made. */
export function connectPidfd(path: string, op: string): Promise<Socket> {
  if (!hasSyscall("pidfd_open")) {
    throw new BerthError("--pidfd-socket needs pidfd_open, which this kernel lacks", {
      op,
      path: "--pidfd-socket",
      errno: "ENOSYS",
      hint: "Linux 5.3 or later; or drop --pidfd-socket",
    });
  }
  return connectHandoff(path, "--pidfd-socket");
}

/** runc's rule: a terminal with detach needs a console socket, and a console socket needs both. */
export function checkTerminal(op: string, tty: boolean, opts: { detach: boolean; consoleSocket?: string }): void {
  if (tty && opts.detach && opts.consoleSocket === undefined) {
    throw new BerthError("cannot allocate tty if berth will detach without setting console socket", {
      op,
      path: "--console-socket",
      hint: "pass --console-socket, or set process.terminal to false",
    });
  }
  if (opts.consoleSocket !== undefined && (!tty || !opts.detach)) {
    throw new BerthError("cannot use console socket if berth will not detach or allocate tty", {
      op,
      path: "--console-socket",
      hint: "set process.terminal to true and detach, or drop --console-socket",
    });
  }
}
