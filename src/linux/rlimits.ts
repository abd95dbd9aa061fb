// Resource limit table: RLIMIT_* names (as written in config.json) → setrlimit(2) resource numbers.
import { BerthError } from "../errors.js";

export const RLIMITS: Readonly<Record<string, number>> = Object.freeze({
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
});

/** RLIM_INFINITY on Linux (all 64 bits set). */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

export function isRlimitKnown(name: string): boolean {
  return Object.hasOwn(RLIMITS, name);
}

/** Resource number for an RLIMIT_* name; throws a BerthError naming `path`. */
export function rlimitNumber(name: string, path: string): number {
  if (!isRlimitKnown(name)) {
    throw new BerthError(`unknown rlimit type "${name}"`, {
      op: "build plan",
      path,
      hint: `use one of ${Object.keys(RLIMITS).join(", ")}`,
    });
  }
  return RLIMITS[name]!;
}

/**
 * A JSON number as a 64-bit limit. Doubles cannot hold 2^64-1 exactly (it parses as 2^64),
 * so anything at or above 2^64 means RLIM_INFINITY; -1 (a common spelling of "unlimited")
 * does too. Other negative or fractional values throw a BerthError naming `path`.
 */
export function rlimitValue(value: number, path: string): bigint {
  if (value === -1) return RLIM_INFINITY;
  if (!Number.isFinite(value) || value < 0 || !Number.isInteger(value)) {
    throw new BerthError(`invalid rlimit value ${value}`, {
      op: "build plan",
      path,
      hint: "use a non-negative integer (18446744073709551615 for unlimited)",
    });
  }
  const v = BigInt(value);
  return v >= RLIM_INFINITY ? RLIM_INFINITY : v;
}
