// Pure conversions between linux.resources values and what cgroup files take:
// the cgroup v1 → v2 scales runc uses (cpu shares → cpu.weight, blkio weight →
// io.weight, memory+swap → memory.swap.max), integer formatting and hugepage
// size names.

/** Largest value an int64 cgroup file takes; bigger JSON numbers are clamped to it. */
const INT64_MAX = 9223372036854775807n;

/** A JSON number as the decimal integer a cgroup file expects (no exponent, clamped to int64). */
export function intStr(n: number): string {
  const b = BigInt(Math.trunc(n));
  if (b > INT64_MAX) return INT64_MAX.toString();
  if (b < -INT64_MAX - 1n) return (-INT64_MAX - 1n).toString();
  return b.toString();
}

/**
 * cgroup v1 cpu.shares (2..262144) → cgroup v2 cpu.weight (1..10000), the linear
 * map runc uses: 2 → 1, 1024 → 39, 262144 → 10000. 0 means unset and stays 0.
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/**
 * cgroup v1 blkio weight (10..1000) → cgroup v2 io.weight (1..10000), as runc
 * maps it: 10 → 1, 500 → 4950, 1000 → 10000. 0 means unset and stays 0.
 */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * A v1-style memory limit for a cgroup v2 file: 0 (unset) → undefined (write
 * nothing), negative (-1, unlimited) → "max", otherwise the number.
 */
export function v2Limit(n: number | undefined): string | undefined {
  if (n === undefined || n === 0) return undefined;
  if (n < 0) return "max";
  return intStr(n);
}

export type SwapV2 = { ok: true; value: number } | { ok: false; reason: string };

/**
 * linux.resources.memory.swap is memory+swap (the v1 memsw limit); cgroup v2's
 * memory.swap.max is swap alone. Returns the v2 value with runc's rules:
 * -1 means "max" and 0 means unset; limit -1 with swap unset makes swap
 * unlimited too; otherwise swap needs a positive limit no larger than itself.
 */
export function swapToV2(swap: number | undefined, limit: number | undefined): SwapV2 {
  const s = swap ?? 0;
  const m = limit ?? 0;
  if (m === -1 && s === 0) return { ok: true, value: -1 };
  if (s === -1 || s === 0) return { ok: true, value: s };
  if (m === 0 || m === -1) return { ok: false, reason: "a swap limit needs a memory limit (linux.resources.memory.limit)" };
  if (m < 0) return { ok: false, reason: `invalid memory limit ${m}` };
  if (s < m) return { ok: false, reason: `swap (${s}) must be at least the memory limit (${m})` };
  return { ok: true, value: s - m };
}

/** "hugepages-2048kB" (a /sys/kernel/mm/hugepages entry) → "2MB", the name cgroup files and pageSize use. */
export function hugePageSizeName(dirName: string): string | undefined {
  const m = /^hugepages-(\d+)kB$/.exec(dirName);
  if (m === null) return undefined;
  return formatPageSize(Number(m[1]) * 1024);
}

const UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

/** Bytes → the largest exact 1024-based unit: 65536 → "64KB", 2097152 → "2MB". */
export function formatPageSize(bytes: number): string {
  let v = bytes;
  let i = 0;
  while (v >= 1024 && v % 1024 === 0 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v}${UNITS[i]}`;
}

/**
 * Whether `s` is a kernel cpu/node list: comma-separated numbers and ascending
 * ranges ("0-3,7"). The empty string is not a list (it means unset).
 */
export function isCpuList(s: string): boolean {
  if (s === "") return false;
  for (const part of s.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) return false;
    if (m[2] !== undefined && Number(m[2]) < Number(m[1])) return false;
  }
  return true;
}
