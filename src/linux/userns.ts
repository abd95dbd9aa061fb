// Who berth runs as: whether it is rootless (runc's rootless mode), decided as
// runc decides it. Two questions, as in runc:
//
// - rootless euid: berth's effective uid is not 0. Then the container needs a
//   user namespace whose maps the caller may write (a single mapping of its own
//   ids, or newuidmap/newgidmap with /etc/subuid and /etc/subgid ranges), and
//   setgroups(2) is denied to a container whose gids are a single mapping.
// - rootless cgroups (the global --rootless true|false|auto): cgroup permission
//   errors are not fatal when linux.cgroupsPath is unset; the container then has
//   no cgroup in the hierarchies berth cannot write. auto: rootless when the euid
//   is not 0, or when berth itself runs in a user namespace (root in a user
//   namespace does not own the host's cgroups).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BerthError } from "../errors.js";

export type RootlessMode = "true" | "false" | "auto";

/** True unless /proc/self/uid_map is the initial namespace's identity map. */
export function runningInUserNs(read: () => string = () => readFileSync("/proc/self/uid_map", "utf8")): boolean {
  let text: string;
  try {
    text = read();
  } catch {
    return false;
  }
  const f = text.trim().split(/\s+/);
  return !(f.length === 3 && f[0] === "0" && f[1] === "0" && f[2] === "4294967295");
}

export function euid(): number {
  return process.geteuid?.() ?? 0;
}

export function egid(): number {
  return process.getegid?.() ?? 0;
}

/**
 * What `id` of this user namespace is in its parent, from uid_map (or gid_map) text;
 * undefined when the map leaves it out. The initial namespace's identity map gives `id`.
 */
export function outerId(id: number, mapText: string): number | undefined {
  for (const line of mapText.split("\n")) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length !== 3 || f.some((n) => !Number.isInteger(n))) continue;
    const [inside, outside, size] = f as [number, number, number];
    if (id >= inside && id < inside + size) return outside + (id - inside);
  }
  return undefined;
}

/** This process's uid outside its user namespace (its uid itself in the initial one). */
export function outerUid(read: () => string = () => readFileSync("/proc/self/uid_map", "utf8")): number {
  const uid = process.getuid?.() ?? 0;
  let text: string;
  try {
    text = read();
  } catch {
    return uid;
  }
  return outerId(uid, text) ?? uid;
}

export interface RootlessProbe {
  euid(): number;
  inUserNs(): boolean;
  /** The caller's uid outside its user namespace (runc asks the user bus for its owner instead). */
  outerUid(): number;
}

const realProbe: RootlessProbe = { euid, inUserNs: () => runningInUserNs(), outerUid: () => outerUid() };

/**
 * Whether permission errors on cgroups are tolerated (runc's RootlessCgroups).
 * Under the systemd driver a caller that is not root drives its user's own
 * systemd instance (systemdInstance), whose cgroups it owns.
 */
export function rootlessCgroups(mode: RootlessMode | undefined, systemd: boolean, probe: RootlessProbe = realProbe): boolean {
  if (mode === "true") return true;
  if (mode === "false") return false;
  if (probe.euid() !== 0) return true;
  // root in a user namespace: cgroupfs paths it cannot know it owns are treated as
  // not its own; under systemd (the system instance) it is root.
  if (!probe.inUserNs()) return false;
  return !systemd;
}

/**
 * Which systemd instance the systemd driver talks to (undefined without
 * --systemd-cgroup): the system's for root, the caller's own user instance
 * otherwise (runc's rootless systemd driver), which only cgroup v2 allows:
 * on v1 the user owns no hierarchy. Root in a user namespace is the user that
 * owns it outside (runc: the user bus's owner), root only when that is uid 0.
 */
export function systemdInstance(systemd: boolean, layout: () => string, probe: RootlessProbe = realProbe): "system" | "user" | undefined {
  if (!systemd) return undefined;
  // Root in a user namespace of a user's (rootless podman runs its runtime so) is that user.
  if (probe.euid() === 0 && (!probe.inUserNs() || probe.outerUid() === 0)) return "system";
  if (layout() !== "v2") {
    throw new BerthError("--systemd-cgroup as a user other than root needs cgroup v2 (a user's systemd instance owns no v1 hierarchy)", {
      op: "create",
      path: "--systemd-cgroup",
      hint: "drop --systemd-cgroup (rootless containers then run without a cgroup of their own), or run berth as root",
    });
  }
  return "user";
}

/**
 * The default state root under $XDG_RUNTIME_DIR (runc's rule): used when the euid is
 * not 0, or for root in a user namespace unless $USER is root. undefined: /run/berth.
 */
export function xdgStateRoot(env: NodeJS.ProcessEnv = process.env, probe: RootlessProbe = realProbe): string | undefined {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg === undefined || xdg === "") return undefined;
  if (probe.euid() !== 0) return join(xdg, "berth");
  if (!probe.inUserNs()) return undefined;
  return env.USER === "root" ? undefined : join(xdg, "berth");
}
