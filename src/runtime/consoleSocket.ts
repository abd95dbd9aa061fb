// Connecting to the caller's --console-socket. berth connects on the host and
// hands the connected socket to berth-init, which sends the pty master over it.
import type { Socket } from "node:net";
import { BerthError } from "../errors.js";
import { net } from "../lazy.js";

export function connectConsole(path: string): Promise<Socket> {
  return new Promise((resolvePromise, reject) => {
    const s = net().createConnection(path);
    s.once("connect", () => { s.removeAllListeners("error"); resolvePromise(s); });
    s.once("error", (err) => reject(BerthError.fromSys("connect to console socket", path, err, "--console-socket must name a listening unix socket")));
  });
}

/** runc's rule: a terminal with detach needs a console socket, and a console socket needs both. */
export function checkTerminal(op: string, tty: boolean, opts: { detach: boolean; consoleSocket?: string }): void {
  if (tty && opts.detach && opts.consoleSocket === undefined) {
    throw new BerthError("cannot allocate tty if berth will detach without setting console socket", { op, path: "--console-socket", hint: "pass --console-socket, or set process.terminal to false" });
  }
  if (opts.consoleSocket !== undefined && (!tty || !opts.detach)) {
    throw new BerthError("cannot use console socket if berth will not detach or allocate tty", { op, path: "--console-socket", hint: "set process.terminal to true and detach, or drop --console-socket" });
  }
}
