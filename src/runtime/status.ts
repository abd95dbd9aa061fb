// A container's status as the world shows it, and the state documents of
// `state` and `list`. Reading is all these commands do, so this module pulls in
// only the record, /proc and the freezer's state, not what changes containers.
// list's owner is the user owning the container's state directory, as in runc.

import { statSync } from "node:fs";
import { isFrozen } from "../linux/cgroups/freezer.js";
import { hostUserName } from "../linux/passwd.js";
import { containerDir, deriveStatus, listIds, loadRecord, ociState, type ContainerRecord, type Status } from "./stateStore.js";

export function statusOf(root: string, rec: ContainerRecord): Status {
  return deriveStatus(root, rec, () => Object.keys(rec.cgroup?.paths ?? {}).length > 0 && isFrozen(rec.cgroup));
}

export function stateOf(root: string, id: string): Record<string, unknown> {
  const rec = loadRecord(root, id);
  return ociState(rec, statusOf(root, rec));
}

export function listContainers(root: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const id of listIds(root)) {
    try {
      const rec = loadRecord(root, id);
      out.push({ ...ociState(rec, statusOf(root, rec)), owner: hostUserName(statSync(containerDir(root, id)).uid) });
    } catch {
      /* a container being deleted concurrently */
    }
  }
  return out;
}
