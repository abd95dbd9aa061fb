// `berth check` probes of confinement: seccomp (filters, user notification, the
// filter flags the kernel accepts, libseccomp), AppArmor, SELinux and Landlock.

import { degraded, missing, ok, type CheckItem, type HostFacts } from "./types.js";

function actionsAvail(f: HostFacts): string[] | undefined {
  const text = f.readFile("/proc/sys/kernel/seccomp/actions_avail");
  return text === undefined ? undefined : text.split(/\s+/).filter((a) => a !== "");
}

export function seccompFilterItem(f: HostFacts): CheckItem {
  const name = "seccomp: filter";
  const status = f.readFile("/proc/self/status") ?? "";
  const actions = actionsAvail(f);
  if (!/^Seccomp:/m.test(status) || actions === undefined) {
    return missing(name, "the kernel has no seccomp filters", "a kernel with CONFIG_SECCOMP_FILTER; configs with linux.seccomp fail");
  }
  return ok(name, `actions: ${actions.join(" ")}`);
}

export function seccompNotifyItem(f: HostFacts): CheckItem {
  const name = "seccomp: notify";
  const actions = actionsAvail(f);
  if (actions?.includes("user_notif") === true) return ok(name, "user_notif in /proc/sys/kernel/seccomp/actions_avail");
  return missing(
    name,
    "no user_notif in /proc/sys/kernel/seccomp/actions_avail",
    "Linux 5.0 or later (5.5 for CONTINUE); SCMP_ACT_NOTIFY and linux.seccomp.listenerPath fail",
  );
}

export function seccompFlagsItem(f: HostFacts): CheckItem {
  const name = "seccomp: flags";
  const flags = f.seccompFlags();
  if (flags === undefined) return degraded(name, "cannot tell without libseccomp", "install libseccomp2");
  const absent = flags.known.filter((k) => !flags.supported.includes(k));
  const have = flags.supported.length === 0 ? "none" : flags.supported.join(" ");
  if (absent.length === 0) return ok(name, have);
  return degraded(name, `${have}; the kernel refuses ${absent.join(" ")}`, "a newer kernel; configs with those linux.seccomp.flags fail");
}

export function libseccompItem(f: HostFacts): CheckItem {
  const v = f.libseccompVersion();
  if (v === undefined)
    return missing(
      "libseccomp",
      "libseccomp.so.2 cannot be loaded",
      "apt-get install libseccomp2; configs with linux.seccomp fail without it",
    );
  const [major = 0, minor = 0] = v.split(".").map(Number);
  if (major < 2 || (major === 2 && minor < 5)) return degraded("libseccomp", v, "libseccomp 2.5 or later for SCMP_ACT_NOTIFY");
  return ok("libseccomp", v);
}

/** The LSMs /sys/kernel/security/lsm lists, plus AppArmor and SELinux when their own files say so (as lsm.ts reads them). */
function lsmList(f: HostFacts): string[] {
  const out = new Set(
    (f.readFile("/sys/kernel/security/lsm") ?? "")
      .trim()
      .split(",")
      .filter((s) => s !== ""),
  );
  if ((f.readFile("/sys/module/apparmor/parameters/enabled") ?? "N").startsWith("Y")) out.add("apparmor");
  if ((f.readFile("/sys/fs/selinux/enforce") ?? "") !== "") out.add("selinux");
  return [...out];
}

export function apparmorItem(f: HostFacts): CheckItem {
  if (lsmList(f).includes("apparmor")) return ok("apparmor", "enabled: process.apparmorProfile is applied");
  return missing(
    "apparmor",
    "not enabled",
    "boot with apparmor=1 security=apparmor to confine containers; process.apparmorProfile is refused here",
  );
}

export function selinuxItem(f: HostFacts): CheckItem {
  if (!lsmList(f).includes("selinux"))
    return missing("selinux", "not enabled", "process.selinuxLabel and linux.mountLabel are refused here");
  const enforce = (f.readFile("/sys/fs/selinux/enforce") ?? "").trim() === "1" ? "enforcing" : "permissive";
  return degraded(
    "selinux",
    `enabled (${enforce}), but berth cannot apply SELinux labels yet`,
    "configs with process.selinuxLabel or linux.mountLabel fail",
  );
}

export function landlockItem(f: HostFacts): CheckItem {
  const abi = f.landlockAbi();
  if (abi === undefined)
    return missing("landlock", "not in this kernel", "Linux 5.13 or later with CONFIG_SECURITY_LANDLOCK (berth does not use it yet)");
  if (abi === 0)
    return missing(
      "landlock",
      "built, but disabled at boot",
      "add landlock to lsm= on the kernel command line (berth does not use it yet)",
    );
  return ok("landlock", `ABI version ${abi} (berth does not use it yet)`);
}
