// `berth check`: every probe in order, the verdict (can a default `berth spec`
// container run here?) and the report as aligned text or as JSON.

import { UNIFIED } from "../../linux/cgroups/detect.js";
import { cgroupModeItem, controllerItems, delegationItem, ioWeightItem, swapItem, systemdItem } from "./cgroups.js";
import {
  clone3Item,
  filesystemsItem,
  idmapItem,
  initItem,
  kernelItem,
  mountApiItem,
  namespaceItems,
  openat2Item,
  overlayItem,
  pidfdItem,
  privilegesItem,
  userNamespaceItem,
} from "./kernel.js";
import {
  apparmorItem,
  landlockItem,
  libseccompItem,
  selinuxItem,
  seccompFilterItem,
  seccompFlagsItem,
  seccompNotifyItem,
} from "./security.js";
import { criuItem, rootlessItems, stateRootItem } from "./tools.js";
import type { CheckItem, HostFacts } from "./types.js";

export interface CheckReport {
  /** Whether a default `berth spec` container (for a non-root caller: `berth spec --rootless`'s) can run here: no required item is missing. */
  ready: boolean;
  /** The caller is not root: the report is about rootless containers. */
  rootless?: boolean;
  kernel: string;
  items: CheckItem[];
}

export async function runCheck(f: HostFacts): Promise<CheckReport> {
  const layout = f.cgroupLayout();
  const isLayout = !("error" in layout);
  const v2 = isLayout && layout.layout === "v2";
  const cgroup2 = isLayout && layout.hierarchies[UNIFIED] !== undefined;
  const items: CheckItem[] = [
    kernelItem(f),
    privilegesItem(f),
    stateRootItem(f),
    initItem(f),
    ...namespaceItems(f, v2),
    userNamespaceItem(f),
    cgroupModeItem(layout),
    ...controllerItems(f, layout),
    delegationItem(f, layout),
    await systemdItem(f),
    ioWeightItem(f, layout),
    swapItem(f, layout),
    seccompFilterItem(f),
    seccompNotifyItem(f),
    seccompFlagsItem(f),
    libseccompItem(f),
    apparmorItem(f),
    selinuxItem(f),
    landlockItem(f),
    filesystemsItem(f),
    overlayItem(f),
    openat2Item(f),
    mountApiItem(f),
    idmapItem(f),
    clone3Item(f, cgroup2),
    pidfdItem(f),
    criuItem(f),
    ...rootlessItems(f),
  ];
  const report: CheckReport = { ready: !items.some((i) => i.required === true && i.status === "missing"), kernel: f.kernelRelease, items };
  if (f.euid !== 0) report.rootless = true;
  return report;
}

/** The report as aligned lines: status, item, what was found, and on the next line what to do. */
export function formatReport(r: CheckReport): string {
  const nameWidth = Math.max(...r.items.map((i) => i.name.length)) + 2;
  const statusWidth = "degraded".length + 2;
  const lines: string[] = [];
  for (const i of r.items) {
    lines.push(`${i.status.padEnd(statusWidth)}${i.name.padEnd(nameWidth)}${i.detail}`);
    if (i.status !== "ok" && i.fix !== undefined) lines.push(`${" ".repeat(statusWidth + nameWidth)}→ ${i.fix}`);
  }
  const count = (s: string) => r.items.filter((i) => i.status === s).length;
  lines.push("");
  lines.push(`${count("ok")} ok, ${count("degraded")} degraded, ${count("missing")} missing`);
  const blockers = r.items.filter((i) => i.required === true && i.status === "missing").map((i) => i.name);
  const what = r.rootless === true ? "a `berth spec --rootless` container" : "a default `berth spec` container";
  lines.push(r.ready ? `ready: berth can run ${what} here` : `not ready: ${what} cannot run here (missing: ${blockers.join(", ")})`);
  return lines.join("\n") + "\n";
}

export function reportJson(r: CheckReport): string {
  return JSON.stringify(r, null, 2) + "\n";
}
