import { describe, expect, it } from "vitest";
import { emptyStats, encodeJson, eventJson, statsJson } from "./stats.js";
import {
  hugePageSizeNames,
  MAX_UINT64,
  parseCpuList,
  parseKeyValues,
  parseSingleInt,
  parseSingleUint,
  parseUintValue,
  valueByKey,
} from "./statsParse.js";
import { blkioV1, parseBlkioFile, readStatsV1, type FileReader } from "./statsV1.js";
import { parseIoStat, readStatsV2 } from "./statsV2.js";

/** A FileReader over literal file contents keyed "dir/name". */
function files(map: Record<string, string>): FileReader {
  return (dir, name) => map[`${dir}/${name}`];
}

describe("stats parsers", () => {
  it("reads unsigned counters as runc does: negatives are 0, max is the largest uint64", () => {
    expect(parseUintValue("42", "f")).toBe(42n);
    expect(parseUintValue("-4096", "f")).toBe(0n);
    expect(parseSingleUint("max\n", "f")).toBe(MAX_UINT64);
    expect(parseSingleUint("9223372036854771712\n", "f")).toBe(9223372036854771712n);
    expect(() => parseSingleUint("abc", "/x/memory.max")).toThrow(/\/x\/memory.max/);
    expect(() => parseUintValue("18446744073709551616", "f")).toThrow(/out of range/);
    expect(parseSingleInt("-1\n", "f")).toBe(-1n);
  });

  it("parses key/value files and finds one key", () => {
    expect(parseKeyValues("nr_periods 3\nnr_throttled 1\n", "f")).toEqual([
      ["nr_periods", 3n],
      ["nr_throttled", 1n],
    ]);
    expect(() => parseKeyValues("broken line here\n", "/c/cpu.stat")).toThrow(/cpu.stat/);
    expect(valueByKey("low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n", "oom_kill", "f")).toBe(2n);
    expect(valueByKey("low 0\n", "oom_kill", "f")).toBe(0n);
  });

  it("expands CPU lists", () => {
    expect(parseCpuList("0-3,7\n", "f")).toEqual([0, 1, 2, 3, 7]);
    expect(parseCpuList("0\n", "f")).toEqual([0]);
    expect(parseCpuList("\n", "f")).toEqual([]);
    expect(() => parseCpuList("3-1", "f")).toThrow(/backwards/);
    expect(() => parseCpuList("1-2-3", "f")).toThrow(/dash/);
  });

  it("names huge page sizes as runc does", () => {
    expect(hugePageSizeNames(["hugepages-2048kB", "hugepages-1048576kB", "hugepages-64kB", "other"])).toEqual(["2MB", "1GB", "64KB"]);
  });

  it("parses v1 blkio files with and without an op, skipping the Total line", () => {
    expect(parseBlkioFile("8:0 Read 4096\n8:0 Write 0\n8:0 Total 4096\nTotal 4096\n", "f")).toEqual([
      { major: 8n, minor: 0n, op: "Read", value: 4096n },
      { major: 8n, minor: 0n, op: "Write", value: 0n },
      { major: 8n, minor: 0n, op: "Total", value: 4096n },
    ]);
    expect(parseBlkioFile("253:1 12\n", "f")).toEqual([{ major: 253n, minor: 1n, op: "", value: 12n }]);
    expect(() => parseBlkioFile("garbage\n", "/b/blkio.x")).toThrow(/blkio.x/);
  });

  it("maps io.stat to Read/Write entries and skips what v1 has no name for", () => {
    const { bytes, ios } = parseIoStat(
      "8:0 rbytes=4096 wbytes=512 rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=1 wbytes=0 rios=1 wios=0\n",
      "f",
    );
    expect(bytes).toEqual([
      { major: 8n, minor: 0n, op: "Read", value: 4096n },
      { major: 8n, minor: 0n, op: "Write", value: 512n },
      { major: 259n, minor: 0n, op: "Read", value: 1n },
      { major: 259n, minor: 0n, op: "Write", value: 0n },
    ]);
    expect(ios.map((e) => e.value)).toEqual([1n, 2n, 1n, 0n]);
  });
});

describe("v1 statistics", () => {
  const d = (c: string) => `/sys/fs/cgroup/${c}/box`;
  const paths = {
    cpu: d("cpu"),
    cpuacct: d("cpu"),
    cpuset: d("cpuset"),
    memory: d("memory"),
    pids: d("pids"),
    blkio: d("blkio"),
    hugetlb: d("hugetlb"),
  };
  const LIMIT = "9223372036854771712\n";
  const host: Record<string, string> = {
    [`${d("cpu")}/cpu.stat`]: "nr_periods 0\nnr_throttled 0\nthrottled_time 0\nnr_bursts 0\nburst_time 0\n",
    [`${d("cpu")}/cpuacct.stat`]: "user 0\nsystem 0\n",
    [`${d("cpu")}/cpuacct.usage`]: "13088403\n",
    [`${d("cpu")}/cpuacct.usage_percpu`]: "2881538 10206865 \n",
    [`${d("cpu")}/cpuacct.usage_all`]: "cpu user system\n0 0 0\n1 4000000 4000000\n",
    [`${d("cpuset")}/cpuset.cpus`]: "0-1\n",
    [`${d("cpuset")}/cpuset.mems`]: "0\n",
    [`${d("cpuset")}/cpuset.cpu_exclusive`]: "0\n",
    [`${d("cpuset")}/cpuset.mem_hardwall`]: "0\n",
    [`${d("cpuset")}/cpuset.mem_exclusive`]: "0\n",
    [`${d("cpuset")}/cpuset.memory_migrate`]: "0\n",
    [`${d("cpuset")}/cpuset.memory_spread_page`]: "0\n",
    [`${d("cpuset")}/cpuset.memory_spread_slab`]: "0\n",
    [`${d("cpuset")}/cpuset.memory_pressure`]: "0\n",
    [`${d("cpuset")}/cpuset.sched_load_balance`]: "1\n",
    [`${d("cpuset")}/cpuset.sched_relax_domain_level`]: "-1\n",
    [`${d("memory")}/memory.stat`]: "cache 0\nrss 57344\nhierarchical_memory_limit 9223372036854771712\nactive_anon 4096\n",
    [`${d("memory")}/memory.usage_in_bytes`]: "749568\n",
    [`${d("memory")}/memory.max_usage_in_bytes`]: "2523136\n",
    [`${d("memory")}/memory.failcnt`]: "0\n",
    [`${d("memory")}/memory.limit_in_bytes`]: LIMIT,
    [`${d("memory")}/memory.memsw.usage_in_bytes`]: "749568\n",
    [`${d("memory")}/memory.memsw.max_usage_in_bytes`]: "2523136\n",
    [`${d("memory")}/memory.memsw.failcnt`]: "0\n",
    [`${d("memory")}/memory.memsw.limit_in_bytes`]: LIMIT,
    [`${d("memory")}/memory.kmem.usage_in_bytes`]: "479232\n",
    [`${d("memory")}/memory.kmem.max_usage_in_bytes`]: "598016\n",
    [`${d("memory")}/memory.kmem.failcnt`]: "0\n",
    [`${d("memory")}/memory.kmem.limit_in_bytes`]: LIMIT,
    [`${d("memory")}/memory.kmem.tcp.usage_in_bytes`]: "0\n",
    [`${d("memory")}/memory.kmem.tcp.max_usage_in_bytes`]: "0\n",
    [`${d("memory")}/memory.kmem.tcp.failcnt`]: "0\n",
    [`${d("memory")}/memory.kmem.tcp.limit_in_bytes`]: LIMIT,
    [`${d("pids")}/pids.current`]: "1\n",
    [`${d("pids")}/pids.max`]: "max\n",
    [`${d("blkio")}/blkio.throttle.io_serviced`]: "",
  };

  it("prints byte for byte what runc 1.1 printed for the same cgroup files", () => {
    const stats = emptyStats();
    readStatsV1(paths, stats, files(host), []);
    // runc 1.1.5's `events --stats` on this host, for a container whose files held the values above.
    const runc =
      '{"type":"stats","id":"c1","data":{"cpu":{"usage":{"total":13088403,"percpu":[2881538,10206865],' +
      '"percpu_kernel":[0,4000000],"percpu_user":[0,4000000],"kernel":0,"user":0},"throttling":{}},' +
      '"cpuset":{"cpus":[0,1],"cpu_exclusive":0,"mems":[0],"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,' +
      '"memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":1,"sched_relax_domain_level":-1},' +
      '"memory":{"usage":{"limit":9223372036854771712,"usage":749568,"max":2523136,"failcnt":0},' +
      '"swap":{"limit":9223372036854771712,"usage":749568,"max":2523136,"failcnt":0},' +
      '"kernel":{"limit":9223372036854771712,"usage":479232,"max":598016,"failcnt":0},' +
      '"kernelTCP":{"limit":9223372036854771712,"failcnt":0},' +
      '"raw":{"active_anon":4096,"cache":0,"hierarchical_memory_limit":9223372036854771712,"rss":57344}},' +
      '"pids":{"current":1},"blkio":{},"hugetlb":{},"intel_rdt":{},"network_interfaces":null}}';
    expect(eventJson("stats", "c1", stats)).toBe(runc);
  });

  it("converts cpuacct ticks to nanoseconds and reads throttling", () => {
    const stats = emptyStats();
    readStatsV1(
      { cpu: "/c", cpuacct: "/c" },
      stats,
      files({
        "/c/cpuacct.stat": "user 150\nsystem 25\n",
        "/c/cpu.stat": "nr_periods 10\nnr_throttled 4\nthrottled_time 123456\n",
      }),
      [],
    );
    expect(stats.cpu.usage.user).toBe(1_500_000_000n);
    expect(stats.cpu.usage.kernel).toBe(250_000_000n);
    expect(stats.cpu.throttling).toEqual({ periods: 10n, throttledPeriods: 4n, throttledTime: 123456n });
  });

  it("reports a pids limit and leaves absent controllers and files at zero", () => {
    const stats = emptyStats();
    readStatsV1({ pids: "/p", memory: "/m" }, stats, files({ "/p/pids.current": "3\n", "/p/pids.max": "64\n" }), []);
    expect(stats.pids).toEqual({ current: 3n, limit: 64n });
    expect(stats.memory.usage.usage).toBe(0n);
    const json = statsJson(stats) as Record<string, unknown>;
    expect(json.pids).toEqual({ current: 3n, limit: 64n });
    expect((json.memory as Record<string, unknown>).raw).toBeUndefined();
  });

  it("takes blkio from the first group of files that has data", () => {
    const stats = emptyStats();
    blkioV1(
      "/b",
      stats,
      files({
        "/b/blkio.bfq.sectors_recursive": "",
        "/b/blkio.throttle.io_serviced_recursive": "8:0 Read 2\n8:0 Write 1\nTotal 3\n",
        "/b/blkio.throttle.io_service_bytes_recursive": "8:0 Read 8192\n8:0 Write 4096\nTotal 12288\n",
        "/b/blkio.throttle.io_serviced": "8:0 Read 99\n",
      }),
    );
    expect(stats.blkio.ioServicedRecursive.map((e) => e.value)).toEqual([2n, 1n]);
    expect(stats.blkio.ioServiceBytesRecursive.map((e) => e.value)).toEqual([8192n, 4096n]);
    expect(encodeJson(statsJson(stats)).includes('"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":8192}')).toBe(true);
  });

  it("reads hugetlb per page size", () => {
    const stats = emptyStats();
    readStatsV1(
      { hugetlb: "/h" },
      stats,
      files({
        "/h/hugetlb.2MB.usage_in_bytes": "0\n",
        "/h/hugetlb.2MB.max_usage_in_bytes": "0\n",
        "/h/hugetlb.2MB.failcnt": "0\n",
        "/h/hugetlb.1GB.usage_in_bytes": "1073741824\n",
        "/h/hugetlb.1GB.max_usage_in_bytes": "1073741824\n",
        "/h/hugetlb.1GB.failcnt": "2\n",
      }),
      ["2MB", "1GB"],
    );
    expect(encodeJson(statsJson(stats))).toContain(
      '"hugetlb":{"1GB":{"usage":1073741824,"max":1073741824,"failcnt":2},"2MB":{"failcnt":0}}',
    );
  });
});

describe("v2 statistics", () => {
  const dir = "/sys/fs/cgroup/box";
  const base: Record<string, string> = {
    [`${dir}/cgroup.procs`]: "10\n11\n",
    [`${dir}/pids.current`]: "2\n",
    [`${dir}/pids.max`]: "max\n",
    [`${dir}/memory.stat`]: "anon 1048576\nfile 8192\nkernel 4096\n",
    [`${dir}/memory.current`]: "1060864\n",
    [`${dir}/memory.max`]: "8388608\n",
    [`${dir}/memory.swap.current`]: "4096\n",
    [`${dir}/memory.swap.max`]: "max\n",
    [`${dir}/io.stat`]: "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
    [`${dir}/cpu.stat`]: "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 2\nnr_throttled 1\nthrottled_usec 7\n",
    [`${dir}/hugetlb.2MB.current`]: "0\n",
    [`${dir}/hugetlb.2MB.events`]: "max 5\n",
  };

  it("maps cgroup2 files onto runc's fields", () => {
    const stats = emptyStats();
    readStatsV2(dir, stats, files(base), ["2MB"]);
    expect(stats.pids).toEqual({ current: 2n, limit: 0n });
    expect(stats.memory.cache).toBe(8192n);
    expect(stats.memory.usage).toEqual({ limit: 8388608n, usage: 1060864n, max: 0n, failcnt: 0n });
    // swap is memory+swap; an unlimited swap stays the largest uint64
    expect(stats.memory.swap).toEqual({ limit: MAX_UINT64, usage: 1064960n, max: 0n, failcnt: 0n });
    expect(stats.cpu.usage).toMatchObject({ total: 1_500_000n, user: 1_000_000n, kernel: 500_000n });
    expect(stats.cpu.throttling).toEqual({ periods: 2n, throttledPeriods: 1n, throttledTime: 7000n });
    expect(stats.blkio.ioServiceBytesRecursive).toEqual([
      { major: 8n, minor: 0n, op: "Read", value: 4096n },
      { major: 8n, minor: 0n, op: "Write", value: 0n },
    ]);
    expect(stats.hugetlb).toEqual({ "2MB": { usage: 0n, max: 0n, failcnt: 5n } });
    const text = eventJson("stats", "c2", stats);
    expect(text).toContain('"swap":{"limit":18446744073709551615,"usage":1064960,"failcnt":0}');
    expect(JSON.parse(text).data.memory.usage.usage).toBe(1060864);
  });

  it("adds a swap limit to the memory limit, and counts processes without the pids controller", () => {
    const m: Record<string, string> = { ...base, [`${dir}/memory.swap.max`]: "1048576\n" };
    delete m[`${dir}/pids.current`];
    delete m[`${dir}/pids.max`];
    const stats = emptyStats();
    readStatsV2(dir, stats, files(m), []);
    expect(stats.memory.swap.limit).toBe(8388608n + 1048576n);
    expect(stats.pids).toEqual({ current: 2n, limit: 0n });
  });

  it("reads nothing for controllers that are not enabled (hybrid cgroup2 directory)", () => {
    const stats = emptyStats();
    readStatsV2(
      dir,
      stats,
      files({ [`${dir}/cgroup.procs`]: "7\n", [`${dir}/cpu.stat`]: "usage_usec 10\nuser_usec 6\nsystem_usec 4\n" }),
      [],
    );
    expect(stats.pids.current).toBe(1n);
    expect(stats.cpu.usage.total).toBe(10_000n);
    expect(stats.memory.raw).toEqual({});
  });
});

describe("event JSON", () => {
  it("leaves out data for an oom event and escapes like Go", () => {
    expect(eventJson("oom", "c<1>")).toBe('{"type":"oom","id":"c\\u003c1\\u003e"}');
  });
});
