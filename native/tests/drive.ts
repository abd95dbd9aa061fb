// End-to-end driver for berth-init, run as root: `sh native/tests/run.sh`.
// It plays berth's part of the protocol by hand (plan, usermap, hooks, fifo)
// for a busybox rootfs. Usage: node drive.mjs <scenario> [args...]
//   init [cmd]        create + start, wait for the container to exit
//   exec <pid> [cmd]  join the namespaces of a running container, WAIT
//   userns [cmd]      like init in a new user namespace (maps 0 100000 65536)
//   idmap [cmd]       userns, plus an idmapped, recursively read-only bind of the other rootfs's /bin
//   tty [cmd]         init with a terminal relayed by stage 1 (WAIT)
//   nopivot [cmd]     init with NO_PIVOT
//   badmount          a bind of a missing source: must fail cleanly
//   notfound          CHECK_EXEC of a missing program
//   hooks             createContainer / startContainer hooks
//   bg <secs>         create + start `sleep <secs>`, print the pid and leave it running

import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeFileSync, constants as fsc } from "node:fs";
import { createConnection } from "node:net";
import type { Duplex } from "node:stream";
import type { Plan, PlanMount } from "../../src/runtime/plan.js";
import { encodePlan } from "../../src/runtime/planCodec.js";
import { decodeError, SyncChannel } from "../../src/runtime/syncChannel.js";

/** A setting run.sh gives through the environment (the helper and the two busybox root filesystems it made). */
function fromEnv(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === "") {
    process.stderr.write(`drive: $${name} is not set; run this through native/tests/run.sh\n`);
    process.exit(2);
  }
  return v;
}

const BERTH_INIT = fromEnv("BERTH_INIT");
const ROOTFS = fromEnv("ROOTFS");

const NS = { mnt: 0x20000, uts: 0x4000000, ipc: 0x8000000, user: 0x10000000, pid: 0x20000000, net: 0x40000000, cgroup: 0x2000000 };
const MS = {
  RDONLY: 1n,
  NOSUID: 2n,
  NODEV: 4n,
  NOEXEC: 8n,
  BIND: 0x1000n,
  REC: 0x4000n,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1n << 21n,
  STRICTATIME: 1n << 24n,
};
const CAPS = (1n << 29n) | (1n << 5n) | (1n << 10n); // AUDIT_WRITE, KILL, NET_BIND_SERVICE
const S_IFCHR = 0o020000;

function mnt(destination: string, fstype: string, source: string, flags: bigint, data = "", extra: Partial<PlanMount> = {}): PlanMount {
  return {
    source,
    destination,
    fstype,
    flags,
    data,
    propagation: [],
    bind: false,
    remountFlags: 0n,
    destIsFile: false,
    cgroup: false,
    ...extra,
  };
}

function initPlan(args: string[], fifo: string, over: Partial<Plan> = {}): Plan {
  const userns = over.userns === true;
  const devs: [string, number, number][] = [
    ["null", 1, 3],
    ["zero", 1, 5],
    ["full", 1, 7],
    ["random", 1, 8],
    ["urandom", 1, 9],
    ["tty", 5, 0],
  ];
  return {
    mode: "init",
    cloneFlags: NS.mnt | NS.uts | NS.ipc | NS.pid | NS.net | NS.cgroup | (userns ? NS.user : 0),
    userns,
    nsJoin: [],
    process: {
      args,
      env: ["PATH=/bin", "TERM=xterm", "HOME=/root"],
      cwd: "/",
      uid: 0,
      gid: 0,
      additionalGids: [],
      umask: 0o022,
      caps: { bounding: CAPS, effective: CAPS, permitted: CAPS, inheritable: 0n, ambient: 0n },
      noNewPrivileges: true,
      terminal: false,
      rlimits: [{ type: 7, soft: 1024n, hard: 1024n }],
      oomScoreAdj: 0,
    },
    rootfs: ROOTFS,
    mounts: [
      mnt("/proc", "proc", "proc", MS.NOSUID | MS.NOEXEC | MS.NODEV),
      mnt("/dev", "tmpfs", "tmpfs", MS.NOSUID | MS.STRICTATIME, "mode=755,size=65536k"),
      mnt("/dev/pts", "devpts", "devpts", MS.NOSUID | MS.NOEXEC, "newinstance,ptmxmode=0666,mode=0620" + (userns ? "" : ",gid=5")),
      mnt("/dev/shm", "tmpfs", "shm", MS.NOSUID | MS.NOEXEC | MS.NODEV, "mode=1777,size=65536k"),
      mnt("/dev/mqueue", "mqueue", "mqueue", MS.NOSUID | MS.NOEXEC | MS.NODEV),
      mnt("/sys", "sysfs", "sysfs", MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY),
      // berth expands "cgroup" mounts in TypeScript; with its own cgroup namespace the container can mount cgroup2 directly.
      mnt("/sys/fs/cgroup", "cgroup2", "cgroup2", MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY),
      mnt("/etc/hostname.host", "", "/etc/hostname", MS.BIND | MS.REC, "", {
        bind: true,
        remountFlags: MS.RDONLY | MS.NOSUID | MS.NODEV,
        destIsFile: true,
        propagation: [MS.PRIVATE],
      }),
    ],
    devices: devs.map(([n, maj, min]) => ({
      path: `/dev/${n}`,
      type: S_IFCHR,
      major: maj,
      minor: min,
      mode: 0o666,
      uid: 0,
      gid: 0,
      ...(userns ? { bindFrom: `/dev/${n}` } : {}),
    })),
    symlinks: [
      { target: "/proc/self/fd", path: "/dev/fd" },
      { target: "/proc/self/fd/0", path: "/dev/stdin" },
      { target: "/proc/self/fd/1", path: "/dev/stdout" },
      { target: "/proc/self/fd/2", path: "/dev/stderr" },
    ],
    devptsPtmx: true,
    maskedPaths: [
      "/proc/acpi",
      "/proc/kcore",
      "/proc/keys",
      "/proc/timer_list",
      "/proc/sched_debug",
      "/proc/scsi",
      "/sys/firmware",
      "/proc/nonexistent",
    ],
    readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    remountReadonly: [],
    sysctl: [{ key: "net/ipv4/ip_forward", value: "1" }],
    hostname: "berthbox",
    domainname: "example.org",
    fifoPath: fifo,
    hooksSync: true,
    createContainerHooks: [],
    startContainerHooks: [],
    preserveFds: 0,
    listenFds: 0,
    wait: false,
    checkExec: true,
    setsid: true,
    defaultPath: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ...over,
  };
}

interface Outcome {
  pid?: number;
  error?: { errno: number; message: string };
  exit: Promise<number>;
}

async function drive(
  plan: Plan,
  extraFds: Duplex[] = [],
  state = '{"ociVersion":"1.3.0","id":"drive","status":"creating"}',
  preserved?: number,
): Promise<Outcome> {
  const stdio =
    preserved === undefined
      ? ["inherit", "inherit", "inherit", "pipe", ...extraFds]
      : ["inherit", "inherit", "inherit", preserved, "pipe", ...extraFds];
  const syncIdx = preserved === undefined ? 3 : 4;
  const child = spawn(BERTH_INIT, [], { stdio: stdio as never, env: { _BERTH_SYNC_FD: String(syncIdx) } });
  const exit = new Promise<number>((resolve) => child.on("exit", (code, sig) => resolve(code ?? 128 + (sig ? 9 : 0))));
  const ch = new SyncChannel(child.stdio[syncIdx] as Duplex);
  ch.send(1, encodePlan(plan));
  const out: Outcome = { exit };
  for (;;) {
    const f = await ch.next();
    if (f === null) {
      if (out.error === undefined) out.error = { errno: 0, message: "berth-init closed the sync socket before MSG_READY" };
      break;
    }
    if (f.type === 10) {
      const pid = f.payload.readUInt32LE(0);
      writeFileSync(`/proc/${pid}/setgroups`, "allow");
      writeFileSync(`/proc/${pid}/uid_map`, "0 100000 65536");
      writeFileSync(`/proc/${pid}/gid_map`, "0 100000 65536");
      ch.send(20);
    } else if (f.type === 11) {
      out.pid = f.payload.readUInt32LE(0);
    } else if (f.type === 12) {
      ch.send(22, Buffer.from(state.replace("creating", "created").replace("}", `,"pid":${out.pid}}`)));
    } else if (f.type === 13) {
      break;
    } else if (f.type === 14) {
      out.error = decodeError(f.payload);
    } else if (f.type === 15) {
      console.error(`warning: ${f.payload.toString()}`);
    } else {
      throw new Error(`unexpected message ${f.type}`);
    }
  }
  ch.close();
  return out;
}

function start(fifo: string): void {
  const fd = openSync(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK);
  writeFileSync(fd, "0");
  closeSync(fd);
  unlinkSync(fifo);
}

async function waitGone(pid: number): Promise<void> {
  for (;;) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    } catch {
      return;
    }
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function fifoPath(): string {
  const p = `/tmp/berth-drive-${process.pid}.fifo`;
  if (existsSync(p)) unlinkSync(p);
  return p;
}

async function createStart(plan: Plan, fifo: string): Promise<number> {
  const o = await drive(plan);
  if (o.error !== undefined) {
    console.log(`ERROR errno=${o.error.errno}: ${o.error.message}`);
    await o.exit;
    if (existsSync(fifo)) unlinkSync(fifo);
    return 1;
  }
  console.error(`[drive] container pid ${o.pid} ready`);
  start(fifo);
  if (plan.wait) return await o.exit;
  await o.exit;
  await waitGone(o.pid!);
  return 0;
}

/** Report a failed create, or start the container and wait until it is gone. */
async function startToEnd(o: Outcome, fifo: string): Promise<number> {
  if (o.error !== undefined) {
    console.log(`ERROR errno=${o.error.errno}: ${o.error.message}`);
    return 1;
  }
  start(fifo);
  await o.exit;
  await waitGone(o.pid!);
  return 0;
}

const SHOW =
  "hostname; domainname 2>/dev/null || cat /proc/sys/kernel/domainname; echo pid=$$; id; grep -E '^(Cap|NoNewPrivs)' /proc/self/status; ls -l /proc/self/fd; ls /dev; mount | grep -E ' (/sys/fs/cgroup|/sys/fs/cgroup/memory|/proc/sys|/) ' ; cat /proc/sys/net/ipv4/ip_forward; echo hello > /proc/sys/kernel/hostname || echo ro-ok";

async function main(): Promise<number> {
  const [scenario = "init", ...rest] = process.argv.slice(2);
  const fifo = fifoPath();
  const sh = (cmd: string | undefined, dflt: string) => ["sh", "-c", cmd ?? dflt];
  switch (scenario) {
    case "init": {
      // flags after the command tweak the plan
      const plan = initPlan(sh(rest[0], SHOW), fifo);
      for (const flag of rest.slice(1)) {
        const [k, v = ""] = flag.split("=");
        if (k === "--uid") {
          plan.process.uid = Number(v);
          plan.process.gid = Number(v);
          plan.process.additionalGids = [5, 6];
        } else if (k === "--cwd") plan.process.cwd = v;
        else if (k === "--ambient") {
          plan.process.caps.inheritable = CAPS;
          plan.process.caps.ambient = 1n << 10n;
        } else if (k === "--ro") plan.rootReadonly = true;
        else if (k === "--prop")
          plan.rootfsPropagation =
            ({ shared: MS.SHARED, private: MS.PRIVATE, slave: MS.SLAVE, unbindable: 1 << 17 } as Record<string, number>)[v]! | 0x4000;
        else if (k === "--seccomp") {
          // one instruction: return SECCOMP_RET_ALLOW
          const bpf = Buffer.alloc(8);
          bpf.writeUInt16LE(0x06, 0);
          bpf.writeUInt32LE(0x7fff0000, 4);
          plan.seccomp = { bpf, flags: 0 };
        } else if (k === "--nonnp") plan.process.noNewPrivileges = false;
        else if (k === "--umask") plan.process.umask = parseInt(v, 8);
        else if (k === "--args") plan.process.args = v.split(",");
        else if (k === "--nocheck") plan.checkExec = false;
        else if (k === "--timens") {
          plan.cloneFlags |= 0x80;
          plan.timensOffsets = "monotonic 86400 0\nboottime 172800 0\n";
        } else throw new Error(`unknown flag ${flag}`);
      }
      return createStart(plan, fifo);
    }
    case "preserve": {
      // fd 3 is a preserved file announced with LISTEN_FDS; the sync socket moves to fd 4
      const fd = openSync("/etc/hostname", "r");
      const plan = initPlan(sh(rest[0], "ls -l /proc/self/fd; env | grep LISTEN; cat <&3"), fifo, { preserveFds: 0, listenFds: 1 });
      plan.process.env.push("LISTEN_FDS=1", "LISTEN_PID=77");
      return await startToEnd(await drive(plan, [], undefined, fd), fifo);
    }
    case "nopivot":
      return createStart(initPlan(sh(rest[0], SHOW), fifo, { noPivot: true }), fifo);
    case "userns":
      return createStart(
        initPlan(sh(rest[0], SHOW + "; cat /proc/self/uid_map; ls -ln /dev/null"), fifo, {
          userns: true,
          rootfs: fromEnv("USERNS_ROOTFS"),
        }),
        fifo,
      );
    case "idmap": {
      // the root-owned busybox rootfs's /bin, idmapped with the container's mapping and made
      // read-only recursively: root-owned files show as owned by the container's root
      const plan = initPlan(sh(rest[0], "ls -ln /mnt/bb/busybox; touch /mnt/bb/x"), fifo, {
        userns: true,
        rootfs: fromEnv("USERNS_ROOTFS"),
      });
      plan.mounts.push(
        mnt("/mnt/bb", "", `${ROOTFS}/bin`, MS.BIND | MS.REC, "", {
          bind: true,
          idmap: { uidMap: "0 100000 65536\n", gidMap: "0 100000 65536\n", recursive: true, what: "mounts[9]" },
          recursiveAttr: { set: 1, clear: 0, what: "mounts[9].options" },
        }),
      );
      return createStart(plan, fifo);
    }
    case "tty": {
      const plan = initPlan(sh(rest[0], "tty; [ -t 0 ] && echo stdin-is-tty; stty size; ls -l /dev/console; ls -l /proc/self/fd"), fifo, {
        wait: true,
      });
      plan.process.terminal = true;
      plan.process.consoleSize = { height: 33, width: 111 };
      return createStart(plan, fifo);
    }
    case "consock": {
      // rootless-style console: the pty master goes to a unix socket listener (test/tools/recvtty.c, built by run.sh)
      const sock = await new Promise<Duplex>((resolve, reject) => {
        const c = createConnection(rest[0]!, () => resolve(c));
        c.on("error", reject);
      });
      const plan = initPlan(sh(rest[1], "tty; ls -l /dev/console /proc/self/fd; echo bye"), fifo, { consoleSocketFd: 4 });
      plan.process.terminal = true;
      const o = await drive(plan, [sock]);
      sock.destroy();
      return await startToEnd(o, fifo);
    }
    case "badmount": {
      const plan = initPlan(["true"], fifo);
      plan.mounts.push(mnt("/mnt/x", "", "/nonexistent/source", MS.BIND, "", { bind: true }));
      return createStart(plan, fifo);
    }
    case "notfound":
      return createStart(initPlan(["no-such-program"], fifo), fifo);
    case "hooks": {
      const plan = initPlan(sh(rest[0], "cat /hook-create 2>&1; echo; ls /tmp"), fifo);
      plan.createContainerHooks = [{ path: "/bin/sh", args: ["sh", "-c", `cat > ${ROOTFS}/hook-create`], env: [], timeout: 5 }];
      plan.startContainerHooks = [
        { path: "/bin/sh", args: ["sh", "-c", "cat > /tmp/hook-start; cat /tmp/hook-start >&2"], env: [], timeout: 5 },
      ];
      return createStart(plan, fifo);
    }
    case "hookfail": {
      const plan = initPlan(["true"], fifo);
      plan.createContainerHooks = [{ path: "/bin/sh", args: ["sh", "-c", "echo nope; exit 3"], env: [], timeout: 5 }];
      return createStart(plan, fifo);
    }
    case "hooktimeout": {
      const plan = initPlan(["true"], fifo);
      plan.createContainerHooks = [{ path: "/bin/sleep", args: ["sleep", "10"], env: [], timeout: 1 }];
      return createStart(plan, fifo);
    }
    case "bg":
    case "bgu": {
      const o = await drive(
        initPlan(["sleep", rest[0] ?? "30"], fifo, scenario === "bgu" ? { userns: true, rootfs: fromEnv("USERNS_ROOTFS") } : {}),
      );
      if (o.error !== undefined) {
        console.log(`ERROR errno=${o.error.errno}: ${o.error.message}`);
        return 1;
      }
      start(fifo);
      await o.exit;
      console.log(o.pid);
      return 0;
    }
    case "exec": {
      const pid = Number(rest[0]);
      const types: [string, number][] = [
        ["ipc", NS.ipc],
        ["uts", NS.uts],
        ["net", NS.net],
        ["pid", NS.pid],
        ["cgroup", NS.cgroup],
        ["mnt", NS.mnt],
      ];
      if (rest.includes("--user")) types.unshift(["user", NS.user]);
      const plan = initPlan(sh(rest[1], "hostname; echo pid=$$; ps; id; grep Cap /proc/self/status; ls -l /proc/self/fd"), "", {
        mode: "exec",
        cloneFlags: 0,
        fifoPath: undefined,
        rootfs: undefined,
        mounts: [],
        devices: [],
        symlinks: [],
        devptsPtmx: false,
        maskedPaths: [],
        readonlyPaths: [],
        remountReadonly: [],
        sysctl: [],
        hostname: undefined,
        domainname: undefined,
        hooksSync: false,
        wait: true,
        setsid: rest.includes("-t"),
        nsJoin: types.map(([n, t]) => ({ type: t, path: `/proc/${pid}/ns/${n}` })),
      });
      plan.process.terminal = rest.includes("-t");
      const argsFlag = rest.find((r) => r.startsWith("--args="));
      if (argsFlag !== undefined) plan.process.args = argsFlag.slice(7).split(",");
      plan.checkExec = !rest.includes("--nocheck");
      const o = await drive(plan);
      if (o.error !== undefined) {
        console.log(`ERROR errno=${o.error.errno}: ${o.error.message}`);
        await o.exit;
        return 1;
      }
      return await o.exit;
    }
    default:
      console.error(`unknown scenario ${scenario}`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
