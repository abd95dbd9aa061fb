import { execInContainer } from "../../runtime/exec.js";
import { BerthError } from "../../errors.js";
import type { CommandOptions } from "../options.js";

/** --additional-gids: repeated, each a comma-separated list. */
function gids(values: string[]): number[] {
  return values
    .flatMap((v) => v.split(","))
    .filter((v) => v !== "")
    .map((v) => {
      if (!/^\d+$/.test(v)) throw new BerthError(`invalid gid ${JSON.stringify(v)}`, { op: "exec", path: "--additional-gids" });
      return Number(v);
    });
}

export async function handler(o: CommandOptions<"exec">): Promise<number> {
  return execInContainer({
    root: o.root,
    id: o.id,
    processFile: o.process,
    args: o.command,
    tty: o.tty,
    detach: o.detach,
    pidFile: o.pidFile,
    consoleSocket: o.consoleSocket,
    pidfdSocket: o.pidfdSocket,
    cwd: o.cwd,
    env: o.env,
    user: o.user,
    additionalGids: gids(o.additionalGids),
    caps: o.cap,
    noNewPrivs: o.noNewPrivs,
    preserveFds: o.preserveFds,
    ignorePaused: o.ignorePaused,
    apparmor: o.apparmor,
    processLabel: o.processLabel,
  });
}
