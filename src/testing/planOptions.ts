// Unit-test helper: the options of buildInitPlan for a plain create of container c1 from
// `bundle`, on a host probe that answers without looking at this machine.

import type { InitPlanOptions } from "../runtime/planBuilder.js";

export function planOptions(bundle: string, extra: Partial<InitPlanOptions> = {}): InitPlanOptions {
  return {
    bundle,
    fifoPath: "/run/berth/c1/exec.fifo",
    noPivot: false,
    preserveFds: 0,
    listenFds: 0,
    consoleSocket: false,
    wait: false,
    host: { hasKcore: () => false, lastCap: () => 40, inUserNs: () => false },
    ...extra,
  };
}
