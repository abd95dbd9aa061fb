// `berth features`: what this build of berth implements (runtime-spec features.md and
// features-linux.md). Every list comes from the same tables the plan builder uses, so
// nothing is claimed that the code does not do; the cgroup entry describes this host.
import { VERSION } from "../version.js";
import { existsSync } from "node:fs";
import { capabilityNames } from "../linux/capabilities.js";
import { SYSTEMD_RUNTIME_DIR } from "../linux/cgroups/paths.js";
import { hostCgroupFeatures, type CgroupFeatures } from "../linux/cgroups/features.js";
import { supportedMountOptions } from "../linux/mountOptions.js";
import { namespaceTypes } from "../linux/namespaces.js";
import { seccompFeatures, type SeccompFeatures } from "../linux/seccomp/features.js";

export const OCI_VERSION_MIN = "1.0.0";
export const OCI_VERSION_MAX = "1.3.0";

export const HOOK_NAMES = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] as const;

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: CgroupFeatures;
    seccomp: SeccompFeatures;
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
    mountExtensions: { idmap: { enabled: boolean } };
    netDevices: { enabled: boolean };
    intelRdt: { enabled: boolean; schemata: boolean; monitoring: boolean };
  };
  annotations: Record<string, string>;
}

export function features(): Features {
  return {
    ociVersionMin: OCI_VERSION_MIN,
    ociVersionMax: OCI_VERSION_MAX,
    hooks: [...HOOK_NAMES],
    mountOptions: supportedMountOptions(),
    linux: {
      namespaces: namespaceTypes(),
      capabilities: capabilityNames(),
      // The systemd driver needs a running systemd (its runtime directory).
      cgroup: hostCgroupFeatures(existsSync(SYSTEMD_RUNTIME_DIR)),
      seccomp: seccompFeatures(),
      apparmor: { enabled: true },
      selinux: { enabled: false },
      // Idmapped bind mounts (mount_setattr MOUNT_ATTR_IDMAP), as runc 1.2 reports them.
      mountExtensions: { idmap: { enabled: true } },
      // linux.netDevices: moved over rtnetlink (runtime/netDevices.ts).
      netDevices: { enabled: true },
      // linux.intelRdt, every field (linux/resctrl.ts); whether resctrl is mounted is the host's question.
      intelRdt: { enabled: true, schemata: true, monitoring: true },
    },
    // As runc and crun report it: checkpoint and restore are implemented (with criu; whether
    // criu works on this kernel is `berth check`'s question, and checkpoint's first step).
    annotations: { "io.github.berth.version": VERSION, "org.opencontainers.runc.checkpoint.enabled": "true" },
  };
}
