import { createContainer } from "../../runtime/create.js";
import { nonNegativeInt, requireId, type GlobalArgs } from "../options.js";

export function createOptions(argv: Record<string, unknown> & GlobalArgs) {
  return {
    root: argv.root,
    id: requireId(argv, "create"),
    bundle: argv.bundle as string | undefined,
    pidFile: argv["pid-file"] as string | undefined,
    consoleSocket: argv["console-socket"] as string | undefined,
    noPivot: argv["no-pivot"] === true,
    noNewKeyring: argv["no-new-keyring"] === true,
    preserveFds: nonNegativeInt(argv["preserve-fds"], "--preserve-fds"),
    systemdCgroup: argv["systemd-cgroup"] === true,
  };
}

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  await createContainer({ ...createOptions(argv), wait: false, detach: true });
  return 0;
}
