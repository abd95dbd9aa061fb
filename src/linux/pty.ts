// A new pty pair on the host, and its master handed to a --console-socket with
// SCM_RIGHTS (the payload is the slave's path, as berth-init sends it). Node can
// neither unlock a pty nor attach fds to a message, so both go through koffi,
// loaded only when a caller needs them (restore of a container with a terminal).

import { closeSync, constants, openSync } from "node:fs";
import { BerthError, errnoName } from "../errors.js";
import { loadKoffi, libcFunctions, type LibcFn } from "./koffi.js";

const TIOCSPTLCK = 0x40045431;
const TIOCGPTN = 0x80045430;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const SUN_PATH = 108;

let fns: (Record<"ioctl" | "socket" | "connect" | "sendmsg", LibcFn> & { errno: () => number }) | undefined;

function libc(): Record<"ioctl" | "socket" | "connect" | "sendmsg", LibcFn> & { errno: () => number } {
  if (fns !== undefined) return fns;
  const k = loadKoffi();
  k.struct("berth_iovec", { base: "void *", len: "size_t" });
  k.struct("berth_msghdr", {
    name: "void *",
    namelen: "uint32_t",
    iov: "berth_iovec *",
    iovlen: "size_t",
    control: "void *",
    controllen: "size_t",
    flags: "int",
  });
  fns = libcFunctions({
    ioctl: "int ioctl(int fd, unsigned long req, void *arg)",
    socket: "int socket(int domain, int type, int protocol)",
    connect: "int connect(int fd, const void *addr, uint32_t len)",
    sendmsg: "long sendmsg(int fd, const berth_msghdr *msg, int flags)",
  });
  return fns;
}

function fail(op: string, path: string, errno: number, hint?: string): never {
  throw new BerthError(op, { op, path, errno: errnoName(errno), hint });
}

export interface Pty {
  master: number;
  /** The slave's path, /dev/pts/N. */
  slave: string;
}

/** A new pty pair from /dev/ptmx, unlocked: the master's fd and the slave's path. */
export function openPty(): Pty {
  let master: number;
  try {
    master = openSync("/dev/ptmx", constants.O_RDWR | constants.O_NOCTTY);
  } catch (err) {
    throw BerthError.fromSys("open a pty", "/dev/ptmx", err);
  }
  try {
    const f = libc();
    const arg = Buffer.alloc(4);
    if ((f.ioctl(master, TIOCSPTLCK, arg) as number) < 0) fail("unlock the pty", "/dev/ptmx", f.errno());
    if ((f.ioctl(master, TIOCGPTN, arg) as number) < 0) fail("get the pty's number", "/dev/ptmx", f.errno());
    return { master, slave: `/dev/pts/${arg.readUInt32LE(0)}` };
  } catch (err) {
    closeSync(master);
    throw err;
  }
}

/** Connects to the unix socket at `socketPath` and sends `fd` with `name` as the payload. */
export function sendFdTo(socketPath: string, fd: number, name: string, flag: string): void {
  const f = libc();
  const addr = Buffer.alloc(2 + SUN_PATH);
  addr.writeUInt16LE(AF_UNIX, 0);
  if (Buffer.byteLength(socketPath) >= SUN_PATH) {
    throw new BerthError("socket path too long", {
      op: "connect",
      path: socketPath,
      hint: `${flag} must be shorter than ${SUN_PATH} bytes`,
    });
  }
  addr.write(socketPath, 2);
  const sock = f.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) as number;
  if (sock < 0) fail("socket", socketPath, f.errno());
  try {
    if ((f.connect(sock, addr, addr.length) as number) < 0) {
      fail("connect", socketPath, f.errno(), `${flag} must name a listening unix socket`);
    }
    const payload = Buffer.from(name);
    // struct cmsghdr { size_t len; int level; int type; } and one int: CMSG_LEN(4) = 20, CMSG_SPACE(4) = 24.
    const control = Buffer.alloc(24);
    control.writeBigUInt64LE(20n, 0);
    control.writeInt32LE(SOL_SOCKET, 8);
    control.writeInt32LE(SCM_RIGHTS, 12);
    control.writeInt32LE(fd, 16);
    const msg = {
      name: null,
      namelen: 0,
      iov: [{ base: payload, len: payload.length }],
      iovlen: 1,
      control,
      controllen: control.length,
      flags: 0,
    };
    if (Number(f.sendmsg(sock, msg, 0)) < 0) fail("send the pty master", socketPath, f.errno());
  } finally {
    closeSync(sock);
  }
}
