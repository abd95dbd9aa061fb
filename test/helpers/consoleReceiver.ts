// The receiving end of --console-socket inside the test process (the qemu guest has
// no C compiler for test/tools/recvtty): a listening unix socket, and after the
// runtime has sent, the pty master received with SCM_RIGHTS. Through koffi, as
// Node cannot receive fds. receive() blocks: call it once the runtime has returned
// (its message waits in the socket's backlog).

import { closeSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { TMP_PREFIX } from "./env.js";

type Fn = (...args: unknown[]) => unknown;
interface Libc {
  socket: Fn;
  bind: Fn;
  listen: Fn;
  accept: Fn;
  recvmsg: Fn;
}

let libc: (Libc & { errno: () => number }) | undefined;

function load(): Libc & { errno: () => number } {
  if (libc !== undefined) return libc;
  const koffi = createRequire(import.meta.url)("koffi") as typeof import("koffi");
  const lib = koffi.load("libc.so.6");
  koffi.struct("test_iovec", { base: "void *", len: "size_t" });
  koffi.struct("test_msghdr", {
    name: "void *",
    namelen: "uint32_t",
    iov: "test_iovec *",
    iovlen: "size_t",
    control: "void *",
    controllen: "size_t",
    flags: "int",
  });
  libc = {
    socket: lib.func("int socket(int, int, int)") as Fn,
    bind: lib.func("int bind(int, const void *, uint32_t)") as Fn,
    listen: lib.func("int listen(int, int)") as Fn,
    accept: lib.func("int accept(int, void *, void *)") as Fn,
    recvmsg: lib.func("long recvmsg(int, test_msghdr *, int)") as Fn,
    errno: () => koffi.errno(),
  };
  return libc;
}

export class ConsoleReceiver {
  readonly dir = mkdtempSync(`${TMP_PREFIX}console-`);
  readonly socket = join(this.dir, "console.sock");
  private readonly fd: number;

  constructor() {
    const f = load();
    this.fd = f.socket(1, 1 | 0o2000000, 0) as number;
    const addr = Buffer.alloc(110);
    addr.writeUInt16LE(1, 0);
    addr.write(this.socket, 2);
    if ((f.bind(this.fd, addr, addr.length) as number) < 0 || (f.listen(this.fd, 4) as number) < 0) {
      throw new Error(`console receiver: bind/listen ${this.socket}: errno ${f.errno()}`);
    }
  }

  /** The next connection's message: its payload and the fd it carried (-1 if none). */
  receive(): { name: string; fd: number } {
    const f = load();
    const conn = f.accept(this.fd, null, null) as number;
    if (conn < 0) throw new Error(`console receiver: accept: errno ${f.errno()}`);
    try {
      const data = Buffer.alloc(4096);
      const control = Buffer.alloc(64);
      const msg = {
        name: null,
        namelen: 0,
        iov: [{ base: data, len: data.length }],
        iovlen: 1,
        control,
        controllen: control.length,
        flags: 0,
      };
      const n = Number(f.recvmsg(conn, msg, 0x40000000 /* MSG_CMSG_CLOEXEC */));
      if (n < 0) throw new Error(`console receiver: recvmsg: errno ${f.errno()}`);
      const level = control.readInt32LE(8);
      const type = control.readInt32LE(12);
      const fd = level === 1 && type === 1 ? control.readInt32LE(16) : -1;
      return { name: data.subarray(0, n).toString(), fd };
    } finally {
      closeSync(conn);
    }
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
