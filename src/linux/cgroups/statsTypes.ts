// The shape of container resource statistics, as `runc events` prints them (runc's
// types.Stats); read by statsV1.ts and statsV2.ts, encoded by stats.ts.

export interface MemoryEntry {
  limit: bigint;
  usage: bigint;
  max: bigint;
  failcnt: bigint;
}
export interface BlkioEntry {
  major: bigint;
  minor: bigint;
  op: string;
  value: bigint;
}
export interface HugetlbEntry {
  usage: bigint;
  max: bigint;
  failcnt: bigint;
}

export interface BlkioStats {
  ioServiceBytesRecursive: BlkioEntry[];
  ioServicedRecursive: BlkioEntry[];
  ioQueueRecursive: BlkioEntry[];
  ioServiceTimeRecursive: BlkioEntry[];
  ioWaitTimeRecursive: BlkioEntry[];
  ioMergedRecursive: BlkioEntry[];
  ioTimeRecursive: BlkioEntry[];
  sectorsRecursive: BlkioEntry[];
}

export interface Stats {
  cpu: {
    /** Nanoseconds. */
    usage: { total: bigint; percpu: bigint[]; percpu_kernel: bigint[]; percpu_user: bigint[]; kernel: bigint; user: bigint };
    throttling: { periods: bigint; throttledPeriods: bigint; throttledTime: bigint };
  };
  cpuset: {
    cpus: number[];
    cpu_exclusive: bigint;
    mems: number[];
    mem_hardwall: bigint;
    mem_exclusive: bigint;
    memory_migrate: bigint;
    memory_spread_page: bigint;
    memory_spread_slab: bigint;
    memory_pressure: bigint;
    sched_load_balance: bigint;
    sched_relax_domain_level: bigint;
  };
  memory: {
    cache: bigint;
    usage: MemoryEntry;
    swap: MemoryEntry;
    kernel: MemoryEntry;
    kernelTCP: MemoryEntry;
    raw: Record<string, bigint>;
  };
  pids: { current: bigint; limit: bigint };
  blkio: BlkioStats;
  /** Page size as runc names it ("2MB", "1GB", "64KB") → usage. */
  hugetlb: Record<string, HugetlbEntry>;
}
