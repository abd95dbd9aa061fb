import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { thrown } from "../testing/thrown.js";
import { planOptions } from "../testing/planOptions.js";
import type { Process, Spec } from "../spec/types.js";
import {
  DEFAULT_PATH,
  buildExecPlan,
  buildMemoryPolicy,
  buildSchedAttr,
  cpuMask,
  dedupEnv,
  buildInitPlan,
  renderTimeOffsets,
  type InitPlanOptions,
} from "./planBuilder.js";

const MS_RDONLY = 1n,
  MS_NOSUID = 2n,
  MS_NODEV = 4n,
  MS_NOEXEC = 8n,
  MS_BIND = 0x1000n,
  MS_REC = 0x4000n;
const MS_PRIVATE = 0x40000,
  MS_SLAVE = 0x80000,
  MS_SHARED = 0x100000,
  MS_UNBINDABLE = 0x20000;
const S_IFCHR = 0o020000,
  S_IFBLK = 0o060000,
  S_IFIFO = 0o010000;

let bundle: string;

beforeAll(() => {
  bundle = mkdtempSync(join(tmpdir(), "berth-plan-"));
  mkdirSync(join(bundle, "rootfs/etc"), { recursive: true });
  writeFileSync(join(bundle, "rootfs/etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n");
  mkdirSync(join(bundle, "data"));
  writeFileSync(join(bundle, "hosts"), "127.0.0.1 localhost\n");
});
afterAll(() => rmSync(bundle, { recursive: true, force: true }));

function baseSpec(): Spec {
  return {
    ociVersion: "1.3.0",
    root: { path: "rootfs" },
    process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/", env: ["PATH=/bin", "TERM=xterm"] },
    hostname: "box",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
      },
    ],
    linux: { namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }] },
  };
}

function opts(extra: Partial<InitPlanOptions> = {}): InitPlanOptions {
  return planOptions(bundle, extra);
}

describe("buildInitPlan: basics", () => {
  it("resolves the rootfs against the bundle and fills the init-only fields", () => {
    const p = buildInitPlan(baseSpec(), opts());
    expect(p.mode).toBe("init");
    expect(p.rootfs).toBe(join(bundle, "rootfs"));
    expect(p.rootReadonly).toBe(false);
    expect(p.noPivot).toBe(false);
    expect(p.fifoPath).toBe("/run/berth/c1/exec.fifo");
    expect(p.checkExec).toBe(true);
    expect(p.setsid).toBe(true);
    expect(p.defaultPath).toBe(DEFAULT_PATH);
    expect(p.hostname).toBe("box");
    expect(p.domainname).toBeUndefined();
    expect(p.hooksSync).toBe(false);
    expect(p.rootfsPropagation).toBe(MS_SLAVE | 0x4000);
  });

  it("keeps an absolute root path and honours root.readonly, noPivot, wait and fd counts", () => {
    const s = baseSpec();
    s.root = { path: join(bundle, "rootfs"), readonly: true };
    const p = buildInitPlan(s, opts({ noPivot: true, wait: true, preserveFds: 2, listenFds: 1 }));
    expect(p.rootfs).toBe(join(bundle, "rootfs"));
    expect(p.rootReadonly).toBe(true);
    expect(p.noPivot).toBe(true);
    expect(p.wait).toBe(true);
    expect(p.preserveFds).toBe(2);
    expect(p.listenFds).toBe(1);
  });

  it("requires process and root", () => {
    const s = baseSpec();
    delete s.process;
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("process");
    const t = baseSpec();
    delete t.root;
    expect(thrown(() => buildInitPlan(t, opts())).path).toBe("root.path");
  });
});

describe("buildInitPlan: namespaces", () => {
  it("turns namespaces without a path into clone flags", () => {
    const p = buildInitPlan(baseSpec(), opts());
    expect(p.cloneFlags).toBe(0x20000000 | 0x40000000 | 0x08000000 | 0x04000000 | 0x00020000);
    expect(p.userns).toBe(false);
    expect(p.nsJoin).toEqual([]);
  });

  it("joins namespaces with a path after checking it exists and has the right type", () => {
    const s = baseSpec();
    s.linux!.namespaces = [{ type: "mount" }, { type: "network", path: "/proc/self/ns/net" }];
    const p = buildInitPlan(s, opts());
    expect(p.cloneFlags).toBe(0x00020000);
    expect(p.nsJoin).toEqual([{ type: 0x40000000, path: "/proc/self/ns/net" }]);

    s.linux!.namespaces = [{ type: "mount" }, { type: "network", path: "/proc/self/ns/ipc" }];
    const e = thrown(() => buildInitPlan(s, opts()));
    expect(e.path).toBe("linux.namespaces[1].path");
    expect(e.message).toContain("ipc");

    s.linux!.namespaces = [{ type: "mount" }, { type: "ipc", path: "/nonexistent/ns/ipc" }];
    const g = thrown(() => buildInitPlan(s, opts()));
    expect(g.errno).toBe("ENOENT");
    expect(g.hint).toContain("linux.namespaces[1].path");
  });

  it("sets userns for a new user namespace and includes CLONE_NEWUSER", () => {
    const s = baseSpec();
    s.linux!.namespaces!.push({ type: "user" });
    const p = buildInitPlan(s, opts());
    expect(p.userns).toBe(true);
    expect(p.cloneFlags & 0x10000000).toBe(0x10000000);
  });

  it("rejects unknown and duplicate types; without a mount namespace, refuses what would touch mounts outside the rootfs", () => {
    const s = baseSpec();
    s.linux!.namespaces = [{ type: "mount" }, { type: "net" as "network" }];
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("linux.namespaces[1].type");
    s.linux!.namespaces = [{ type: "mount" }, { type: "pid" }, { type: "pid" }];
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("linux.namespaces[2].type");
    s.linux!.namespaces = [{ type: "pid" }];
    s.root!.readonly = false;
    expect(buildInitPlan(s, opts()).cloneFlags & 0x00020000).toBe(0);
    s.root!.readonly = true;
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("root.readonly");
    s.root!.readonly = false;
    s.linux!.rootfsPropagation = "shared";
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("linux.rootfsPropagation");
  });

  it("renders time namespace offsets", () => {
    const s = baseSpec();
    s.linux!.namespaces!.push({ type: "time" });
    s.linux!.timeOffsets = { boottime: { secs: 5 }, monotonic: { secs: -10, nanosecs: 250 } };
    const p = buildInitPlan(s, opts());
    expect(p.cloneFlags & 0x80).toBe(0x80);
    expect(p.timensOffsets).toBe("monotonic -10 250\nboottime 5 0\n");
    expect(renderTimeOffsets({ monotonic: { secs: 1, nanosecs: 2 } })).toBe("monotonic 1 2\n");
    expect(() => renderTimeOffsets({ realtime: { secs: 1 } })).toThrowError(/linux\.timeOffsets\.realtime/);
    const t = baseSpec();
    t.linux!.timeOffsets = { monotonic: { secs: 1 } };
    expect(thrown(() => buildInitPlan(t, opts())).path).toBe("linux.timeOffsets");
  });
});

describe("buildInitPlan: mounts", () => {
  it("keeps config order and splits options into flags, data and propagation", () => {
    const p = buildInitPlan(baseSpec(), opts());
    expect(p.mounts.map((m) => m.destination)).toEqual(["/proc", "/dev", "/dev/pts"]);
    const [proc, dev, pts] = p.mounts;
    expect(proc).toEqual({
      source: "proc",
      destination: "/proc",
      fstype: "proc",
      flags: 0n,
      data: "",
      propagation: [],
      bind: false,
      remountFlags: 0n,
      destIsFile: false,
      cgroup: false,
    });
    expect(dev!.flags).toBe(MS_NOSUID | 0x1000000n);
    expect(dev!.data).toBe("mode=755,size=65536k");
    expect(pts!.flags).toBe(MS_NOSUID | MS_NOEXEC);
    expect(pts!.data).toBe("newinstance,ptmxmode=0666,mode=0620,gid=5");
  });

  it("makes relative destinations absolute below /", () => {
    const s = baseSpec();
    s.mounts!.push({ destination: "tmp/x/../y", type: "tmpfs", source: "tmpfs" });
    expect(buildInitPlan(s, opts()).mounts[3]!.destination).toBe("/tmp/y");
  });

  it("detects binds by type or option, resolves the source and asks for a remount when flags are given", () => {
    const s = baseSpec();
    s.mounts = [
      { destination: "/data", type: "bind", source: "data", options: ["ro", "nosuid", "nodev", "noexec"] },
      { destination: "/etc/hosts", type: "none", source: join(bundle, "hosts"), options: ["rbind", "rprivate"] },
      { destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"] },
    ];
    const [data, hosts, sys] = buildInitPlan(s, opts()).mounts;
    expect(data!.bind).toBe(true);
    expect(data!.source).toBe(join(bundle, "data"));
    expect(data!.fstype).toBe("bind");
    expect(data!.flags).toBe(MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    expect(data!.remountFlags).toBe(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    expect(data!.destIsFile).toBe(false);
    expect(hosts!.bind).toBe(true);
    expect(hosts!.flags).toBe(MS_BIND | MS_REC);
    expect(hosts!.remountFlags).toBe(0n);
    expect(hosts!.destIsFile).toBe(true);
    expect(hosts!.propagation).toEqual([MS_PRIVATE | 0x4000]);
    expect(sys!.flags).toBe(MS_BIND | MS_REC | MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
    expect(sys!.remountFlags).toBe(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
    expect(sys!.source).toBe("/sys");
  });

  it("fails on a missing bind source, naming the mount", () => {
    const s = baseSpec();
    s.mounts!.push({ destination: "/x", type: "bind", source: "nope" });
    const e = thrown(() => buildInitPlan(s, opts()));
    expect(e.errno).toBe("ENOENT");
    expect(e.path).toBe(join(bundle, "nope"));
    expect(e.hint).toContain("mounts[3].source");
  });

  it("flags cgroup mounts", () => {
    const s = baseSpec();
    s.mounts!.push({
      destination: "/sys/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["nosuid", "noexec", "nodev", "relatime", "ro"],
    });
    const m = buildInitPlan(s, opts()).mounts[3]!;
    expect(m.cgroup).toBe(true);
    expect(m.flags).toBe(MS_NOSUID | MS_NOEXEC | MS_NODEV | 0x200000n | MS_RDONLY);
  });

  it("maps rootfsPropagation", () => {
    const cases: [string, number][] = [
      ["private", MS_PRIVATE],
      ["rprivate", MS_PRIVATE | 0x4000],
      ["slave", MS_SLAVE],
      ["rslave", MS_SLAVE | 0x4000],
      ["shared", MS_SHARED],
      ["rshared", MS_SHARED | 0x4000],
      ["unbindable", MS_UNBINDABLE],
      ["runbindable", MS_UNBINDABLE | 0x4000],
    ];
    for (const [name, flags] of cases) {
      const s = baseSpec();
      s.linux!.rootfsPropagation = name;
      expect(buildInitPlan(s, opts()).rootfsPropagation).toBe(flags);
    }
    const s = baseSpec();
    s.linux!.rootfsPropagation = "sideways";
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("linux.rootfsPropagation");
  });
});

describe("buildInitPlan: /dev", () => {
  it("creates the default devices, ptmx symlink and /dev symlinks", () => {
    const p = buildInitPlan(baseSpec(), opts());
    expect(p.devices.map((d) => [d.path, d.type, d.major, d.minor, d.mode, d.uid, d.gid, d.bindFrom])).toEqual([
      ["/dev/null", S_IFCHR, 1, 3, 0o666, 0, 0, undefined],
      ["/dev/random", S_IFCHR, 1, 8, 0o666, 0, 0, undefined],
      ["/dev/full", S_IFCHR, 1, 7, 0o666, 0, 0, undefined],
      ["/dev/tty", S_IFCHR, 5, 0, 0o666, 0, 0, undefined],
      ["/dev/zero", S_IFCHR, 1, 5, 0o666, 0, 0, undefined],
      ["/dev/urandom", S_IFCHR, 1, 9, 0o666, 0, 0, undefined],
    ]);
    expect(p.devptsPtmx).toBe(true);
    expect(p.symlinks.map((l) => l.path)).toEqual(["/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr"]);
    const k = buildInitPlan(baseSpec(), opts({ host: { hasKcore: () => true, lastCap: () => 40, inUserNs: () => false } }));
    expect(k.symlinks.at(-1)).toEqual({ target: "/proc/kcore", path: "/dev/core" });
  });

  it("lets config devices override defaults and appends the others", () => {
    const s = baseSpec();
    s.linux!.devices = [
      { type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 0o620, uid: 5, gid: 6 },
      { type: "b", path: "/dev/sda", major: 8, minor: 0 },
      { type: "p", path: "/dev/fifo", fileMode: 0o100644 },
      { type: "u", path: "/dev/u", major: 4, minor: 64 },
    ];
    const d = buildInitPlan(s, opts()).devices;
    expect(d.map((x) => x.path)).toEqual([
      "/dev/random",
      "/dev/full",
      "/dev/tty",
      "/dev/zero",
      "/dev/urandom",
      "/dev/null",
      "/dev/sda",
      "/dev/fifo",
      "/dev/u",
    ]);
    expect(d[5]).toEqual({ path: "/dev/null", type: S_IFCHR, major: 1, minor: 3, mode: 0o620, uid: 5, gid: 6 });
    expect(d[6]).toMatchObject({ type: S_IFBLK, major: 8, minor: 0, mode: 0o666 });
    expect(d[7]).toMatchObject({ type: S_IFIFO, mode: 0o644 });
    expect(d[8]).toMatchObject({ type: S_IFCHR, major: 4, minor: 64 });
    s.linux!.devices = [{ type: "c", path: "/dev/x" }];
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("linux.devices[0]");
    // podman sends the whole st_mode (0o20600: a character device, 0600): the permission bits are used.
    s.linux!.devices = [{ type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o20600 }];
    expect(buildInitPlan(s, opts()).devices.at(-1)).toMatchObject({ path: "/dev/fuse", type: S_IFCHR, mode: 0o600 });
  });

  it("binds devices from the host in a user namespace", () => {
    const s = baseSpec();
    s.linux!.namespaces!.push({ type: "user" });
    s.linux!.devices = [{ type: "c", path: "/dev/fuse", major: 10, minor: 229 }];
    const d = buildInitPlan(s, opts()).devices;
    expect(d.every((x) => x.bindFrom === x.path)).toBe(true);
    expect(d.at(-1)!.bindFrom).toBe("/dev/fuse");
    const n = buildInitPlan(baseSpec(), opts({ host: { hasKcore: () => false, lastCap: () => 40, inUserNs: () => true } }));
    expect(n.devices[0]!.bindFrom).toBe("/dev/null");
  });

  it("skips /dev setup when /dev is bind-mounted, and ptmx without devpts", () => {
    const s = baseSpec();
    s.mounts = [{ destination: "/dev", type: "bind", source: "/dev", options: ["rbind"] }];
    const p = buildInitPlan(s, opts());
    expect(p.devices).toEqual([]);
    expect(p.symlinks).toEqual([]);
    expect(p.devptsPtmx).toBe(false);
    const t = baseSpec();
    t.mounts = t.mounts!.slice(0, 2);
    const q = buildInitPlan(t, opts());
    expect(q.devptsPtmx).toBe(false);
    expect(q.devices).toHaveLength(6);
  });

  it("leaves /dev/ptmx to the devpts symlink", () => {
    const s = baseSpec();
    s.linux!.devices = [{ type: "c", path: "/dev/ptmx", major: 5, minor: 2 }];
    expect(buildInitPlan(s, opts()).devices.some((d) => d.path === "/dev/ptmx")).toBe(false);
  });
});

describe("buildInitPlan: linux", () => {
  it("passes masked/readonly paths, converts sysctl keys", () => {
    const s = baseSpec();
    s.linux!.maskedPaths = ["/proc/kcore", "/sys/firmware"];
    s.linux!.readonlyPaths = ["/proc/sys"];
    s.linux!.sysctl = { "net.ipv4.ip_forward": "1", "kernel.msgmax": "8192" };
    s.domainname = "example.org";
    const p = buildInitPlan(s, opts());
    expect(p.maskedPaths).toEqual(["/proc/kcore", "/sys/firmware"]);
    expect(p.readonlyPaths).toEqual(["/proc/sys"]);
    expect(p.sysctl).toEqual([
      { key: "net/ipv4/ip_forward", value: "1" },
      { key: "kernel/msgmax", value: "8192" },
    ]);
    expect(p.domainname).toBe("example.org");
  });

  it("compiles linux.seccomp into the plan's filter, with its flags", () => {
    const s = baseSpec();
    s.linux!.seccomp = {
      defaultAction: "SCMP_ACT_ALLOW",
      flags: ["SECCOMP_FILTER_FLAG_LOG"],
      syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }],
    };
    const warnings: string[] = [];
    const p = buildInitPlan(s, opts({ warn: (m) => warnings.push(m) }));
    expect(warnings).toEqual([]);
    expect(p.seccomp?.flags).toBe(2);
    expect(p.seccomp!.bpf.length % 8).toBe(0);
    expect(buildInitPlan(baseSpec(), opts()).seccomp).toBeUndefined();
  });

  it("refuses LSM labels it cannot apply, naming the field: any without the LSM, SELinux with it", () => {
    const cases: [(s: Spec) => void, RegExp][] = [
      [
        (s) => {
          s.process!.apparmorProfile = "p";
        },
        /process\.apparmorProfile: AppArmor is not enabled on this host/,
      ],
      [
        (s) => {
          s.process!.selinuxLabel = "l";
        },
        /process\.selinuxLabel: SELinux is not enabled on this host/,
      ],
      [
        (s) => {
          s.linux!.mountLabel = "m";
        },
        /linux\.mountLabel: SELinux is not enabled on this host/,
      ],
    ];
    for (const [edit, re] of cases) {
      const s = baseSpec();
      edit(s);
      expect(thrown(() => buildInitPlan(s, opts({ host: { lsms: () => [] } }))).message).toMatch(re);
    }
    for (const edit of cases.slice(1).map((c) => c[0])) {
      const s = baseSpec();
      edit(s);
      expect(thrown(() => buildInitPlan(s, opts({ host: { lsms: () => ["apparmor", "selinux"] } }))).message).toMatch(
        /berth cannot apply SELinux labels yet/,
      );
    }
    const s = baseSpec();
    s.process!.apparmorProfile = "";
    expect(() => buildInitPlan(s, opts({ host: { lsms: () => [] } }))).not.toThrow();
  });

  it("turns an AppArmor profile into an exec label where AppArmor is enabled", () => {
    const s = baseSpec();
    s.process!.apparmorProfile = "berth-default";
    const label = buildInitPlan(s, opts({ host: { lsms: () => ["apparmor"] } })).process.execLabel!;
    expect(label.value).toBe("exec berth-default");
    expect(label.attr).toMatch(/^attr\/(apparmor\/)?exec$/);
    expect(label.what).toContain("process.apparmorProfile");
    s.process!.apparmorProfile = "bad\nname";
    expect(thrown(() => buildInitPlan(s, opts({ host: { lsms: () => ["apparmor"] } }))).message).toMatch(/process\.apparmorProfile/);
  });

  it("keeps one entry per variable, the last, and fills a missing or empty HOME from passwd (as runc)", () => {
    expect(dedupEnv(["TERM=vt100", "HOME=/home/one", "HOME=/home/two", "TERM=xterm", "HOME=/home/three", "FOO=bar"])).toEqual([
      "TERM=xterm",
      "HOME=/home/three",
      "FOO=bar",
    ]);
    expect(dedupEnv(["A=a", "A=b", "A=c"])).toEqual(["A=c"]);
    const s = baseSpec();
    s.process!.env = ["ONE=two", "ONE=", "HOME="];
    expect(buildInitPlan(s, opts()).process.env).toEqual(["ONE=", "HOME=/root"]);
  });

  it("linux.personality: LINUX and LINUX32 become personas; other domains and any flag are refused", () => {
    const s = baseSpec();
    s.linux!.personality = { domain: "LINUX32" };
    expect(buildInitPlan(s, opts()).personality).toBe(8);
    s.linux!.personality = { domain: "LINUX", flags: [] };
    expect(buildInitPlan(s, opts()).personality).toBe(0);
    s.linux!.personality = { domain: "SVR4" };
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("linux.personality.domain");
    s.linux!.personality = { domain: "LINUX", flags: ["ADDR_NO_RANDOMIZE"] };
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("linux.personality.flags");
    expect(buildInitPlan(baseSpec(), opts()).personality).toBeUndefined();
  });

  it("process.ioPriority: class and level become one ioprio value; bad ones are refused by name", () => {
    const s = baseSpec();
    s.process!.ioPriority = { class: "IOPRIO_CLASS_BE", priority: 6 };
    expect(buildInitPlan(s, opts()).process.ioPriority).toBe((2 << 13) | 6);
    s.process!.ioPriority = { class: "IOPRIO_CLASS_NONE", priority: 0 };
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("process.ioPriority.class");
    s.process!.ioPriority = { class: "IOPRIO_CLASS_IDLE", priority: 8 };
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("process.ioPriority.priority");
  });

  it("process.execCPUAffinity: CPU lists become masks for exec plans only; a bad list is refused by name", () => {
    expect([...cpuMask("0-2,7", "x")!.subarray(0, 2)]).toEqual([0b10000111, 0]);
    expect(cpuMask("", "x")).toBeUndefined();
    expect(thrown(() => cpuMask("3-1", "process.execCPUAffinity.final")).path).toBe("process.execCPUAffinity.final");
    expect(thrown(() => cpuMask("a", "p")).path).toBe("p");
    const pr = { user: { uid: 0, gid: 0 }, args: ["true"], cwd: "/", execCPUAffinity: { initial: "0", final: "1" } };
    const p = buildExecPlan(pr, {
      initPid: 1,
      namespaces: [],
      userns: false,
      preserveFds: 0,
      consoleSocket: false,
      wait: true,
      detach: false,
    });
    expect(p.cpuAffinityInitial![0]).toBe(1);
    expect(p.cpuAffinityFinal![0]).toBe(2);
    const s = baseSpec();
    s.process!.execCPUAffinity = { final: "1" };
    expect(buildInitPlan(s, opts()).cpuAffinityFinal).toBeUndefined(); // not for the init process
  });

  it("process.scheduler: a struct sched_attr as the kernel reads it; bad policies, ranges and deadline triples are refused by name", () => {
    const a = buildSchedAttr({ policy: "SCHED_FIFO", priority: 10, flags: ["SCHED_FLAG_RESET_ON_FORK"] }, "process.scheduler")!;
    expect([a.readUInt32LE(0), a.readUInt32LE(4), a.readBigUInt64LE(8), a.readInt32LE(16), a.readUInt32LE(20)]).toEqual([56, 1, 1n, 0, 10]);
    const d = buildSchedAttr({ policy: "SCHED_DEADLINE", runtime: 1000000, deadline: 2000000, period: 4000000 }, "p")!;
    expect([d.readBigUInt64LE(24), d.readBigUInt64LE(32), d.readBigUInt64LE(40)]).toEqual([1000000n, 2000000n, 4000000n]);
    const path = (v: unknown): string | undefined => thrown(() => buildSchedAttr(v, "process.scheduler")).path;
    expect(path({ policy: "SCHED_NOPE" })).toBe("process.scheduler.policy");
    expect(path({ policy: "SCHED_ISO" })).toBe("process.scheduler.policy");
    expect(path({ policy: "SCHED_FIFO", priority: 0 })).toBe("process.scheduler.priority");
    expect(path({ policy: "SCHED_OTHER", nice: 20 })).toBe("process.scheduler.nice");
    expect(path({ policy: "SCHED_OTHER", flags: ["SCHED_FLAG_X"] })).toBe("process.scheduler.flags[0]");
    expect(path({ policy: "SCHED_DEADLINE", runtime: 3, deadline: 2, period: 4 })).toBe("process.scheduler");
  });

  it("linux.memoryPolicy: mode, flags and online nodes; a node the host lacks, or nodes where the mode takes none, are refused by name", () => {
    expect(buildMemoryPolicy({ mode: "MPOL_INTERLEAVE", nodes: "0-1", flags: ["MPOL_F_STATIC_NODES"] }, () => "0-3")).toEqual({
      mode: 3 | (1 << 15),
      nodes: cpuMask("0-1", "x"),
    });
    expect(buildMemoryPolicy({ mode: "MPOL_LOCAL" }, () => "0")).toEqual({ mode: 4 });
    const path = (v: unknown, online = "0"): string | undefined => thrown(() => buildMemoryPolicy(v, () => online)).path;
    expect(path({ mode: "MPOL_BIND", nodes: "1" })).toBe("linux.memoryPolicy.nodes");
    expect(path({ mode: "MPOL_BIND" })).toBe("linux.memoryPolicy.nodes");
    expect(path({ mode: "MPOL_DEFAULT", nodes: "0" })).toBe("linux.memoryPolicy.nodes");
    expect(path({ mode: "MPOL_FAST" })).toBe("linux.memoryPolicy.mode");
    expect(path({ mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_X"] })).toBe("linux.memoryPolicy.flags[0]");
  });

  it("gives exec plans the container's filter", () => {
    const p = buildExecPlan(
      { user: { uid: 0, gid: 0 }, args: ["true"], cwd: "/" },
      {
        initPid: 1,
        namespaces: [],
        userns: false,
        preserveFds: 0,
        consoleSocket: false,
        wait: true,
        detach: false,
        seccomp: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }] },
      },
    );
    expect(p.seccomp!.bpf.length).toBeGreaterThan(0);
  });
});

describe("buildInitPlan: process", () => {
  it("copies args/env/cwd/user and adds HOME from the rootfs passwd", () => {
    const s = baseSpec();
    s.process = { user: { uid: 1000, gid: 1000, additionalGids: [10, 20] }, args: ["ls", "-l"], cwd: "/tmp", env: ["A=1"] };
    const p = buildInitPlan(s, opts()).process;
    expect(p.args).toEqual(["ls", "-l"]);
    expect(p.env).toEqual(["A=1", "HOME=/home/bob"]);
    expect(p.cwd).toBe("/tmp");
    expect([p.uid, p.gid, p.additionalGids]).toEqual([1000, 1000, [10, 20]]);
    expect(p.umask).toBe(0o022);
    expect(p.terminal).toBe(false);
    expect(p.noNewPrivileges).toBe(false);
    expect(p.oomScoreAdj).toBeUndefined();
    expect(p.env.some((e) => e.startsWith("PATH="))).toBe(false);
  });

  it("keeps a given HOME and umask", () => {
    const s = baseSpec();
    s.process!.env = ["HOME=/x"];
    s.process!.user.umask = 0o077;
    const p = buildInitPlan(s, opts()).process;
    expect(p.env).toEqual(["HOME=/x"]);
    expect(p.umask).toBe(0o077);
  });

  it("turns capability names into bitsets", () => {
    const s = baseSpec();
    const c = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
    s.process!.capabilities = { bounding: c, effective: c, permitted: c, ambient: c };
    const caps = buildInitPlan(s, opts()).process.caps;
    const bits = (1n << 29n) | (1n << 5n) | (1n << 10n);
    expect(caps).toEqual({ bounding: bits, effective: bits, permitted: bits, inheritable: 0n, ambient: bits });
    s.process!.capabilities.effective = ["CAP_KILL", "CAP_NOPE"];
    expect(buildInitPlan(s, opts()).process.caps.effective).toBe(1n << 5n);
  });

  it("empties every set when the config has no capabilities object (as runc 1.1 does)", () => {
    const caps = buildInitPlan(baseSpec(), opts()).process.caps;
    expect(caps).toEqual({ bounding: 0n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n });
  });

  it("drops capabilities the kernel lacks, with a warning", () => {
    const s = baseSpec();
    s.process!.capabilities = { bounding: ["CAP_KILL", "CAP_CHECKPOINT_RESTORE"] };
    const warnings: string[] = [];
    const p = buildInitPlan(
      s,
      opts({ warn: (m) => warnings.push(m), host: { lastCap: () => 39, hasKcore: () => false, inUserNs: () => false } }),
    );
    expect(p.process.caps.bounding).toBe(1n << 5n);
    expect(warnings[0]).toContain("CAP_CHECKPOINT_RESTORE");
  });

  it("converts rlimits, terminal, console size, oomScoreAdj and noNewPrivileges", () => {
    const s = baseSpec();
    Object.assign(s.process!, {
      terminal: true,
      consoleSize: { height: 24, width: 80 },
      oomScoreAdj: 100,
      noNewPrivileges: true,
      rlimits: [
        { type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 },
        { type: "RLIMIT_CORE", soft: 18446744073709551615, hard: 18446744073709551615 },
      ],
    });
    const p = buildInitPlan(s, opts()).process;
    expect(p.terminal).toBe(true);
    expect(p.consoleSize).toEqual({ height: 24, width: 80 });
    expect(p.oomScoreAdj).toBe(100);
    expect(p.noNewPrivileges).toBe(true);
    expect(p.rlimits).toEqual([
      { type: 7, soft: 1024n, hard: 4096n },
      { type: 4, soft: 2n ** 64n - 1n, hard: 2n ** 64n - 1n },
    ]);
    s.process!.rlimits = [
      { type: "RLIMIT_NOFILE", soft: 1, hard: 1 },
      { type: "RLIMIT_NOFILE", soft: 2, hard: 2 },
    ];
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("process.rlimits[1].type");
    s.process!.rlimits = [{ type: "RLIMIT_NOPE", soft: 1, hard: 1 }];
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("process.rlimits[0].type");
  });

  it("ignores consoleSize without a terminal and rejects empty args", () => {
    const s = baseSpec();
    s.process!.consoleSize = { height: 1, width: 1 };
    expect(buildInitPlan(s, opts()).process.consoleSize).toBeUndefined();
    s.process!.args = [];
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("process.args");
  });
});

describe("buildInitPlan: hooks", () => {
  it("syncs for hooks and converts the in-container ones", () => {
    const s = baseSpec();
    s.hooks = {
      createContainer: [{ path: "/bin/true" }, { path: "/bin/echo", args: ["echo", "hi"], env: ["X=1"], timeout: 5 }],
      startContainer: [{ path: "/bin/sh", args: [] }],
    };
    const p = buildInitPlan(s, opts());
    expect(p.hooksSync).toBe(true);
    expect(p.createContainerHooks).toEqual([
      { path: "/bin/true", args: ["/bin/true"], env: [], timeout: 0 },
      { path: "/bin/echo", args: ["echo", "hi"], env: ["X=1"], timeout: 5 },
    ]);
    expect(p.startContainerHooks).toEqual([{ path: "/bin/sh", args: ["/bin/sh"], env: [], timeout: 0 }]);
  });

  it("syncs for host-side hooks only, and not for poststart/poststop", () => {
    for (const k of ["prestart", "createRuntime"] as const) {
      const s = baseSpec();
      s.hooks = { [k]: [{ path: "/bin/true" }] };
      expect(buildInitPlan(s, opts()).hooksSync).toBe(true);
    }
    const s = baseSpec();
    s.hooks = { poststart: [{ path: "/bin/true" }], poststop: [{ path: "/bin/true" }], prestart: [] };
    expect(buildInitPlan(s, opts()).hooksSync).toBe(false);
    expect(buildInitPlan(s, opts({ stateJsonHooks: true })).hooksSync).toBe(true);
  });
});

describe("buildExecPlan", () => {
  const proc = (): Process => ({ user: { uid: 0, gid: 0 }, args: ["ps"], cwd: "/", env: ["PATH=/bin"] });
  const base = {
    initPid: 4242,
    namespaces: [
      { type: "pid" as const, path: "/proc/4242/ns/pid" },
      { type: "mount" as const, path: "/proc/4242/ns/mnt" },
    ],
    userns: false,
    preserveFds: 1,
    consoleSocket: false,
    wait: true,
    detach: false,
    host: { lastCap: () => 40, homeDir: () => "/root" },
  };

  it("joins the given namespaces and creates none", () => {
    const p = buildExecPlan(proc(), base);
    expect(p.mode).toBe("exec");
    expect(p.cloneFlags).toBe(0);
    expect(p.userns).toBe(false);
    expect(p.nsJoin).toEqual([
      { type: 0x20000000, path: "/proc/4242/ns/pid" },
      { type: 0x00020000, path: "/proc/4242/ns/mnt" },
    ]);
    expect(p.mounts).toEqual([]);
    expect(p.devices).toEqual([]);
    expect(p.rootfs).toBeUndefined();
    expect(p.fifoPath).toBeUndefined();
    expect(p.hooksSync).toBe(false);
    expect(p.preserveFds).toBe(1);
    expect(p.wait).toBe(true);
    expect(p.setsid).toBe(true); // its own session and process group, as with runc
    expect(p.process.env).toEqual(["PATH=/bin", "HOME=/root"]);
  });

  it("never waits when detached", () => {
    const pr = proc();
    pr.terminal = true;
    const p = buildExecPlan(pr, { ...base, detach: true, wait: true });
    expect(p.setsid).toBe(true);
    expect(p.wait).toBe(false);
  });

  it("falls back to the container's settings", () => {
    const p = buildExecPlan(proc(), {
      ...base,
      defaults: {
        capabilities: { bounding: ["CAP_KILL"] },
        noNewPrivileges: true,
        rlimits: [{ type: "RLIMIT_NOFILE", soft: 10, hard: 10 }],
        oomScoreAdj: 5,
      },
    });
    expect(p.process.caps.bounding).toBe(1n << 5n);
    expect(p.process.caps.effective).toBe(0n);
    expect(p.process.noNewPrivileges).toBe(true);
    expect(p.process.rlimits).toEqual([{ type: 7, soft: 10n, hard: 10n }]);
    expect(p.process.oomScoreAdj).toBe(5);
    const own = proc();
    own.capabilities = { bounding: ["CAP_CHOWN"] };
    own.noNewPrivileges = false;
    const q = buildExecPlan(own, { ...base, defaults: { capabilities: { bounding: ["CAP_KILL"] }, noNewPrivileges: true } });
    expect(q.process.caps.bounding).toBe(1n);
    expect(q.process.noNewPrivileges).toBe(false);
  });

  it("requires the user namespace to be joined when the container has one", () => {
    expect(thrown(() => buildExecPlan(proc(), { ...base, userns: true })).path).toBe("namespaces");
    const p = buildExecPlan(proc(), {
      ...base,
      userns: true,
      namespaces: [...base.namespaces, { type: "user", path: "/proc/4242/ns/user" }],
    });
    expect(p.userns).toBe(false);
    expect(p.nsJoin.at(-1)).toEqual({ type: 0x10000000, path: "/proc/4242/ns/user" });
  });
});

describe("linux.intelRdt", () => {
  it("values the spec forbids fail when the plan is built, naming the field (the resctrl groups are create's)", () => {
    const s = baseSpec();
    s.linux = { ...s.linux, intelRdt: { closID: "x", memBwSchema: "L3:0=f" } };
    expect(thrown(() => buildInitPlan(s, opts())).path).toBe("linux.intelRdt.memBwSchema");
    s.linux.intelRdt = { closID: "x", memBwSchema: "MB:0=20" };
    expect(() => buildInitPlan(s, opts())).not.toThrow();
  });
});

describe("linux.netDevices", () => {
  it("are checked when the plan is built, and make berth-init stop for the host's work before the hooks", () => {
    const s = baseSpec();
    s.linux = { ...s.linux, netDevices: { eth1: { name: "ctr0" } } };
    const root = opts({ host: { ...opts().host, euid: () => 0 } });
    expect(buildInitPlan(s, root).hooksSync).toBe(true);
    s.linux.netDevices = { eth1: { name: "bad/name" } };
    expect(thrown(() => buildInitPlan(s, root)).path).toBe('linux.netDevices["eth1"].name');
    expect(thrown(() => buildInitPlan(s, opts({ host: { ...opts().host, euid: () => 1000 } }))).message).toMatch(
      /linux\.netDevices: moving network devices needs root/,
    );
    const u = baseSpec();
    u.linux = { ...u.linux, netDevices: {} };
    expect(buildInitPlan(u, opts()).hooksSync).toBe(false);
  });
});

describe("a read-only /dev", () => {
  it("is mounted writable so the devices can be made, and made read-only afterwards", () => {
    const s = baseSpec();
    const dev = s.mounts!.find((m) => m.destination === "/dev")!;
    dev.options = [...(dev.options ?? []), "ro"];
    const p = buildInitPlan(s, opts());
    expect(p.mounts.find((m) => m.destination === "/dev")!.flags & 1n).toBe(0n);
    expect(p.devices.length).toBeGreaterThan(0);
    expect(p.remountReadonly).toEqual(["/dev"]);
    expect(p.readonlyPaths).not.toContain("/dev");
  });

  it("a read-only tmpfs is made the same way (runc's order), a read-only bind is not", () => {
    const s = baseSpec();
    s.mounts!.push(
      { destination: "/t", type: "tmpfs", source: "tmpfs", options: ["ro"] },
      { destination: "/b", type: "bind", source: "/", options: ["rbind", "ro"] },
    );
    const p = buildInitPlan(s, opts());
    expect(p.mounts.find((m) => m.destination === "/t")!.flags & 1n).toBe(0n);
    expect(p.remountReadonly).toEqual(["/t"]);
  });
});
