// Linux security module labels (process.apparmorProfile, process.selinuxLabel,
// linux.mountLabel). An AppArmor profile is applied as runc does: berth-init writes
// "exec PROFILE" to the process's own exec attribute before it drops privileges, so
// the profile takes hold at execve. SELinux labels are not applied yet: a config that
// asks for one fails, naming the field. So does any label on a host without its LSM.
// Running the container without the confinement it asks for is never an option.

import { existsSync, readFileSync } from "node:fs";
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
  const out = new Set(
    readOr("/sys/kernel/security/lsm", "")
      .trim()
      .split(",")
      .filter((s) => s === "apparmor" || s === "selinux"),
  );
  if (readOr("/sys/module/apparmor/parameters/enabled", "N").startsWith("Y")) out.add("apparmor");
  if (readOr("/sys/fs/selinux/enforce", "") !== "") out.add("selinux");
  return [...out];
}

const NAMES: Record<string, string> = { apparmor: "AppArmor", selinux: "SELinux" };

/** What berth-init writes to apply a label at the next execve (plan EXEC_LABEL). */
export interface ExecLabel {
  attr: string;
  value: string;
  what: string;
}

/**
 * The AppArmor profile `value` (JSON path or flag `path`) as an exec label, or undefined
 * when none is asked for. Fails when AppArmor is not enabled here. "unconfined" is
 * written too: it asks for no confinement explicitly, as with runc.
 */
export function apparmorExecLabel(
  path: string,
  value: string | undefined,
  lsms: () => string[],
  op = "invalid config",
): ExecLabel | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || /[\0\n]/.test(value)) {
    throw new BerthError(`${JSON.stringify(value)} is not an AppArmor profile name`, {
      op,
      path,
      hint: "give the name of a loaded profile",
    });
  }
  refuseLabel(path, value, "apparmor", lsms, op, true);
  // Kernels since 5.8 have the AppArmor-specific file; older ones the shared one.
  const attr = existsSync("/proc/self/attr/apparmor/exec") ? "attr/apparmor/exec" : "attr/exec";
  return { attr, value: `exec ${value}`, what: `${path} ${JSON.stringify(value)} (is the profile loaded? see aa-status)` };
}

/**
 * Refuse a label berth cannot apply: `value` at JSON path (or flag) `path` asks for LSM `lsm`
 * ("apparmor" or "selinux").
 */
export function refuseLabel(
  path: string,
  value: string | undefined,
  lsm: "apparmor" | "selinux",
  lsms: () => string[],
  op = "invalid config",
  applicable = false,
): void {
  if (value === undefined || value === null || value === "") return;
  const name = NAMES[lsm]!;
  if (!lsms().includes(lsm)) {
    throw new BerthError(`${name} is not enabled on this host, so ${JSON.stringify(value)} cannot be applied`, {
      op,
      path,
      hint: `remove ${path}, or run on a host with ${name} enabled`,
    });
  }
  if (applicable) return;
  throw new BerthError(`berth cannot apply ${name} labels yet; it refuses to run without the confinement asked for`, {
    op,
    path,
    hint: `remove ${path}`,
  });
}
