import { describe, expect, it } from "vitest";
import { BerthError } from "../errors.js";
import type { Plan } from "./plan.js";
import { encodePlan } from "./planCodec.js";
import { MountTag, SeccompTag, Tag } from "./protocol.js";

interface Rec {
  tag: number;
  flags: number;
  value: Buffer;
}

/** Minimal reader of the record format, independent of the encoder. */
function records(buf: Buffer): Rec[] {
  const out: Rec[] = [];
  let off = 0;
  while (off < buf.length) {
    expect(buf.length - off).toBeGreaterThanOrEqual(8);
    const tag = buf.readUInt16LE(off);
    const flags = buf.readUInt16LE(off + 2);
    const len = buf.readUInt32LE(off + 4);
    expect(off + 8 + len).toBeLessThanOrEqual(buf.length);
    out.push({ tag, flags, value: buf.subarray(off + 8, off + 8 + len) });
    off += 8 + len;
  }
  return out;
}

const str = (v: Buffer): string => {
  expect(v[v.length - 1]).toBe(0);
  return v.subarray(0, v.length - 1).toString("utf8");
};
const u32 = (v: Buffer): number => {
  expect(v.length).toBe(4);
  return v.readUInt32LE(0);
};
const u64 = (v: Buffer): bigint => {
  expect(v.length).toBe(8);
  return v.readBigUInt64LE(0);
};

function basePlan(): Plan {
  return {
    mode: "init",
    cloneFlags: 0x20000 | 0x20000000,
    userns: false,
    nsJoin: [{ type: 0x40000000, path: "/proc/1/ns/net" }],
    process: {
      args: ["sh", "-c", "echo hi"],
      env: ["PATH=/bin", "TERM=xterm"],
      cwd: "/",
      uid: 1000,
      gid: 1000,
      additionalGids: [5, 10],
      umask: 0o022,
      caps: { bounding: 0x3fn, effective: 1n, permitted: 1n << 40n, inheritable: 0n, ambient: 0n },
      noNewPrivileges: true,
      terminal: false,
      rlimits: [{ type: 7, soft: 1024n, hard: 4096n }],
      oomScoreAdj: -500,
    },
    rootfs: "/tmp/rootfs",
    rootReadonly: true,
    noPivot: false,
    mounts: [
      {
        source: "proc",
        destination: "/proc",
        fstype: "proc",
        flags: 0xen,
        data: "",
        propagation: [],
        bind: false,
        remountFlags: 0n,
        destIsFile: false,
        cgroup: false,
      },
      {
        source: "/etc/hosts",
        destination: "/etc/hosts",
        fstype: "",
        flags: 0x4000n,
        data: "",
        propagation: [0x40000 | 0x4000, 0x80000],
        bind: true,
        remountFlags: 1n,
        destIsFile: true,
        cgroup: false,
      },
    ],
    devices: [{ path: "/dev/null", type: 0o020000, major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 }],
    symlinks: [{ target: "/proc/self/fd", path: "/dev/fd" }],
    devptsPtmx: true,
    maskedPaths: ["/proc/kcore"],
    readonlyPaths: ["/proc/sys"],
    remountReadonly: [],
    sysctl: [{ key: "net/ipv4/ip_forward", value: "1" }],
    hostname: "box",
    fifoPath: "/run/berth/x/exec.fifo",
    hooksSync: true,
    createContainerHooks: [{ path: "/bin/true", args: ["true", "a"], env: [], timeout: 5 }],
    startContainerHooks: [],
    preserveFds: 0,
    listenFds: 0,
    wait: false,
    checkExec: true,
    setsid: true,
    defaultPath: "/usr/bin:/bin",
  };
}

describe("encodePlan", () => {
  it("writes golden bytes for a single record", () => {
    const buf = encodePlan(basePlan());
    // first record: VERSION = 1
    expect(buf.subarray(0, 12)).toEqual(Buffer.from([1, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0]));
    // a string record carries its NUL: find HOSTNAME "box"
    const host = Buffer.from([18, 0, 0, 0, 4, 0, 0, 0, 0x62, 0x6f, 0x78, 0]);
    expect(buf.indexOf(host)).toBeGreaterThan(0);
  });

  it("round-trips through an independent decoder", () => {
    const plan = basePlan();
    const recs = records(encodePlan(plan));
    expect(recs.every((r) => r.flags === 0)).toBe(true);
    const one = (tag: number): Buffer => {
      const found = recs.filter((r) => r.tag === tag);
      expect(found).toHaveLength(1);
      return found[0]!.value;
    };
    const all = (tag: number): Buffer[] => recs.filter((r) => r.tag === tag).map((r) => r.value);

    expect(u32(one(Tag.MODE))).toBe(0);
    expect(u32(one(Tag.CLONE_FLAGS))).toBe(plan.cloneFlags);
    expect(all(Tag.USERNS)).toHaveLength(0); // false booleans are omitted
    expect(all(Tag.NO_PIVOT)).toHaveLength(0);
    expect(u32(one(Tag.ROOT_READONLY))).toBe(1);
    expect(str(one(Tag.ROOTFS))).toBe("/tmp/rootfs");
    expect(str(one(Tag.OOM_SCORE_ADJ))).toBe("-500");
    expect(all(Tag.ARG).map(str)).toEqual(plan.process.args);
    expect(all(Tag.ENV).map(str)).toEqual(plan.process.env);
    expect(all(Tag.ADDITIONAL_GID).map(u32)).toEqual([5, 10]);
    expect(u32(one(Tag.UMASK))).toBe(0o022);
    expect(u64(one(Tag.CAP_PERMITTED))).toBe(1n << 40n);
    expect(u64(one(Tag.CAP_AMBIENT))).toBe(0n);
    expect(str(one(Tag.DEFAULT_PATH))).toBe("/usr/bin:/bin");
    expect(all(Tag.CONSOLE_SOCKET_FD)).toHaveLength(0);

    const ns = records(one(Tag.NS_JOIN));
    expect(ns.map((r) => r.tag)).toEqual([1, 2]);
    expect(u32(ns[0]!.value)).toBe(0x40000000);
    expect(str(ns[1]!.value)).toBe("/proc/1/ns/net");

    const rl = records(one(Tag.RLIMIT));
    expect(u32(rl[0]!.value)).toBe(7);
    expect(u64(rl[1]!.value)).toBe(1024n);
    expect(u64(rl[2]!.value)).toBe(4096n);

    const mounts = all(Tag.MOUNT).map(records);
    expect(mounts).toHaveLength(2);
    const m0 = mounts[0]!;
    expect(str(m0.find((r) => r.tag === MountTag.DEST)!.value)).toBe("/proc");
    expect(m0.find((r) => r.tag === MountTag.DATA)).toBeUndefined();
    expect(m0.find((r) => r.tag === MountTag.BIND)).toBeUndefined();
    const m1 = mounts[1]!;
    expect(m1.filter((r) => r.tag === MountTag.PROPAGATION).map((r) => u32(r.value))).toEqual([0x44000, 0x80000]);
    expect(u32(m1.find((r) => r.tag === MountTag.BIND)!.value)).toBe(1);
    expect(u64(m1.find((r) => r.tag === MountTag.REMOUNT_FLAGS)!.value)).toBe(1n);
    expect(u32(m1.find((r) => r.tag === MountTag.DEST_IS_FILE)!.value)).toBe(1);

    const dev = records(one(Tag.DEVICE));
    expect(dev.map((r) => r.tag)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(u32(dev[1]!.value)).toBe(0o020000);

    const hook = records(one(Tag.HOOK_CREATE_CONTAINER));
    expect(hook.map((r) => r.tag)).toEqual([1, 2, 2, 4]);
    expect(u32(hook[3]!.value)).toBe(5);
  });

  it("encodes exec plans with console, pidfd socket and seccomp", () => {
    const plan: Plan = {
      ...basePlan(),
      mode: "exec",
      consoleSocketFd: 5,
      pidfdSocketFd: 6,
      process: { ...basePlan().process, terminal: true, consoleSize: { height: 24, width: 80 } },
      seccomp: { bpf: Buffer.alloc(16, 7), flags: 1 },
    };
    const recs = records(encodePlan(plan));
    const get = (tag: number) => recs.find((r) => r.tag === tag)!.value;
    expect(u32(get(Tag.MODE))).toBe(1);
    expect(u32(get(Tag.TERMINAL))).toBe(1);
    expect(u32(get(Tag.CONSOLE_SOCKET_FD))).toBe(5);
    expect(u32(get(Tag.PIDFD_SOCKET_FD))).toBe(6);
    const size = records(get(Tag.CONSOLE_SIZE));
    expect(size.map((r) => u32(r.value))).toEqual([24, 80]);
    const sc = records(get(Tag.SECCOMP));
    expect(sc[0]!.value).toEqual(Buffer.alloc(16, 7));
    expect(u32(sc[1]!.value)).toBe(1);
    expect(sc).toHaveLength(2);
  });

  it("gives the seccomp agent's socket fd in the SECCOMP nest when the filter makes a listener", () => {
    const recs = records(encodePlan({ ...basePlan(), seccomp: { bpf: Buffer.alloc(8), flags: 8, agentFd: 6 } }));
    const sc = records(recs.find((r) => r.tag === Tag.SECCOMP)!.value);
    expect(sc.map((r) => r.tag)).toEqual([SeccompTag.BPF, SeccompTag.FLAGS, SeccompTag.AGENT_FD]);
    expect(u32(sc[2]!.value)).toBe(6);
  });

  it("counts LISTEN_FDS fds and --preserve-fds fds together in PRESERVE_FDS", () => {
    const recs = records(encodePlan({ ...basePlan(), preserveFds: 2, listenFds: 1 }));
    expect(u32(recs.find((r) => r.tag === Tag.PRESERVE_FDS)!.value)).toBe(3);
    expect(u32(recs.find((r) => r.tag === Tag.LISTEN_FDS)!.value)).toBe(1);
    expect(records(encodePlan(basePlan())).find((r) => r.tag === Tag.PRESERVE_FDS)).toBeUndefined();
  });

  it("rejects values the wire cannot carry, naming the field", () => {
    const nul = basePlan();
    nul.process.args = ["sh", "a\0b"];
    expect(() => encodePlan(nul)).toThrow(BerthError);
    expect(() => encodePlan(nul)).toThrow(/process\.args\[1\]/);
    const neg = basePlan();
    neg.process.uid = -1;
    expect(() => encodePlan(neg)).toThrow(/process\.uid/);
  });
});
