// `berth update`: runc's individual flags become a LinuxResources patch here, as
// runc's update.go builds libcontainer's typed resources; the runtime applies it.

import { log } from "../../log.js";
import { updateContainer } from "../../runtime/update.js";
import type { Resources } from "../../spec/types.js";
import type { CommandOptions } from "../options.js";

type UpdateOptions = CommandOptions<"update">;
type Obj = Record<string, unknown>;

/** Flag → where its value goes in LinuxResources. */
const FIELDS = {
  blkioWeight: ["blockIO", "weight"],
  cpuPeriod: ["cpu", "period"],
  cpuQuota: ["cpu", "quota"],
  cpuBurst: ["cpu", "burst"],
  cpuShare: ["cpu", "shares"],
  cpuRtPeriod: ["cpu", "realtimePeriod"],
  cpuRtRuntime: ["cpu", "realtimeRuntime"],
  cpuIdle: ["cpu", "idle"],
  cpusetCpus: ["cpu", "cpus"],
  cpusetMems: ["cpu", "mems"],
  memory: ["memory", "limit"],
  memoryReservation: ["memory", "reservation"],
  memorySwap: ["memory", "swap"],
  kernelMemory: ["memory", "kernel"],
  kernelMemoryTcp: ["memory", "kernelTCP"],
  pidsLimit: ["pids", "limit"],
} as const satisfies Partial<Record<keyof UpdateOptions, readonly [string, string]>>;

type ResourceFlags = Partial<Pick<UpdateOptions, keyof typeof FIELDS | "l3CacheSchema" | "memBwSchema">>;

/** A LinuxResources document from runc's individual flags (values already read by the grammar's types). */
export function resourcesFromFlags(o: ResourceFlags): Resources {
  const out: Obj = {};
  for (const [key, [section, field]] of Object.entries(FIELDS)) {
    const v = o[key as keyof typeof FIELDS];
    if (v === undefined) continue;
    (out[section] ??= {}) as Obj;
    (out[section] as Obj)[field] = v;
  }
  return out as Resources;
}

export async function handler(o: UpdateOptions): Promise<number> {
  // Intel RDT's flags apply even with --resources, as runc's.
  const rdt = { l3: o.l3CacheSchema, mb: o.memBwSchema };
  if (o.resources !== undefined && o.resources !== "") {
    for (const key of Object.keys(FIELDS) as (keyof typeof FIELDS)[]) {
      if (o[key] !== undefined) log.warn(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is ignored: --resources is given`);
    }
    await updateContainer({ root: o.root, id: o.id, request: { file: o.resources }, rdt });
  } else {
    await updateContainer({ root: o.root, id: o.id, request: { resources: resourcesFromFlags(o) }, rdt });
  }
  return 0;
}
