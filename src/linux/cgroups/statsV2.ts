// Statistics from a cgroup2 directory, mapped onto runc's v1-shaped fields as
// runc's fs2 driver maps them: cpu.stat in µs → ns, memory.current/max as
// usage/limit, swap reported as memory+swap (the v1 meaning), io.stat rbytes/
// wbytes/rios/wios as Read/Write entries, pids.max "max" as 0.

import { join } from "node:path";
import type { BlkioEntry, Stats } from "./statsTypes.js";
import { hostHugePageSizes, MAX_UINT64, parseKeyValues, parseSingleUint, parseUintValue, valueByKey } from "./statsParse.js";
import { readFromDisk, type FileReader } from "./statsV1.js";

export function readStatsV2(dir: string, stats: Stats, read: FileReader = readFromDisk, pageSizes = hostHugePageSizes()): void {
  pidsV2(dir, stats, read);
  memoryV2(dir, stats, read);
  ioV2(dir, stats, read);
  cpuV2(dir, stats, read);
  hugetlbV2(dir, stats, read, pageSizes);
}

function uintFile(dir: string, name: string, read: FileReader): bigint | undefined {
  const text = read(dir, name);
  return text === undefined ? undefined : parseSingleUint(text, join(dir, name));
}

export function pidsV2(dir: string, stats: Stats, read: FileReader): void {
  const current = uintFile(dir, "pids.current", read);
  if (current === undefined) {
    // Without the pids controller: count the processes.
    const procs = read(dir, "cgroup.procs");
    stats.pids.current = BigInt(procs === undefined ? 0 : procs.split("\n").filter((l) => l !== "").length);
    stats.pids.limit = 0n;
    return;
  }
  const max = uintFile(dir, "pids.max", read) ?? 0n;
  stats.pids.current = current;
  stats.pids.limit = max === MAX_UINT64 ? 0n : max;
}

export function memoryV2(dir: string, stats: Stats, read: FileReader): void {
  const text = read(dir, "memory.stat");
  if (text === undefined) return;
  const m = stats.memory;
  for (const [k, v] of parseKeyValues(text, join(dir, "memory.stat"))) m.raw[k] = v;
  m.cache = m.raw["file"] ?? 0n;
  const usage = uintFile(dir, "memory.current", read);
  if (usage === undefined) return;
  const limit = uintFile(dir, "memory.max", read) ?? 0n;
  m.usage = { limit, usage, max: 0n, failcnt: 0n };
  // Without swap accounting both swap values read as 0.
  const swapUsage = uintFile(dir, "memory.swap.current", read);
  const swapLimit = swapUsage === undefined ? 0n : (uintFile(dir, "memory.swap.max", read) ?? 0n);
  // v1 reports memory+swap; the sums wrap at 64 bits as runc's do.
  m.swap = {
    limit: swapLimit === MAX_UINT64 ? swapLimit : (swapLimit + limit) & MAX_UINT64,
    usage: ((swapUsage ?? 0n) + usage) & MAX_UINT64,
    max: 0n,
    failcnt: 0n,
  };
}

/** io.stat: "MAJ:MIN rbytes=… wbytes=… rios=… wios=… dbytes=… dios=…" per device. */
export function parseIoStat(text: string, file: string): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of text.split("\n")) {
    const parts = line.split(/\s+/).filter((s) => s !== "");
    if (parts.length < 2) continue;
    const dev = parts[0]!.split(":");
    if (dev.length !== 2) continue;
    const major = parseUintValue(dev[0]!, file);
    const minor = parseUintValue(dev[1]!, file);
    for (const item of parts.slice(1)) {
      const kv = item.split("=");
      if (kv.length !== 2) continue;
      const target = kv[0] === "rbytes" || kv[0] === "wbytes" ? bytes : kv[0] === "rios" || kv[0] === "wios" ? ios : undefined;
      if (target === undefined) continue;
      target.push({ major, minor, op: kv[0]!.startsWith("r") ? "Read" : "Write", value: parseUintValue(kv[1]!, file) });
    }
  }
  return { bytes, ios };
}

export function ioV2(dir: string, stats: Stats, read: FileReader): void {
  const text = read(dir, "io.stat");
  if (text === undefined) return;
  const { bytes, ios } = parseIoStat(text, join(dir, "io.stat"));
  stats.blkio.ioServiceBytesRecursive = bytes;
  stats.blkio.ioServicedRecursive = ios;
}

export function cpuV2(dir: string, stats: Stats, read: FileReader): void {
  const text = read(dir, "cpu.stat");
  if (text === undefined) return;
  const u = stats.cpu.usage;
  const t = stats.cpu.throttling;
  for (const [k, v] of parseKeyValues(text, join(dir, "cpu.stat"))) {
    switch (k) {
      case "usage_usec":
        u.total = v * 1000n;
        break;
      case "user_usec":
        u.user = v * 1000n;
        break;
      case "system_usec":
        u.kernel = v * 1000n;
        break;
      case "nr_periods":
        t.periods = v;
        break;
      case "nr_throttled":
        t.throttledPeriods = v;
        break;
      case "throttled_usec":
        t.throttledTime = v * 1000n;
        break;
    }
  }
}

export function hugetlbV2(dir: string, stats: Stats, read: FileReader, pageSizes: string[]): void {
  for (const size of pageSizes) {
    const usage = uintFile(dir, `hugetlb.${size}.current`, read);
    if (usage === undefined) continue;
    const events = read(dir, `hugetlb.${size}.events`);
    stats.hugetlb[size] = {
      usage,
      max: 0n,
      failcnt: events === undefined ? 0n : valueByKey(events, "max", join(dir, `hugetlb.${size}.events`)),
    };
  }
}
