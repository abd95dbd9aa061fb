// criu's notifications during restore, through its command line: criu runs an
// --action-script for each of them with CRTOOLS_SCRIPT_ACTION naming it and
// CRTOOLS_INIT_PID set to the restored root task's pid. The script berth writes
// passes "setup-namespaces" (the restored tasks exist in their namespaces but
// have not resumed) on to berth through a fifo and waits for berth's answer on a
// second one; berth runs the prestart and createRuntime hooks then, as runc does
// from criu's RPC notification of the same name. A hook that fails makes the
// script fail, and criu then aborts the restore.

import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { BerthError, isErrno } from "../errors.js";

/** The action script: criu's environment carries the fifos' paths (BERTH_NOTIFY, BERTH_REPLY). */
export const ACTION_SCRIPT = `#!/bin/sh
# berth restore: criu's setup-namespaces notification goes to berth, which runs the hooks.
[ "$CRTOOLS_SCRIPT_ACTION" = setup-namespaces ] || exit 0
echo "$CRTOOLS_INIT_PID" > "$BERTH_NOTIFY" || exit 1
read -r answer < "$BERTH_REPLY" || exit 1
[ "$answer" = ok ]
`;

const FILES = ["criu.action", "criu.notify", "criu.reply"] as const;

/** Parses what the script wrote to the notify fifo: the pid, once a whole line is there. */
export function parseNotification(text: string): number | undefined {
  const nl = text.indexOf("\n");
  if (nl < 0) return undefined;
  const pid = Number(text.slice(0, nl).trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new BerthError(`criu's setup-namespaces notification has no pid: ${JSON.stringify(text.slice(0, nl))}`, {
      op: "restore",
      path: "CRTOOLS_INIT_PID",
    });
  }
  return pid;
}

export class SetupNamespacesNotifier {
  readonly script: string;
  private readonly notify: string;
  private readonly reply: string;
  private fd: number | undefined;
  private buf = "";
  private handled = false;
  private stopped = false;
  /** The handler's failure, which explains criu's ("Script ... exited with 1"). */
  failure: Error | undefined;

  /** Makes the script and the fifos in dir (the container's state directory). */
  constructor(
    private readonly dir: string,
    private readonly onSetupNamespaces: (pid: number) => void,
  ) {
    this.script = join(dir, FILES[0]);
    this.notify = join(dir, FILES[1]);
    this.reply = join(dir, FILES[2]);
    writeFileSync(this.script, ACTION_SCRIPT, { mode: 0o700 });
    execFileSync("mkfifo", ["-m", "0600", this.notify, this.reply]);
    // Open for reading now: the script's write then never waits for berth.
    this.fd = openSync(this.notify, constants.O_RDONLY | constants.O_NONBLOCK);
  }

  /** What criu's environment needs. */
  env(): Record<string, string> {
    return { BERTH_NOTIFY: this.notify, BERTH_REPLY: this.reply };
  }

  /** Handles the notification while criu runs; resolves once stop() is called. */
  async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.handled) {
        const pid = this.readNotification();
        if (pid !== undefined) {
          this.handled = true;
          let answer = "ok";
          try {
            this.onSetupNamespaces(pid);
          } catch (err) {
            this.failure = err instanceof Error ? err : new Error(String(err));
            answer = "fail";
          }
          await this.answer(answer);
          continue;
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /** Removes the script and the fifos. */
  cleanup(): void {
    this.stop();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    for (const f of FILES) rmSync(join(this.dir, f), { force: true });
  }

  private readNotification(): number | undefined {
    if (this.fd === undefined) return undefined;
    const chunk = Buffer.alloc(64);
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, chunk, 0, chunk.length, null);
      } catch (err) {
        if (isErrno(err, "EAGAIN")) break;
        throw BerthError.fromSys("restore: read criu's notification", this.notify, err);
      }
      if (n === 0) break;
      this.buf += chunk.subarray(0, n).toString("latin1");
    }
    return parseNotification(this.buf);
  }

  /** The script opens the reply fifo after its notification: retried until it has (or berth stops). */
  private async answer(text: string): Promise<void> {
    for (let delay = 1; !this.stopped; delay = Math.min(delay * 2, 20)) {
      try {
        const fd = openSync(this.reply, constants.O_WRONLY | constants.O_NONBLOCK);
        try {
          writeSync(fd, `${text}\n`);
        } finally {
          closeSync(fd);
        }
        return;
      } catch (err) {
        if (!isErrno(err, "ENXIO")) throw BerthError.fromSys("restore: answer criu's notification", this.reply, err);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
