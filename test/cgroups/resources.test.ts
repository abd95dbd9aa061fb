// linux.resources on the real host: create a container, read its cgroup files
// back, and check that bad values are refused before the container exists and
// leave nothing behind. Layout-aware: on cgroup v2 the v2 files are checked.

import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { UNIFIED } from "../../src/linux/cgroups/detect.js";
import { createCgroupManager } from "../../src/linux/cgroups/newManager.js";
import type { Resources, Spec } from "../../src/spec/types.js";
import { Sandbox, describeResult, type Bundle } from "../helpers/index.js";
import { cgroup2Mount, diskDevice, has, hostCgroupLayout, needs, RUNC_BIN } from "../helpers/host.js";

const LAYOUT = hostCgroupLayout();
const V2 = LAYOUT.layout === "v2";
/** The io controller's name on this layout. */
const IO = V2 ? "io" : "blkio";
const MiB = 1024 * 1024;

/** Host path of `file` in controller `ctrl` of a container whose cgroupsPath is "/<id>". */
function cgPath(ctrl: string, id: string, file: string): string {
  const h = V2 ? LAYOUT.hierarchies[UNIFIED] : LAYOUT.hierarchies[ctrl];
  if (h === undefined) throw new Error(`${ctrl} is not mounted`);
  return join(h.mountPoint, id, file);
}

function cg(ctrl: string, id: string, file: string): string {
  return readFileSync(cgPath(ctrl, id, file), "utf8").trim();
}

needs("containers", "berth").describe("linux.resources", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  function bundleWith(id: string, resources: Resources, edit?: (c: Spec) => void): Bundle {
    return sb.bundle({
      args: ["sleep", "30"],
      edit: (c) => {
        c.linux!.cgroupsPath = `/${id}`;
        c.linux!.resources = { ...c.linux!.resources, ...resources };
        edit?.(c);
      },
    });
  }

  function created(prefix: string, resources: Resources): string {
    const id = sb.id(prefix);
    sb.create(id, bundleWith(id, resources));
    return id;
  }

  async function removed(id: string): Promise<void> {
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  }

  /** Create must fail before the container exists, naming `pattern`, leaving nothing behind. */
  async function refused(resources: Resources, pattern: RegExp): Promise<string> {
    const id = sb.id("refused");
    const b = bundleWith(id, resources);
    sb.track(id, b);
    const r = sb.rt(["create", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).not.toBe(0);
    expect(r.stderr).toMatch(pattern);
    expect(sb.status(id)).toBe("absent");
    expect(await sb.waitClean(id)).toEqual([]);
    return r.stderr;
  }

  it("memory: limit, reservation (and swappiness/OOM switch on v1)", async () => {
    const id = created("mem", {
      memory: { limit: 256 * MiB, reservation: 128 * MiB, swappiness: 30, disableOOMKiller: true },
    });
    if (V2) {
      expect(cg("memory", id, "memory.max")).toBe(String(256 * MiB));
      expect(cg("memory", id, "memory.low")).toBe(String(128 * MiB));
    } else {
      expect(cg("memory", id, "memory.limit_in_bytes")).toBe(String(256 * MiB));
      expect(cg("memory", id, "memory.soft_limit_in_bytes")).toBe(String(128 * MiB));
      expect(cg("memory", id, "memory.swappiness")).toBe("30");
      expect(cg("memory", id, "memory.oom_control")).toMatch(/^oom_kill_disable 1$/m);
    }
    await removed(id);
  });

  it("memory: swap is written with swap accounting, a clear error without it", async () => {
    const res: Resources = { memory: { limit: 256 * MiB, swap: 512 * MiB } };
    if (has("swap-accounting")) {
      const id = created("swap", res);
      if (V2) expect(cg("memory", id, "memory.swap.max")).toBe(String(256 * MiB));
      else expect(cg("memory", id, "memory.memsw.limit_in_bytes")).toBe(String(512 * MiB));
      await removed(id);
    } else {
      await refused(res, /linux\.resources\.memory\.swap: swap accounting is (disabled in this kernel|not available)/);
    }
  });

  it("memory: -1 means unlimited", async () => {
    const id = created("memun", { memory: { limit: -1 } });
    if (V2) expect(cg("memory", id, "memory.max")).toBe("max");
    else expect(Number(cg("memory", id, "memory.limit_in_bytes"))).toBeGreaterThan(2 ** 62);
    await removed(id);
  });

  needs("swap-accounting").it("memory: update orders limit and swap against the current values", async () => {
    const id = created("memupd", { memory: { limit: 64 * MiB, swap: 128 * MiB } });
    const cgm = createCgroupManager({ cgroupsPath: `/${id}`, id, systemd: false });
    // Raising the limit past the current memory+swap limit needs swap first on v1.
    await cgm.apply({ memory: { limit: 512 * MiB, swap: 1024 * MiB } }, { update: true });
    const limitFile = V2 ? "memory.max" : "memory.limit_in_bytes";
    expect(cg("memory", id, limitFile)).toBe(String(512 * MiB));
    // Lowering both needs the limit first.
    await cgm.apply({ memory: { limit: 32 * MiB, swap: 48 * MiB } }, { update: true });
    expect(cg("memory", id, limitFile)).toBe(String(32 * MiB));
    if (!V2) {
      expect(cg("memory", id, "memory.memsw.limit_in_bytes")).toBe(String(48 * MiB));
    }
    // Only the keys given are written.
    await cgm.apply({ pids: { limit: 9 } }, { update: true });
    expect(cg("memory", id, limitFile)).toBe(String(32 * MiB));
    await removed(id);
  });

  it("cpu: shares, quota/period, burst and cpuset", async () => {
    const id = created("cpu", { cpu: { shares: 512, quota: 50000, period: 200000, burst: 10000, cpus: "0", mems: "0" } });
    if (V2) {
      expect(cg("cpu", id, "cpu.weight")).toBe("20");
      expect(cg("cpu", id, "cpu.max")).toBe("50000 200000");
      if (existsSync(cgPath("cpu", id, "cpu.max.burst"))) expect(cg("cpu", id, "cpu.max.burst")).toBe("10000");
    } else {
      expect(cg("cpu", id, "cpu.shares")).toBe("512");
      expect(cg("cpu", id, "cpu.cfs_quota_us")).toBe("50000");
      expect(cg("cpu", id, "cpu.cfs_period_us")).toBe("200000");
      if (existsSync(cgPath("cpu", id, "cpu.cfs_burst_us"))) expect(cg("cpu", id, "cpu.cfs_burst_us")).toBe("10000");
    }
    expect(cg("cpuset", id, "cpuset.cpus")).toBe("0");
    expect(cg("cpuset", id, "cpuset.mems")).toBe("0");
    await removed(id);
  });

  it("cpu: quota without a period keeps the default period", async () => {
    const id = created("cpuq", { cpu: { quota: 20000 } });
    if (V2) expect(cg("cpu", id, "cpu.max")).toBe("20000 100000");
    else {
      expect(cg("cpu", id, "cpu.cfs_quota_us")).toBe("20000");
      expect(cg("cpu", id, "cpu.cfs_period_us")).toBe("100000");
    }
    await removed(id);
  });

  needs("cpu-rt").it("cpu: realtime period and runtime (v1)", async () => {
    const id = created("rt", { cpu: { realtimePeriod: 1000000, realtimeRuntime: 1000 } });
    expect(cg("cpu", id, "cpu.rt_period_us")).toBe("1000000");
    expect(cg("cpu", id, "cpu.rt_runtime_us")).toBe("1000");
    await removed(id);
  });

  it("pids: limit, and -1 for none", async () => {
    const a = created("pids", { pids: { limit: 77 } });
    expect(cg("pids", a, "pids.max")).toBe("77");
    await removed(a);
    const b = created("pidsun", { pids: { limit: -1 } });
    expect(cg("pids", b, "pids.max")).toBe("max");
    await removed(b);
  });

  needs("disk", `controller:${IO}`).it("blockIO: throttles", async () => {
    const [major, minor] = diskDevice()!.split(":").map(Number) as [number, number];
    const id = created("blkio", {
      blockIO: {
        throttleReadBpsDevice: [{ major, minor, rate: 2 * MiB }],
        throttleWriteIOPSDevice: [{ major, minor, rate: 120 }],
      },
    });
    if (V2) {
      expect(cg("io", id, "io.max")).toMatch(new RegExp(`^${major}:${minor} rbps=${2 * MiB} wbps=max riops=max wiops=120`, "m"));
    } else {
      expect(cg("blkio", id, "blkio.throttle.read_bps_device")).toBe(`${major}:${minor} ${2 * MiB}`);
      expect(cg("blkio", id, "blkio.throttle.write_iops_device")).toBe(`${major}:${minor} 120`);
    }
    await removed(id);
  });

  needs(`controller:${IO}`).it(
    "blockIO: weight is written where the kernel has a weight file, a clear error where it has none",
    async () => {
      const res: Resources = { blockIO: { weight: 300 } };
      if (has("io-weight")) {
        const id = created("blkiow", res);
        if (V2) {
          if (existsSync(cgPath("io", id, "io.bfq.weight"))) expect(cg("io", id, "io.bfq.weight")).toMatch(/^default 300$/m);
          else expect(cg("io", id, "io.weight")).toMatch(/^default 2930$/m);
        } else {
          const weightFile = existsSync(cgPath("blkio", id, "blkio.weight")) ? "blkio.weight" : "blkio.bfq.weight";
          expect(cg("blkio", id, weightFile)).toMatch(/(^|\s)300$/m);
        }
        await removed(id);
      } else {
        const stderr = await refused(res, /linux\.resources\.blockIO\.weight: this kernel has neither/);
        expect(stderr).toMatch(V2 ? /io\.weight.*io\.bfq\.weight/ : /blkio\.weight.*blkio\.bfq\.weight/);
        expect(stderr).toContain("modprobe bfq");
      }
    },
  );

  it("hugepageLimits: written where hugetlb is available, a clear error otherwise", async () => {
    const res: Resources = { hugepageLimits: [{ pageSize: "2MB", limit: 4 * 2 * MiB }] };
    // A hybrid host may bind hugetlb to its cgroup2 mount rather than mount it as v1.
    const unified = cgroup2Mount();
    const onUnified =
      !V2 &&
      !has("controller:hugetlb") &&
      unified !== undefined &&
      readFileSync(join(unified, "cgroup.controllers"), "utf8").split(/\s+/).includes("hugetlb");
    if (!has("hugepages-2M")) {
      await refused(res, /linux\.resources\.hugepageLimits\[0\]\.pageSize: hugepage size \\?"2MB\\?" is not supported by this host/);
    } else if (!has("controller:hugetlb") && !onUnified) {
      await refused(res, /linux\.resources\.hugepageLimits\[0\]: the hugetlb (cgroup )?controller is not (mounted|available)/);
    } else {
      const id = created("huge", res);
      if (onUnified) expect(readFileSync(join(unified, id, "hugetlb.2MB.max"), "utf8").trim()).toBe(String(8 * MiB));
      else expect(cg("hugetlb", id, V2 ? "hugetlb.2MB.max" : "hugetlb.2MB.limit_in_bytes")).toBe(String(8 * MiB));
      await removed(id);
    }
  });

  it("network: v1 needs net_cls; v2 warns and runs", async () => {
    const res: Resources = { network: { classID: 0x100001 } };
    if (V2) {
      const id = created("net", res);
      await removed(id);
    } else if (!has("controller:net_cls")) {
      await refused(res, /linux\.resources\.network\.classID: the net_cls cgroup controller is not mounted/);
    } else {
      const id = created("net", res);
      expect(cg("net_cls", id, "net_cls.classid")).toBe(String(0x100001));
      await removed(id);
    }
  });

  it("unified: written on v2, refused with a clear error on v1 and hybrid", async () => {
    const res: Resources = { unified: { "pids.max": "33" } };
    if (V2) {
      const id = created("uni", res);
      expect(cg("pids", id, "pids.max")).toBe("33");
      await removed(id);
    } else {
      await refused(res, /linux\.resources\.unified: cgroup v2 settings cannot be applied/);
    }
  });

  it("refuses impossible values before the container exists", async () => {
    await refused(
      { memory: { limit: 200 * MiB, swap: 100 * MiB } },
      /linux\.resources\.memory\.swap: swap \(104857600\) must be at least the memory limit \(209715200\)/,
    );
    await refused({ cpu: { shares: 1 } }, /linux\.resources\.cpu\.shares: 1 is out of range \(2\.\.262144\)/);
    await refused({ cpu: { cpus: "0-x" } }, /linux\.resources\.cpu\.cpus: /);
    await refused({ blockIO: { weight: 5000 } }, /linux\.resources\.blockIO\.weight: /);
    await refused(
      { hugepageLimits: [{ pageSize: "3MB", limit: 1 }] },
      /linux\.resources\.hugepageLimits\[0\]\.pageSize: hugepage size \\?"3MB\\?" is not supported/,
    );
    await refused({ unified: { "../cgroup.procs": "1" } }, /linux\.resources\.unified/);
  });

  it("a value the kernel refuses names the JSON path and the file, and nothing is left behind", async () => {
    const cpus = readFileSync("/sys/devices/system/cpu/online", "utf8").trim();
    const last = Math.max(...cpus.split(",").map((r) => Number(r.split("-").pop())));
    const stderr = await refused(
      { cpu: { cpus: String(last + 8) } },
      /linux\.resources\.cpu\.cpus: writing \\?"\d+\\?" to \S+cpuset\.cpus: /,
    );
    expect(stderr).toMatch(/EINVAL|ERANGE|ENOSPC|EPERM/);
  });

  it("without linux.resources only the cgroup is made", async () => {
    const id = sb.id("nores");
    const b = sb.bundle({
      args: ["sleep", "30"],
      edit: (c) => {
        c.linux!.cgroupsPath = `/${id}`;
        delete c.linux!.resources;
      },
    });
    sb.create(id, b);
    if (V2) expect(cg("memory", id, "memory.max")).toBe("max");
    else expect(Number(cg("memory", id, "memory.limit_in_bytes"))).toBeGreaterThan(2 ** 62);
    await removed(id);
  });
});

needs("containers", "berth", "runc").describe("linux.resources: same cgroup files as runc", () => {
  const RUNC = RUNC_BIN;
  const sb = new Sandbox();
  const runcRoot = mkdtempSync("/tmp/berth-test-runcroot-");
  const runcIds: string[] = [];
  afterAll(async () => {
    for (const id of runcIds) spawnSync(RUNC, ["--root", runcRoot, "delete", "--force", id], { stdio: "ignore" });
    rmSync(runcRoot, { recursive: true, force: true });
    await sb.cleanup();
  });

  const disk = diskDevice();
  // Only what this host can apply: both runtimes refuse a swap limit without swap
  // accounting and a weight without a weight file.
  const resources: Resources = {
    memory: {
      limit: 96 * MiB,
      ...(has("swap-accounting") ? { swap: 160 * MiB } : {}),
      reservation: 64 * MiB,
      swappiness: 20,
      disableOOMKiller: true,
    },
    cpu: { shares: 700, quota: 30000, period: 150000, cpus: "0", mems: "0" },
    pids: { limit: 55 },
    ...(has(`controller:${IO}`)
      ? {
          blockIO: {
            ...(has("io-weight") ? { weight: 250 } : {}),
            ...(disk !== undefined
              ? { throttleReadBpsDevice: [{ major: Number(disk.split(":")[0]), minor: Number(disk.split(":")[1]), rate: 3 * MiB }] }
              : {}),
          },
        }
      : {}),
  };
  const files: [string, string][] = V2
    ? [
        ["memory", "memory.max"],
        ["memory", "memory.swap.max"],
        ["memory", "memory.low"],
        ["cpu", "cpu.weight"],
        ["cpu", "cpu.max"],
        ["cpuset", "cpuset.cpus"],
        ["cpuset", "cpuset.mems"],
        ["pids", "pids.max"],
        ["io", "io.weight"],
        ["io", "io.bfq.weight"],
        ["io", "io.max"],
      ]
    : [
        ["memory", "memory.limit_in_bytes"],
        ["memory", "memory.memsw.limit_in_bytes"],
        ["memory", "memory.soft_limit_in_bytes"],
        ["memory", "memory.swappiness"],
        ["memory", "memory.oom_control"],
        ["cpu", "cpu.shares"],
        ["cpu", "cpu.cfs_quota_us"],
        ["cpu", "cpu.cfs_period_us"],
        ["cpuset", "cpuset.cpus"],
        ["cpuset", "cpuset.mems"],
        ["pids", "pids.max"],
        ["blkio", "blkio.weight"],
        ["blkio", "blkio.bfq.weight"],
        ["blkio", "blkio.throttle.read_bps_device"],
      ];

  function snapshot(id: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [ctrl, file] of files) {
      const p = cgPath(ctrl, id, file);
      if (!existsSync(p)) continue;
      // Counters that change while the container runs are not settings.
      out[file] = readFileSync(p, "utf8")
        .split("\n")
        .filter((l) => !/^(under_oom|oom_kill) /.test(l))
        .join("\n")
        .trim();
    }
    return out;
  }

  it("memory, cpu, cpuset, pids and block IO limits match", async () => {
    const runcId = sb.id("diff-runc");
    const rb = sb.bundle({
      args: ["sleep", "30"],
      edit: (c) => {
        c.linux!.cgroupsPath = `/${runcId}`;
        c.linux!.resources = { ...c.linux!.resources, ...resources };
      },
    });
    runcIds.push(runcId);
    // runc hands its stdio to the container, so stderr goes to a file, not a pipe that stays open.
    const errFile = join(runcRoot, "stderr");
    const errFd = openSync(errFile, "w");
    const r = spawnSync(RUNC, ["--root", runcRoot, "create", "--bundle", rb.dir, runcId], {
      stdio: ["ignore", "ignore", errFd],
      timeout: 20_000,
    });
    closeSync(errFd);
    expect(r.status, readFileSync(errFile, "utf8")).toBe(0);
    const want = snapshot(runcId);
    spawnSync(RUNC, ["--root", runcRoot, "delete", "--force", runcId], { stdio: "ignore" });

    const id = sb.id("diff-berth");
    sb.create(
      id,
      sb.bundle({
        args: ["sleep", "30"],
        edit: (c) => {
          c.linux!.cgroupsPath = `/${id}`;
          c.linux!.resources = { ...c.linux!.resources, ...resources };
        },
      }),
    );
    const got = snapshot(id);
    sb.ok(["delete", "--force", id]);
    expect(Object.keys(want).length).toBeGreaterThan(5);
    expect(got).toEqual(want);
  });
});
