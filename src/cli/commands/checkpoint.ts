import { checkpointContainer } from "../../runtime/checkpoint.js";
import type { CommandOptions } from "../options.js";

export async function handler(o: CommandOptions<"checkpoint">): Promise<number> {
  await checkpointContainer({
    root: o.root,
    id: o.id,
    criu: o.criu,
    imagePath: o.imagePath,
    workPath: o.workPath,
    parentPath: o.parentPath,
    leaveRunning: o.leaveRunning,
    preDump: o.preDump,
    tcpEstablished: o.tcpEstablished,
    extUnixSk: o.extUnixSk,
    shellJob: o.shellJob,
    fileLocks: o.fileLocks,
    autoDedup: o.autoDedup,
    manageCgroupsMode: o.manageCgroupsMode,
    emptyNs: o.emptyNs,
    tcpSkipInFlight: o.tcpSkipInFlight,
    linkRemap: o.linkRemap,
    pageServer: o.pageServer,
  });
  return 0;
}
