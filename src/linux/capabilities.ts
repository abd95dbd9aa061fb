// Linux capability names and numbers (linux/capability.h). One table, used by the
// plan builder (bitsets for berth-init), the validator and `berth features`.
import { readFileSync } from "node:fs";
import { BerthError } from "../errors.js";

/** Capability name → number, in kernel order. */
export const CAPABILITIES: Readonly<Record<string, number>> = Object.freeze({
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
});

/** Highest capability number berth knows. */
export const CAP_LAST_KNOWN = 40;

/** All known capability names, in number order. */
export function capabilityNames(): string[] {
  return Object.keys(CAPABILITIES).sort((a, b) => CAPABILITIES[a]! - CAPABILITIES[b]!);
}

export function isCapabilityKnown(name: string): boolean {
  return Object.hasOwn(CAPABILITIES, name);
}

/** Capability number for a name such as "CAP_KILL"; throws a BerthError naming `path`. */
export function capabilityNumber(name: string, path: string): number {
  if (!isCapabilityKnown(name)) {
    throw new BerthError(`unknown capability "${name}"`, {
      op: "build plan",
      path,
      hint: `use a name such as CAP_NET_BIND_SERVICE (known: CAP_CHOWN … CAP_CHECKPOINT_RESTORE); see \`berth features\``,
    });
  }
  return CAPABILITIES[name]!;
}

/**
 * The host kernel's highest capability number (/proc/sys/kernel/cap_last_cap),
 * or CAP_LAST_KNOWN when it cannot be read.
 */
export function hostLastCap(readFile: (p: string) => string = (p) => readFileSync(p, "utf8")): number {
  try {
    const n = Number.parseInt(readFile("/proc/sys/kernel/cap_last_cap").trim(), 10);
    return Number.isInteger(n) && n >= 0 ? n : CAP_LAST_KNOWN;
  } catch {
    return CAP_LAST_KNOWN;
  }
}

export interface CapSetResult {
  bits: bigint;
  /** Known names the host kernel does not have (left out of the set). */
  unavailable: string[];
}

/**
 * Bitset (bit n = capability n) for a list of names. Unknown names, and known names
 * above `lastCap` (the kernel would refuse them), are left out and reported; validation
 * has already warned about the unknown ones.
 */
export function capabilityBits(names: readonly string[] | undefined, lastCap: number): CapSetResult {
  let bits = 0n;
  const unavailable: string[] = [];
  (names ?? []).forEach((name) => {
    const n = CAPABILITIES[name];
    if (n === undefined || n > lastCap) {
      if (!unavailable.includes(name)) unavailable.push(name);
      return;
    }
    bits |= 1n << BigInt(n);
  });
  return { bits, unavailable };
}

/** Bitset with every capability 0 … lastCap (what a process keeps when nothing is dropped). */
export function allCapabilityBits(lastCap: number): bigint {
  return (1n << BigInt(lastCap + 1)) - 1n;
}
