// What state.json holds for a new container, made by create and by restore alike.

import type { CgroupState } from "../linux/cgroups/types.js";
import { namespacePathsOf } from "../linux/namespaces.js";
import type { Spec } from "../spec/types.js";
import { startTimeOf } from "./procfs.js";
import { OCI_VERSION, rfc3339Nano, type ContainerRecord } from "./stateStore.js";

export interface RecordInputs {
  id: string;
  bundle: string;
  rootfs: string;
  spec: Spec;
  cgroup: CgroupState;
  systemdCgroup: boolean;
  hostMounts?: ContainerRecord["hostMounts"];
  noNewKeyring?: boolean;
  intelRdt?: ContainerRecord["intelRdt"];
}

/** The record of a container whose process is `pid` (0: not started yet), started at `startTime`. */
export function containerRecord(r: RecordInputs, pid: number, startTime: string): ContainerRecord {
  const namespaces: Record<string, string> = {};
  if (pid > 0) for (const ns of namespacePathsOf(r.spec.linux?.namespaces, pid)) namespaces[ns.type] = ns.path;
  return {
    ociVersion: OCI_VERSION,
    id: r.id,
    bundle: r.bundle,
    rootfs: r.rootfs,
    pid,
    initStartTime: startTime,
    created: rfc3339Nano(),
    owner: "",
    annotations: r.spec.annotations,
    config: recordedConfig(r.spec),
    cgroup: r.cgroup,
    namespaces,
    systemdCgroup: r.systemdCgroup,
    ...(r.hostMounts === undefined ? {} : { hostMounts: r.hostMounts }),
    ...(r.noNewKeyring === undefined ? {} : { noNewKeyring: r.noNewKeyring }),
    ...(r.intelRdt === undefined ? {} : { intelRdt: r.intelRdt }),
  };
}

/**
 * The record saved before the cgroups are made ("creating"): it lists the directories about
 * to be created too, so that `delete --force` removes them if berth dies half-way.
 */
export function recordBeforeCgroups(r: RecordInputs, planned: string[]): ContainerRecord {
  const rec = containerRecord(r, 0, "");
  const created = [...rec.cgroup.created, ...planned.filter((d) => !rec.cgroup.created.includes(d))];
  const startTime = startTimeOf(process.pid);
  const creator = startTime === undefined ? {} : { creator: { pid: process.pid, startTime } };
  return { ...rec, cgroup: { ...rec.cgroup, created }, creating: true, ...creator };
}

/**
 * The config as state.json keeps it: without process.env, which often carries secrets
 * and which no later command needs from there (exec reads the bundle's, as runc does).
 */
export function recordedConfig(spec: Spec): Spec {
  if (spec.process?.env === undefined) return spec;
  const process = { ...spec.process };
  delete process.env;
  return { ...spec, process };
}
