// The seccomp part of `berth features`: what berth carries out, what this
// libseccomp knows and which filter flags this kernel accepts.

import { readFileSync } from "node:fs";
import { archToken, kernelSupportsFilterFlag, libseccompAvailable } from "./libseccomp.js";
import { archName, SECCOMP_ACTIONS, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FLAGS, SECCOMP_OPERATORS } from "./profile.js";

/** Every architecture name runtime-spec 1.3 defines. */
const SPEC_ARCHES = [
  "SCMP_ARCH_X86",
  "SCMP_ARCH_X86_64",
  "SCMP_ARCH_X32",
  "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",
  "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",
  "SCMP_ARCH_SH",
  "SCMP_ARCH_SHEB",
  "SCMP_ARCH_PARISC",
  "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV64",
];

export interface SeccompFeatures {
  enabled: boolean;
  actions?: string[];
  operators?: string[];
  archs?: string[];
  knownFlags?: string[];
  supportedFlags?: string[];
}

function kernelHasSeccomp(): boolean {
  try {
    return /^Seccomp:/m.test(readFileSync("/proc/self/status", "utf8"));
  } catch {
    return false;
  }
}

export function seccompFeatures(): SeccompFeatures {
  if (!kernelHasSeccomp() || !libseccompAvailable()) return { enabled: false };
  return {
    enabled: true,
    // NOTIFY needs a kernel that makes listeners (5.0 and later).
    actions: SECCOMP_ACTIONS.filter((a) => a !== "SCMP_ACT_NOTIFY" || kernelSupportsFilterFlag(SECCOMP_FILTER_FLAG_NEW_LISTENER)),
    operators: Object.keys(SECCOMP_OPERATORS),
    archs: SPEC_ARCHES.filter((a) => archToken(archName(a)) !== 0),
    knownFlags: Object.keys(SECCOMP_FLAGS),
    supportedFlags: Object.entries(SECCOMP_FLAGS)
      .filter(([, bit]) => kernelSupportsFilterFlag(bit))
      .map(([n]) => n),
  };
}
