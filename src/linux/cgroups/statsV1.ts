// Statistics from cgroup v1 controllers (v1 and hybrid hosts), file by file as
// runc's cgroupfs driver reads them. A controller that is not mounted, or a
// file the kernel does not provide, leaves its fields at zero.

import { join } from "node:path";
import { readCgroupFile } from "./files.js";
import type { BlkioEntry, BlkioStats, MemoryEntry, Stats } from "./statsTypes.js";
import {
  hostHugePageSizes,
  MAX_UINT64,
  parseCpuList,
  parseKeyValues,
  parseSingleInt,
  parseSingleUint,
  parseUintValue,
  statsParseError,
} from "./statsParse.js";

/** Reads one control file of a directory; undefined when it does not exist. */
export type FileReader = (dir: string, name: string) => string | undefined;

export const readFromDisk: FileReader = (dir, name) => readCgroupFile(join(dir, name));

/** USER_HZ: cpuacct.stat counts in ticks of 1/100 s. */
const CLOCK_TICKS = 100n;

/** Fill `stats` from the v1 controller directories (controller name → directory). */
export function readStatsV1(
  paths: Record<string, string>,
  stats: Stats,
  read: FileReader = readFromDisk,
  pageSizes = hostHugePageSizes(),
): void {
  const dir = (c: string): string | undefined => paths[c];
  const cpu = dir("cpu");
  if (cpu !== undefined) cpuV1(cpu, stats, read);
  const cpuacct = dir("cpuacct");
  if (cpuacct !== undefined) cpuacctV1(cpuacct, stats, read);
  const cpuset = dir("cpuset");
  if (cpuset !== undefined) cpusetV1(cpuset, stats, read);
  const memory = dir("memory");
  if (memory !== undefined) memoryV1(memory, stats, read);
  const pids = dir("pids");
  if (pids !== undefined) pidsV1(pids, stats, read);
  const blkio = dir("blkio");
  if (blkio !== undefined) blkioV1(blkio, stats, read);
  const hugetlb = dir("hugetlb");
  if (hugetlb !== undefined) hugetlbV1(hugetlb, stats, read, pageSizes);
}

function uintFile(dir: string, name: string, read: FileReader): bigint | undefined {
  const text = read(dir, name);
  return text === undefined ? undefined : parseSingleUint(text, join(dir, name));
}

export function cpuV1(dir: string, stats: Stats, read: FileReader): void {
  const text = read(dir, "cpu.stat");
  if (text === undefined) return;
  const t = stats.cpu.throttling;
  for (const [k, v] of parseKeyValues(text, join(dir, "cpu.stat"))) {
    if (k === "nr_periods") t.periods = v;
    else if (k === "nr_throttled") t.throttledPeriods = v;
    else if (k === "throttled_time") t.throttledTime = v;
  }
}

export function cpuacctV1(dir: string, stats: Stats, read: FileReader): void {
  const u = stats.cpu.usage;
  const stat = read(dir, "cpuacct.stat");
  if (stat !== undefined) {
    for (const [k, v] of parseKeyValues(stat, join(dir, "cpuacct.stat"))) {
      if (k === "user") u.user = (v * 1_000_000_000n) / CLOCK_TICKS;
      else if (k === "system") u.kernel = (v * 1_000_000_000n) / CLOCK_TICKS;
    }
  }
  u.total = uintFile(dir, "cpuacct.usage", read) ?? 0n;
  const percpu = read(dir, "cpuacct.usage_percpu");
  if (percpu !== undefined) {
    u.percpu = percpu
      .trim()
      .split(/\s+/)
      .filter((s) => s !== "")
      .map((s) => parseUintValue(s, join(dir, "cpuacct.usage_percpu")));
  }
  const all = read(dir, "cpuacct.usage_all");
  if (all !== undefined) {
    // "cpu user system" header, then one "N user_ns system_ns" line per CPU.
    for (const line of all.split("\n").slice(1)) {
      const f = line.split(" ");
      if (f.length !== 3) continue;
      u.percpu_user.push(parseUintValue(f[1]!, join(dir, "cpuacct.usage_all")));
      u.percpu_kernel.push(parseUintValue(f[2]!, join(dir, "cpuacct.usage_all")));
    }
  }
}

export function cpusetV1(dir: string, stats: Stats, read: FileReader): void {
  const c = stats.cpuset;
  const list = (name: string): number[] => {
    const text = read(dir, name);
    return text === undefined ? [] : parseCpuList(text, join(dir, name));
  };
  c.cpus = list("cpuset.cpus");
  c.mems = list("cpuset.mems");
  const u = (name: string): bigint => uintFile(dir, `cpuset.${name}`, read) ?? 0n;
  c.cpu_exclusive = u("cpu_exclusive");
  c.mem_hardwall = u("mem_hardwall");
  c.mem_exclusive = u("mem_exclusive");
  c.memory_migrate = u("memory_migrate");
  c.memory_spread_page = u("memory_spread_page");
  c.memory_spread_slab = u("memory_spread_slab");
  c.memory_pressure = u("memory_pressure");
  c.sched_load_balance = u("sched_load_balance");
  const level = read(dir, "cpuset.sched_relax_domain_level");
  c.sched_relax_domain_level = level === undefined ? 0n : parseSingleInt(level, join(dir, "cpuset.sched_relax_domain_level"));
}

/** memory.<name>.{usage_in_bytes,max_usage_in_bytes,failcnt,limit_in_bytes}; all zero when the usage file is absent. */
function memoryData(dir: string, prefix: string, read: FileReader): MemoryEntry {
  const usage = uintFile(dir, `${prefix}.usage_in_bytes`, read);
  if (usage === undefined) return { limit: 0n, usage: 0n, max: 0n, failcnt: 0n };
  return {
    limit: uintFile(dir, `${prefix}.limit_in_bytes`, read) ?? 0n,
    usage,
    max: uintFile(dir, `${prefix}.max_usage_in_bytes`, read) ?? 0n,
    failcnt: uintFile(dir, `${prefix}.failcnt`, read) ?? 0n,
  };
}

export function memoryV1(dir: string, stats: Stats, read: FileReader): void {
  const text = read(dir, "memory.stat");
  if (text === undefined) return;
  const m = stats.memory;
  for (const [k, v] of parseKeyValues(text, join(dir, "memory.stat"))) m.raw[k] = v;
  m.cache = m.raw["cache"] ?? 0n;
  m.usage = memoryData(dir, "memory", read);
  m.swap = memoryData(dir, "memory.memsw", read);
  m.kernel = memoryData(dir, "memory.kmem", read);
  m.kernelTCP = memoryData(dir, "memory.kmem.tcp", read);
}

export function pidsV1(dir: string, stats: Stats, read: FileReader): void {
  stats.pids.current = uintFile(dir, "pids.current", read) ?? 0n;
  const max = uintFile(dir, "pids.max", read) ?? 0n;
  // "max" (no limit) is reported as 0, as runc does.
  stats.pids.limit = max === MAX_UINT64 ? 0n : max;
}

/** One blkio.* file: "MAJ:MIN Op value" or "MAJ:MIN value" lines, a "Total N" line skipped. */
export function parseBlkioFile(text: string, file: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const f = line.split(/[ :]/).filter((s) => s !== "");
    if (f.length < 3) {
      if (f.length === 2 && f[0] === "Total") continue;
      throw statsParseError(file, `malformed line ${JSON.stringify(line)}`);
    }
    const [major, minor] = [parseUintValue(f[0]!, file), parseUintValue(f[1]!, file)];
    const withOp = f.length === 4;
    out.push({ major, minor, op: withOp ? f[2]! : "", value: parseUintValue(f[withOp ? 3 : 2]!, file) });
  }
  return out;
}

type BlkioKey = keyof BlkioStats;

/**
 * The file groups runc tries in order (BFQ debug, BFQ, CFQ, throttle
 * recursive, throttle): the first group whose first file exists and has data
 * is used, and stops at its first absent or empty file.
 */
const BLKIO_GROUPS: [string, BlkioKey][][] = [
  [
    ["blkio.bfq.sectors_recursive", "sectorsRecursive"],
    ["blkio.bfq.io_service_time_recursive", "ioServiceTimeRecursive"],
    ["blkio.bfq.io_wait_time_recursive", "ioWaitTimeRecursive"],
    ["blkio.bfq.io_merged_recursive", "ioMergedRecursive"],
    ["blkio.bfq.io_queued_recursive", "ioQueueRecursive"],
    ["blkio.bfq.time_recursive", "ioTimeRecursive"],
    ["blkio.bfq.io_serviced_recursive", "ioServicedRecursive"],
    ["blkio.bfq.io_service_bytes_recursive", "ioServiceBytesRecursive"],
  ],
  [
    ["blkio.bfq.io_serviced_recursive", "ioServicedRecursive"],
    ["blkio.bfq.io_service_bytes_recursive", "ioServiceBytesRecursive"],
  ],
  [
    ["blkio.sectors_recursive", "sectorsRecursive"],
    ["blkio.io_service_time_recursive", "ioServiceTimeRecursive"],
    ["blkio.io_wait_time_recursive", "ioWaitTimeRecursive"],
    ["blkio.io_merged_recursive", "ioMergedRecursive"],
    ["blkio.io_queued_recursive", "ioQueueRecursive"],
    ["blkio.time_recursive", "ioTimeRecursive"],
    ["blkio.io_serviced_recursive", "ioServicedRecursive"],
    ["blkio.io_service_bytes_recursive", "ioServiceBytesRecursive"],
  ],
  [
    ["blkio.throttle.io_serviced_recursive", "ioServicedRecursive"],
    ["blkio.throttle.io_service_bytes_recursive", "ioServiceBytesRecursive"],
  ],
  [
    ["blkio.throttle.io_serviced", "ioServicedRecursive"],
    ["blkio.throttle.io_service_bytes", "ioServiceBytesRecursive"],
  ],
];

export function blkioV1(dir: string, stats: Stats, read: FileReader): void {
  for (const group of BLKIO_GROUPS) {
    for (let i = 0; i < group.length; i++) {
      const [name, key] = group[i]!;
      const text = read(dir, name);
      const entries = text === undefined ? [] : parseBlkioFile(text, join(dir, name));
      if (entries.length === 0) {
        if (i === 0) break;
        return;
      }
      stats.blkio[key] = entries;
      if (i === group.length - 1) return;
    }
  }
}

export function hugetlbV1(dir: string, stats: Stats, read: FileReader, pageSizes: string[]): void {
  for (const size of pageSizes) {
    const usage = uintFile(dir, `hugetlb.${size}.usage_in_bytes`, read);
    if (usage === undefined) continue;
    stats.hugetlb[size] = {
      usage,
      max: uintFile(dir, `hugetlb.${size}.max_usage_in_bytes`, read) ?? 0n,
      failcnt: uintFile(dir, `hugetlb.${size}.failcnt`, read) ?? 0n,
    };
  }
}
