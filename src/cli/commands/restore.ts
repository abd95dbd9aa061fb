import { restoreContainer } from "../../runtime/restore.js";
import type { CommandOptions } from "../options.js";

export async function handler(o: CommandOptions<"restore">): Promise<number> {
  return restoreContainer({
    root: o.root,
    id: o.id,
    criu: o.criu,
    imagePath: o.imagePath,
    workPath: o.workPath,
    bundle: o.bundle,
    detach: o.detach,
    pidFile: o.pidFile,
    consoleSocket: o.consoleSocket,
    systemdCgroup: o.systemdCgroup,
    tcpEstablished: o.tcpEstablished,
    extUnixSk: o.extUnixSk,
    shellJob: o.shellJob,
    fileLocks: o.fileLocks,
    autoDedup: o.autoDedup,
    manageCgroupsMode: o.manageCgroupsMode,
    emptyNs: o.emptyNs,
    lsmProfile: o.lsmProfile,
    lsmMountContext: o.lsmMountContext,
  });
}
