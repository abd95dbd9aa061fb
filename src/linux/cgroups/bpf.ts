// bpf(2) for cgroup device programs: load, attach, detach, query, and open by id.
// glibc has no bpf() wrapper, so the call goes through syscall(2) via koffi,
// loaded synchronously on first use (only cgroup v2 hosts need it). Every
// structure the kernel reads through a pointer lives in memory from
// koffi.alloc, so its address is stable for the duration of the call.

import { BerthError, describeErrno, errnoName } from "../../errors.js";
import { libcFunctions, loadKoffi } from "../koffi.js";

export const BPF_PROG_LOAD = 5;
export const BPF_PROG_ATTACH = 8;
export const BPF_PROG_DETACH = 9;
export const BPF_PROG_GET_FD_BY_ID = 13;
export const BPF_PROG_QUERY = 16;
export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
export const BPF_CGROUP_DEVICE = 6;
export const BPF_F_ALLOW_MULTI = 2;
export const BPF_F_REPLACE = 4;

/** sizeof(union bpf_attr) in current kernel headers; unused bytes are zero, which every kernel accepts. */
const ATTR_SIZE = 144;
const SYS_BPF: Record<string, number> = { x64: 321, arm64: 280, ppc64: 361, s390x: 351, riscv64: 280, loong64: 280 };

type Ptr = unknown;
interface Koffi {
  load(name: string): { func(proto: string): (...args: unknown[]) => unknown };
  alloc(type: string, len: number): Ptr;
  free(p: Ptr): void;
  view(p: Ptr, len: number): ArrayBuffer;
  address(p: Ptr): bigint;
  errno(): number;
}

type Fn = (...args: unknown[]) => unknown;
let sys: { koffi: Koffi; syscall: Fn; getrlimit: Fn; setrlimit: Fn } | undefined;

function lib(): NonNullable<typeof sys> {
  if (sys !== undefined) return sys;
  const f = libcFunctions({
    syscall: "long syscall(long number, ...)",
    getrlimit: "int getrlimit(int resource, _Out_ uint8_t *rlim)",
    setrlimit: "int setrlimit(int resource, const uint8_t *rlim)",
  });
  sys = { koffi: loadKoffi() as unknown as Koffi, syscall: f.syscall, getrlimit: f.getrlimit, setrlimit: f.setrlimit };
  return sys;
}

const RLIMIT_MEMLOCK = 8;

/**
 * Run `fn` with RLIMIT_MEMLOCK raised to unlimited (kernels before 5.11 charge
 * BPF programs to it), then put the old limit back so the container, which
 * berth starts later, does not inherit the raised one.
 */
export function withMemlockRaised<T>(fn: () => T): T {
  const { getrlimit, setrlimit } = lib();
  const old = Buffer.alloc(16);
  if (Number(getrlimit(RLIMIT_MEMLOCK, old)) !== 0) return fn();
  // Unlimited needs CAP_SYS_RESOURCE; without it, the soft limit can still go up to the hard one.
  const raised = Buffer.alloc(16, 0xff);
  if (Number(setrlimit(RLIMIT_MEMLOCK, raised)) !== 0) {
    old.copy(raised, 0, 8, 16);
    old.copy(raised, 8, 8, 16);
    if (Number(setrlimit(RLIMIT_MEMLOCK, raised)) !== 0) return fn();
  }
  try {
    return fn();
  } finally {
    setrlimit(RLIMIT_MEMLOCK, old);
  }
}

/** A failed bpf(2) call: `op` is the command ("load device filter"), `log` the verifier's log if any. */
export class BpfError extends BerthError {
  declare readonly errno: string;
  constructor(
    op: string,
    errno: string,
    readonly log?: string,
  ) {
    super(`${describeErrno(errno)}${log ? `\n${log}` : ""}`, { op, errno });
  }
}

/** Native memory that frees itself after `fn`; `bytes` is a Buffer over it. */
function withNative<T>(len: number, fn: (addr: bigint, bytes: Buffer) => T): T {
  const { koffi } = lib();
  const p = koffi.alloc("uint8", Math.max(len, 1));
  try {
    const bytes = Buffer.from(koffi.view(p, Math.max(len, 1)));
    bytes.fill(0);
    return fn(koffi.address(p), bytes);
  } finally {
    koffi.free(p);
  }
}

function bpf(cmd: number, fill: (attr: Buffer) => void, what: string): { ret: number; attr: Buffer } {
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) throw new BpfError(what, "ENOSYS");
  const { koffi, syscall } = lib();
  return withNative(ATTR_SIZE, (addr, attr) => {
    fill(attr);
    const ret = Number(syscall(nr, "long", cmd, "uint64_t", addr, "long", ATTR_SIZE));
    if (ret < 0) {
      throw Object.assign(new BpfError(what, errnoName(koffi.errno())), { attr: Buffer.from(attr) });
    }
    return { ret, attr: Buffer.from(attr) };
  });
}

/** BPF_PROG_LOAD of a cgroup device program; the verifier log is in the error on failure. Returns the program fd. */
export function loadDeviceProgram(insns: Buffer, license: string): number {
  const lic = Buffer.from(license + "\0", "latin1");
  const tryLoad = (logSize: number): number =>
    withNative(insns.length, (insnAddr, insnBytes) => {
      insns.copy(insnBytes);
      return withNative(lic.length, (licAddr, licBytes) => {
        lic.copy(licBytes);
        return withNative(logSize, (logAddr, logBytes) => {
          try {
            return bpf(
              BPF_PROG_LOAD,
              (a) => {
                a.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0);
                a.writeUInt32LE(insns.length / 8, 4);
                a.writeBigUInt64LE(insnAddr, 8);
                a.writeBigUInt64LE(licAddr, 16);
                if (logSize > 0) {
                  a.writeUInt32LE(1, 24);
                  a.writeUInt32LE(logSize, 28);
                  a.writeBigUInt64LE(logAddr, 32);
                }
                a.write("berth_dev", 48, "latin1");
                a.writeUInt32LE(BPF_CGROUP_DEVICE, 68);
              },
              "load device filter",
            ).ret;
          } catch (err) {
            if (logSize > 0 && err instanceof BpfError) {
              const end = logBytes.indexOf(0);
              const log = logBytes
                .subarray(0, end < 0 ? logBytes.length : end)
                .toString("utf8")
                .trim();
              throw new BpfError(err.op, err.errno, log);
            }
            throw err;
          }
        });
      });
    });
  // Load without a log first (cheaper); on failure, load again with one for
  // the message. EPERM may be the memlock limit of an older kernel.
  try {
    return tryLoad(0);
  } catch (err) {
    if (!(err instanceof BpfError)) throw err;
    if (err.errno === "EPERM") return withMemlockRaised(() => tryLoad(0));
    return tryLoad(64 * 1024);
  }
}

/** BPF_PROG_ATTACH to a cgroup directory fd (with BPF_F_REPLACE when `replaceFd` is given). */
export function attachDeviceProgram(cgroupFd: number, progFd: number, flags: number, replaceFd?: number): void {
  bpf(
    BPF_PROG_ATTACH,
    (a) => {
      a.writeUInt32LE(cgroupFd, 0);
      a.writeUInt32LE(progFd, 4);
      a.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
      a.writeUInt32LE(flags | (replaceFd !== undefined ? BPF_F_REPLACE : 0), 12);
      if (replaceFd !== undefined) a.writeUInt32LE(replaceFd, 16);
    },
    "attach device filter",
  );
}

export function detachDeviceProgram(cgroupFd: number, progFd: number): void {
  bpf(
    BPF_PROG_DETACH,
    (a) => {
      a.writeUInt32LE(cgroupFd, 0);
      a.writeUInt32LE(progFd, 4);
      a.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
    },
    "detach device filter",
  );
}

/** Ids of the device programs attached directly to a cgroup. */
export function queryDevicePrograms(cgroupFd: number): number[] {
  let cap = 64;
  for (let tries = 0; tries < 10; tries++) {
    try {
      return withNative(cap * 4, (idsAddr, ids) => {
        const { attr } = bpf(
          BPF_PROG_QUERY,
          (a) => {
            a.writeUInt32LE(cgroupFd, 0);
            a.writeUInt32LE(BPF_CGROUP_DEVICE, 4);
            a.writeBigUInt64LE(idsAddr, 16);
            a.writeUInt32LE(cap, 24);
          },
          "query device filters",
        );
        const n = attr.readUInt32LE(24);
        return Array.from({ length: n }, (_, i) => ids.readUInt32LE(i * 4));
      });
    } catch (err) {
      // ENOSPC: more programs than room; the kernel wrote the real count.
      const attr = (err as { attr?: Buffer }).attr;
      if (err instanceof BpfError && err.errno === "ENOSPC" && attr !== undefined) {
        cap = Math.max(attr.readUInt32LE(24), cap * 2);
        continue;
      }
      throw err;
    }
  }
  throw new BpfError("query device filters", "ENOSPC");
}

/** A new fd for an attached program, by id. */
export function programFdById(id: number): number {
  return bpf(BPF_PROG_GET_FD_BY_ID, (a) => a.writeUInt32LE(id, 0), "open device filter").ret;
}

/** Turn a BpfError into the BerthError berth reports. */
export function bpfBerthError(err: unknown, path: string, hint?: string): BerthError {
  if (err instanceof BpfError) {
    return new BerthError(
      `${err.op}: ${describeErrno(err.errno)}${err.log ? ` (verifier: ${err.log.split("\n").slice(-3).join(" | ")})` : ""}`,
      { op: "set device rules", path, errno: err.errno, cause: err, hint },
    );
  }
  return BerthError.fromSys("set device rules", path, err, hint);
}
