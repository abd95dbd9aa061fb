// Parsers for the cgroup files statistics are read from, with runc's rules:
// counters are unsigned decimals (negative kernel values read as 0), "max"
// in a one-value file is the largest uint64, CPU lists expand ranges. Values
// are bigint so 64-bit counters and limits are never rounded.

import { readdirSync } from "node:fs";
import { BerthError } from "../../errors.js";

export const MAX_UINT64 = (1n << 64n) - 1n;

export function statsParseError(file: string, detail: string): BerthError {
  return new BerthError(detail, {
    op: "read stats",
    path: file,
    hint: "the cgroup file has an unexpected format; report the file's content",
  });
}

/**
 * An unsigned counter as runc parses it: decimal, negative values (which some
 * kernels report for memory counters) read as 0.
 */
export function parseUintValue(text: string, file: string): bigint {
  if (/^\d+$/.test(text)) {
    const v = BigInt(text);
    if (v > MAX_UINT64) throw statsParseError(file, `value ${text} is out of range`);
    return v;
  }
  if (/^-\d+$/.test(text)) return 0n;
  throw statsParseError(file, `${JSON.stringify(text)} is not an unsigned number`);
}

/** A one-value control file: "max" reads as the largest uint64. */
export function parseSingleUint(text: string, file: string): bigint {
  const t = text.trim();
  return t === "max" ? MAX_UINT64 : parseUintValue(t, file);
}

/** A signed one-value control file ("max" → the largest int64). */
export function parseSingleInt(text: string, file: string): bigint {
  const t = text.trim();
  if (t === "max") return (1n << 63n) - 1n;
  if (!/^-?\d+$/.test(t)) throw statsParseError(file, `${JSON.stringify(t)} is not a number`);
  return BigInt(t);
}

/** "key value" lines (cpu.stat, memory.stat, …) in file order. */
export function parseKeyValues(text: string, file: string): [string, bigint][] {
  const out: [string, bigint][] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const parts = line.split(" ");
    if (parts.length !== 2) throw statsParseError(file, `line ${JSON.stringify(line)} is not in "key value" form`);
    out.push([parts[0]!, parseUintValue(parts[1]!, file)]);
  }
  return out;
}

/** The value of one key of a "key value" file such as memory.events (0 when absent). */
export function valueByKey(text: string, key: string, file: string): bigint {
  for (const line of text.split("\n")) {
    const parts = line.split(" ");
    if (parts.length === 2 && parts[0] === key) return parseUintValue(parts[1]!, file);
  }
  return 0n;
}

/** A CPU or memory-node list such as "0-3,7" → [0,1,2,3,7] (an empty file → []). */
export function parseCpuList(text: string, file: string): number[] {
  const t = text.trim();
  if (t === "") return [];
  const out: number[] = [];
  for (const item of t.split(",")) {
    const range = item.split("-");
    const num = (s: string): number => {
      if (!/^\d+$/.test(s) || Number(s) > 0xffff) throw statsParseError(file, `${JSON.stringify(item)} is not a CPU number or range`);
      return Number(s);
    };
    if (range.length === 1) out.push(num(range[0]!));
    else if (range.length === 2) {
      const lo = num(range[0]!);
      const hi = num(range[1]!);
      if (lo > hi) throw statsParseError(file, `range ${JSON.stringify(item)} runs backwards`);
      for (let i = lo; i <= hi; i++) out.push(i);
    } else throw statsParseError(file, `${JSON.stringify(item)} has more than one dash`);
  }
  return out;
}

/**
 * Page sizes of /sys/kernel/mm/hugepages ("hugepages-2048kB") named as runc
 * names them: "2MB", "1GB", "64KB".
 */
export function hugePageSizeNames(dirNames: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of dirNames) {
    const m = /^hugepages-(\d+)kB$/.exec(name);
    if (m === null) continue;
    const kb = Number(m[1]);
    if (kb >= 1 << 20) out.push(`${Math.floor(kb / (1 << 20))}GB`);
    else if (kb >= 1 << 10) out.push(`${Math.floor(kb / (1 << 10))}MB`);
    else out.push(`${kb}KB`);
  }
  return out;
}

let pageSizes: string[] | undefined;

/** The host's huge page sizes (read once per process). */
export function hostHugePageSizes(): string[] {
  if (pageSizes === undefined) {
    try {
      pageSizes = hugePageSizeNames(readdirSync("/sys/kernel/mm/hugepages"));
    } catch {
      pageSizes = [];
    }
  }
  return pageSizes;
}
