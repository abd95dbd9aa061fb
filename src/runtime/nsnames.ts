// Spec namespace type → the name of its file under /proc/<pid>/ns.
import type { NamespaceType } from "../spec/types.js";

const PROC_NAMES: Record<NamespaceType, string> = {
  pid: "pid", network: "net", mount: "mnt", ipc: "ipc", uts: "uts", user: "user", cgroup: "cgroup", time: "time",
};

export function nsProcName(type: NamespaceType): string {
  return PROC_NAMES[type];
}
