// Namespace table: OCI spec type → CLONE_NEW* flag and the file name under /proc/<pid>/ns.
import type { NamespaceType } from "../spec/types.js";
import { BerthError } from "../errors.js";

export const CLONE_NEWTIME = 0x00000080;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

export interface NamespaceInfo {
  /** CLONE_NEW* value (also the nstype for setns). */
  flag: number;
  /** Name of the file under /proc/<pid>/ns and the prefix of its readlink ("net:[…]"). */
  procName: string;
}

export const NAMESPACES: Readonly<Record<NamespaceType, NamespaceInfo>> = Object.freeze({
  pid: { flag: CLONE_NEWPID, procName: "pid" },
  network: { flag: CLONE_NEWNET, procName: "net" },
  mount: { flag: CLONE_NEWNS, procName: "mnt" },
  ipc: { flag: CLONE_NEWIPC, procName: "ipc" },
  uts: { flag: CLONE_NEWUTS, procName: "uts" },
  user: { flag: CLONE_NEWUSER, procName: "user" },
  cgroup: { flag: CLONE_NEWCGROUP, procName: "cgroup" },
  time: { flag: CLONE_NEWTIME, procName: "time" },
});

/** Spec namespace types, sorted by name (the order `berth features` lists them in). */
export function namespaceTypes(): NamespaceType[] {
  return (Object.keys(NAMESPACES) as NamespaceType[]).sort();
}

export function isNamespaceKnown(type: string): type is NamespaceType {
  return Object.hasOwn(NAMESPACES, type);
}

/** NamespaceInfo for a type; throws a BerthError naming `path` for an unknown type. */
export function namespaceInfo(type: string, path: string): NamespaceInfo {
  if (!isNamespaceKnown(type)) {
    throw new BerthError(`unknown namespace type "${type}"`, {
      op: "build plan",
      path,
      hint: `use one of ${namespaceTypes().join(", ")}`,
    });
  }
  return NAMESPACES[type];
}

/** /proc/<pid>/ns/<name> paths of every namespace listed in a config, for `exec` to join. */
export function namespacePathsOf(
  namespaces: readonly { type: NamespaceType }[] | undefined,
  pid: number,
): { type: NamespaceType; path: string }[] {
  const seen = new Set<NamespaceType>();
  const out: { type: NamespaceType; path: string }[] = [];
  for (const ns of namespaces ?? []) {
    if (seen.has(ns.type) || !isNamespaceKnown(ns.type)) continue;
    seen.add(ns.type);
    out.push({ type: ns.type, path: `/proc/${pid}/ns/${NAMESPACES[ns.type].procName}` });
  }
  return out;
}
