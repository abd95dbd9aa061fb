// Unix datagram sockets, which Node's dgram module does not offer: bind one to a path,
// read what arrives without blocking, and send one datagram to a path (a leading "@"
// names an abstract address). Through koffi, loaded only when a caller needs it (the
// NOTIFY_SOCKET proxy).

import { BerthError } from "../errors.js";
import { libcFunctions } from "./koffi.js";

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  poll(fds: Buffer, n: number, timeout: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  sendto(fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, alen: number): number;
  close(fd: number): number;
  errno(): number;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SOCK_NONBLOCK = 0o4000;
const POLLIN = 1;
const MSG_DONTWAIT = 0x40;
const SUN_PATH = 108;

let libc: Libc | undefined;

async function load(): Promise<Libc> {
  if (libc !== undefined) return libc;
  const f = libcFunctions({
    socket: "int socket(int domain, int type, int protocol)",
    bind: "int bind(int fd, const void *addr, uint32_t len)",
    poll: "int poll(void *fds, unsigned long n, int timeout)",
    recv: "long recv(int fd, void *buf, unsigned long len, int flags)",
    sendto: "long sendto(int fd, const void *buf, unsigned long len, int flags, const void *addr, uint32_t alen)",
    close: "int close(int fd)",
  });
  libc = {
    socket: (d, t, p) => f.socket(d, t, p) as number,
    bind: (fd, a, l) => f.bind(fd, a, l) as number,
    poll: (b, n, t) => f.poll(b, n, t) as number,
    recv: (fd, b, l, fl) => Number(f.recv(fd, b, l, fl)),
    sendto: (fd, b, l, fl, a, al) => Number(f.sendto(fd, b, l, fl, a, al)),
    close: (fd) => f.close(fd) as number,
    errno: f.errno,
  };
  return libc;
}

/** struct sockaddr_un for a path ("@name": abstract) and its length. */
function sockaddr(path: string): { addr: Buffer; len: number } {
  const name = path.startsWith("@") ? Buffer.concat([Buffer.from([0]), Buffer.from(path.slice(1))]) : Buffer.from(path);
  if (name.length >= SUN_PATH) {
    throw new BerthError(`socket path is longer than ${SUN_PATH - 1} bytes`, {
      op: "unix socket",
      path,
      hint: "use a shorter --root or socket path",
    });
  }
  const addr = Buffer.alloc(2 + SUN_PATH);
  addr.writeUInt16LE(AF_UNIX, 0);
  name.copy(addr, 2);
  return { addr, len: 2 + name.length + (path.startsWith("@") ? 0 : 1) };
}

function fail(c: Libc, op: string, path: string, e = c.errno()): never {
  throw BerthError.fromErrno(op, path, e);
}

export interface Unixgram {
  readonly fd: number;
  /** One datagram if one is waiting, else undefined (never blocks). */
  receive(): Buffer | undefined;
  /** Wait up to `ms` for a datagram to arrive (false: none yet). */
  readable(ms: number): boolean;
  close(): void;
}

/** A non-blocking datagram socket bound at `path` (which must not exist). */
export async function bindUnixgram(path: string): Promise<Unixgram> {
  const c = await load();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) fail(c, "create a unix datagram socket", path);
  const { addr, len } = sockaddr(path);
  if (c.bind(fd, addr, len) < 0) {
    const e = c.errno();
    c.close(fd);
    fail(c, "bind a unix datagram socket", path, e);
  }
  const buf = Buffer.alloc(4096);
  return {
    fd,
    receive() {
      const n = c.recv(fd, buf, buf.length, MSG_DONTWAIT);
      return n < 0 ? undefined : Buffer.from(buf.subarray(0, n));
    },
    readable(ms) {
      const pfd = Buffer.alloc(8);
      pfd.writeInt32LE(fd, 0);
      pfd.writeInt16LE(POLLIN, 4);
      return c.poll(pfd, 1, ms) > 0;
    },
    close() {
      c.close(fd);
    },
  };
}

/** Send each message as one datagram to the socket at `path`. */
export async function sendUnixgram(path: string, messages: Buffer[]): Promise<void> {
  const c = await load();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(c, "create a unix datagram socket", path);
  try {
    const { addr, len } = sockaddr(path);
    for (const m of messages) {
      if (c.sendto(fd, m, m.length, 0, addr, len) < 0) fail(c, "send to", path);
    }
  } finally {
    c.close(fd);
  }
}
