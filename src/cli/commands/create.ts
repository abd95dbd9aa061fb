import { createContainer, type CreateOptions } from "../../runtime/create.js";
import type { CommandOptions } from "../options.js";

export function createOptions(o: CommandOptions<"create"> | CommandOptions<"run">): Omit<CreateOptions, "wait" | "detach"> {
  return {
    root: o.root,
    id: o.id,
    bundle: o.bundle,
    pidFile: o.pidFile,
    consoleSocket: o.consoleSocket,
    pidfdSocket: o.pidfdSocket,
    noPivot: o.noPivot,
    noNewKeyring: o.noNewKeyring,
    preserveFds: o.preserveFds,
    systemdCgroup: o.systemdCgroup,
    rootless: o.rootless,
  };
}

export async function handler(o: CommandOptions<"create">): Promise<number> {
  await createContainer({ ...createOptions(o), wait: false, detach: true });
  return 0;
}
