import { execInContainer } from "../../runtime/exec.js";
import { BerthError } from "../../errors.js";
import { nonNegativeInt, requireId, type GlobalArgs } from "../options.js";

function gids(values: unknown): number[] {
  return (values as string[]).flatMap((v) => String(v).split(",")).filter((v) => v !== "").map((v) => {
    if (!/^\d+$/.test(v)) throw new BerthError(`invalid gid ${JSON.stringify(v)}`, { op: "exec", path: "--additional-gids" });
    return Number(v);
  });
}

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  const rest = [...((argv.command as string[] | undefined) ?? []), ...((argv["--"] as string[] | undefined) ?? [])].map(String);
  return execInContainer({
    root: argv.root,
    id: requireId(argv, "exec"),
    processFile: argv.process as string | undefined,
    args: rest,
    tty: argv.tty === true,
    detach: argv.detach === true,
    pidFile: argv["pid-file"] as string | undefined,
    consoleSocket: argv["console-socket"] as string | undefined,
    cwd: argv.cwd as string | undefined,
    env: (argv.env as string[]).map(String),
    user: argv.user as string | undefined,
    additionalGids: gids(argv["additional-gids"]),
    caps: (argv.cap as string[]).map(String),
    noNewPrivs: argv["no-new-privs"] === true,
    preserveFds: nonNegativeInt(argv["preserve-fds"], "--preserve-fds"),
    ignorePaused: argv["ignore-paused"] === true,
    apparmor: argv.apparmor as string | undefined,
    processLabel: argv["process-label"] as string | undefined,
  });
}
