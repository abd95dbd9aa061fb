// Linux security module labels (process.apparmorProfile, process.selinuxLabel,
// linux.mountLabel). berth does not write labels yet, so a config that asks for
// one fails, naming the field: on a host without that LSM, and on one with it.
// Running the container without the confinement it asks for is never an option.

import { readFileSync } from "node:fs";
import { BerthError } from "../errors.js";

function readOr(path: string, otherwise: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return otherwise;
  }
}

/**
 * The label-bearing LSMs enabled here: AppArmor when its module says so (as runc checks),
 * SELinux when selinuxfs is there; /sys/kernel/security/lsm adds what it lists when
 * securityfs is mounted.
 */
export function activeLsms(): string[] {
  const out = new Set(readOr("/sys/kernel/security/lsm", "").trim().split(",").filter((s) => s === "apparmor" || s === "selinux"));
  if (readOr("/sys/module/apparmor/parameters/enabled", "N").startsWith("Y")) out.add("apparmor");
  if (readOr("/sys/fs/selinux/enforce", "") !== "") out.add("selinux");
  return [...out];
}

const NAMES: Record<string, string> = { apparmor: "AppArmor", selinux: "SELinux" };

/**
 * Refuse a label berth cannot apply: `value` at JSON path (or flag) `path` asks for LSM `lsm`
 * ("apparmor" or "selinux").
 */
export function refuseLabel(path: string, value: string | undefined, lsm: "apparmor" | "selinux", lsms: string[], op = "invalid config"): void {
  if (value === undefined || value === null || value === "") return;
  const name = NAMES[lsm]!;
  if (!lsms.includes(lsm)) {
    throw new BerthError(`${name} is not enabled on this host, so ${JSON.stringify(value)} cannot be applied`, {
      op, path, hint: `remove ${path}, or run on a host with ${name} enabled`,
    });
  }
  throw new BerthError(`berth cannot apply ${name} labels yet; it refuses to run without the confinement asked for`, {
    op, path, hint: `remove ${path}`,
  });
}
