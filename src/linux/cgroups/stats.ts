// Container resource statistics in the shape `runc events` prints (runc's
// types.Stats), read from the container's cgroup files: v1 controllers on a
// v1 or hybrid host (statsV1.ts), the cgroup2 directory on a v2 host
// (statsV2.ts), parsed with statsParse.ts. This module holds the types, the
// OOM-kill counter and the JSON encoding, which follows Go's encoding/json:
// uint64 values are written in full (bigint, never rounded through a
// double), `omitempty` fields are left out when zero or empty, map keys are
// sorted, and <, >, & are escaped in strings.

import { join } from "node:path";
import { UNIFIED } from "./detect.js";
import { readCgroupFile } from "./files.js";
import type { CgroupState } from "./types.js";
import { hostHugePageSizes } from "./statsParse.js";
import { readFromDisk, readStatsV1 } from "./statsV1.js";
import { hugetlbV2, pidsV2, readStatsV2 } from "./statsV2.js";

export type { BlkioEntry, BlkioStats, HugetlbEntry, MemoryEntry, Stats } from "./statsTypes.js";
import type { BlkioEntry, MemoryEntry, Stats } from "./statsTypes.js";

export function emptyMemoryEntry(): MemoryEntry {
  return { limit: 0n, usage: 0n, max: 0n, failcnt: 0n };
}

export function emptyStats(): Stats {
  return {
    cpu: {
      usage: { total: 0n, percpu: [], percpu_kernel: [], percpu_user: [], kernel: 0n, user: 0n },
      throttling: { periods: 0n, throttledPeriods: 0n, throttledTime: 0n },
    },
    cpuset: {
      cpus: [],
      cpu_exclusive: 0n,
      mems: [],
      mem_hardwall: 0n,
      mem_exclusive: 0n,
      memory_migrate: 0n,
      memory_spread_page: 0n,
      memory_spread_slab: 0n,
      memory_pressure: 0n,
      sched_load_balance: 0n,
      sched_relax_domain_level: 0n,
    },
    memory: {
      cache: 0n,
      usage: emptyMemoryEntry(),
      swap: emptyMemoryEntry(),
      kernel: emptyMemoryEntry(),
      kernelTCP: emptyMemoryEntry(),
      raw: {},
    },
    pids: { current: 0n, limit: 0n },
    blkio: {
      ioServiceBytesRecursive: [],
      ioServicedRecursive: [],
      ioQueueRecursive: [],
      ioServiceTimeRecursive: [],
      ioWaitTimeRecursive: [],
      ioMergedRecursive: [],
      ioTimeRecursive: [],
      sectorsRecursive: [],
    },
    hugetlb: {},
  };
}

/** Read the statistics of a container's cgroups, as `runc events --stats` reports them. */
export function readStats(state: CgroupState): Stats {
  const stats = emptyStats();
  if (state.layout === "v2") {
    const dir = state.paths[UNIFIED];
    if (dir !== undefined) readStatsV2(dir, stats);
  } else {
    readStatsV1(state.paths, stats);
    // A hybrid host may bind hugetlb (or pids) to its cgroup2 mount instead of a v1 hierarchy.
    const unified = state.paths[UNIFIED];
    if (unified !== undefined) {
      if (state.paths["hugetlb"] === undefined) hugetlbV2(unified, stats, readFromDisk, hostHugePageSizes());
      if (state.paths["pids"] === undefined) pidsV2(unified, stats, readFromDisk);
    }
  }
  return stats;
}

/** Which counter of OOM kills applies to a container: v1 memory.oom_control, or cgroup2 memory.events. */
export function oomCounterFile(state: CgroupState): string | undefined {
  if (state.layout === "v2") {
    const dir = state.paths[UNIFIED];
    return dir === undefined ? undefined : join(dir, "memory.events");
  }
  const mem = state.paths["memory"];
  return mem === undefined ? undefined : join(mem, "memory.oom_control");
}

/**
 * How many processes of the container the kernel has OOM-killed so far (the
 * "oom_kill" line of memory.oom_control or memory.events); undefined when the
 * file is gone or the kernel does not count.
 */
export function readOomKillCount(state: CgroupState): bigint | undefined {
  const file = oomCounterFile(state);
  if (file === undefined) return undefined;
  let text: string | undefined;
  try {
    text = readCgroupFile(file);
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m === null ? undefined : BigInt(m[1]!);
}

// ---------------------------------------------------------------- JSON

/** Marker for a JSON value written as-is by encodeJson. */
type Json = bigint | number | string | boolean | null | Json[] | { [k: string]: Json | undefined };

function encodeString(s: string): string {
  // Go's encoder escapes these three for safe embedding in HTML.
  return JSON.stringify(s).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** JSON text of a value; bigint is written in full, undefined properties are left out. */
export function encodeJson(v: Json): string {
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return encodeString(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(encodeJson).join(",")}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v)) if (x !== undefined) parts.push(`${encodeString(k)}:${encodeJson(x)}`);
  return `{${parts.join(",")}}`;
}

/** omitempty for a number: left out when zero. */
function nz(v: bigint): bigint | undefined {
  return v === 0n ? undefined : v;
}

/** omitempty for a slice: left out when empty. */
function ne<T extends Json>(v: T[]): T[] | undefined {
  return v.length === 0 ? undefined : v;
}

function sortedMap<T>(m: Record<string, T>, f: (v: T) => Json): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const k of Object.keys(m).sort()) out[k] = f(m[k]!);
  return out;
}

function memoryEntryJson(e: MemoryEntry): Json {
  return { limit: e.limit, usage: nz(e.usage), max: nz(e.max), failcnt: e.failcnt };
}

function blkioJson(list: BlkioEntry[]): Json[] | undefined {
  return ne(list.map((e) => ({ major: nz(e.major), minor: nz(e.minor), op: e.op === "" ? undefined : e.op, value: nz(e.value) })));
}

/** The JSON object runc prints as an event's "data" (field order and omissions as runc's types.Stats). */
export function statsJson(s: Stats): Json {
  const u = s.cpu.usage;
  const t = s.cpu.throttling;
  const c = s.cpuset;
  const b = s.blkio;
  return {
    cpu: {
      usage: {
        total: nz(u.total),
        percpu: ne(u.percpu),
        percpu_kernel: ne(u.percpu_kernel),
        percpu_user: ne(u.percpu_user),
        kernel: u.kernel,
        user: u.user,
      },
      throttling: { periods: nz(t.periods), throttledPeriods: nz(t.throttledPeriods), throttledTime: nz(t.throttledTime) },
    },
    cpuset: {
      cpus: ne(c.cpus),
      cpu_exclusive: c.cpu_exclusive,
      mems: ne(c.mems),
      mem_hardwall: c.mem_hardwall,
      mem_exclusive: c.mem_exclusive,
      memory_migrate: c.memory_migrate,
      memory_spread_page: c.memory_spread_page,
      memory_spread_slab: c.memory_spread_slab,
      memory_pressure: c.memory_pressure,
      sched_load_balance: c.sched_load_balance,
      sched_relax_domain_level: c.sched_relax_domain_level,
    },
    memory: {
      cache: nz(s.memory.cache),
      usage: memoryEntryJson(s.memory.usage),
      swap: memoryEntryJson(s.memory.swap),
      kernel: memoryEntryJson(s.memory.kernel),
      kernelTCP: memoryEntryJson(s.memory.kernelTCP),
      raw: Object.keys(s.memory.raw).length === 0 ? undefined : sortedMap(s.memory.raw, (v) => v),
    },
    pids: { current: nz(s.pids.current), limit: nz(s.pids.limit) },
    blkio: {
      ioServiceBytesRecursive: blkioJson(b.ioServiceBytesRecursive),
      ioServicedRecursive: blkioJson(b.ioServicedRecursive),
      ioQueueRecursive: blkioJson(b.ioQueueRecursive),
      ioServiceTimeRecursive: blkioJson(b.ioServiceTimeRecursive),
      ioWaitTimeRecursive: blkioJson(b.ioWaitTimeRecursive),
      ioMergedRecursive: blkioJson(b.ioMergedRecursive),
      ioTimeRecursive: blkioJson(b.ioTimeRecursive),
      sectorsRecursive: blkioJson(b.sectorsRecursive),
    },
    hugetlb: sortedMap(s.hugetlb, (h) => ({ usage: nz(h.usage), max: nz(h.max), failcnt: h.failcnt })),
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** One line of `events` output: {"type":…,"id":…,"data":…} (data left out when absent, as runc does). */
export function eventJson(type: string, id: string, stats?: Stats): string {
  return encodeJson({ type, id, data: stats === undefined ? undefined : statsJson(stats) });
}
