// rtnetlink, just enough to move a network device into another network namespace
// (linux.netDevices): look a link up, read its addresses, set it up or down, move and
// rename it, add addresses. Through koffi (socket, send, recv, setns), loaded on first
// use; the messages are built and read here as bytes. Everything is synchronous: the
// kernel answers a route request before recv returns.

import { closeSync, openSync } from "node:fs";
import { lazyLibc } from "./koffi.js";

const load = lazyLibc({
  socket: "int socket(int domain, int type, int protocol)",
  send: "long send(int fd, const uint8_t *buf, unsigned long len, int flags)",
  recv: "long recv(int fd, _Out_ uint8_t *buf, unsigned long len, int flags)",
  close: "int close(int fd)",
  setns: "int setns(int fd, int nstype)",
});

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0x80000;
const NETLINK_ROUTE = 0;
const CLONE_NEWNET = 0x40000000;

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_MULTI = 0x2;
const NLM_F_ACK = 0x4;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLM_F_DUMP = 0x300;

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_NEWADDR = 20;
const RTM_GETADDR = 22;

const IFLA_IFNAME = 3;
const IFLA_NET_NS_FD = 28;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_BROADCAST = 4;
const IFA_FLAGS = 8;

export const IFF_UP = 0x1;
export const IFA_F_PERMANENT = 0x80;
export const RT_SCOPE_UNIVERSE = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** A failed netlink request or system call: the errno as a number and its name. */
export class NetlinkError extends Error {
  constructor(
    readonly op: string,
    readonly errno: number,
  ) {
    super(`${op}: ${errnoName(errno)}`);
    this.name = "NetlinkError";
  }
  get code(): string {
    return errnoName(this.errno);
  }
}

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  16: "EBUSY",
  17: "EEXIST",
  19: "ENODEV",
  22: "EINVAL",
  34: "ERANGE",
  95: "EOPNOTSUPP",
  99: "EADDRNOTAVAIL",
};

export function errnoName(n: number): string {
  return ERRNO_NAMES[n] ?? `errno ${n}`;
}

export interface Link {
  index: number;
  name: string;
  flags: number;
}

/** One address of a link as the kernel reports it (RTM_NEWADDR). */
export interface Address {
  family: number;
  prefixlen: number;
  /** IFA_FLAGS when the kernel gives it (it holds the bits above 8), else ifa_flags. */
  flags: number;
  scope: number;
  index: number;
  local?: Buffer;
  address?: Buffer;
  broadcast?: Buffer;
}

function attr(type: number, value: Buffer): Buffer {
  const len = 4 + value.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  value.copy(b, 4);
  return b;
}

function strAttr(type: number, s: string): Buffer {
  return attr(type, Buffer.from(`${s}\0`));
}

function u32Attr(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v, 0);
  return attr(type, b);
}

/** struct ifinfomsg */
function ifinfo(index: number, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

/** The attributes (type → value) from `offset` to the end of a message body. */
function attrs(body: Buffer, offset: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let o = offset;
  while (o + 4 <= body.length) {
    const len = body.readUInt16LE(o);
    if (len < 4 || o + len > body.length) break;
    out.set(body.readUInt16LE(o + 2) & 0x3fff, body.subarray(o + 4, o + len));
    o += (len + 3) & ~3;
  }
  return out;
}

function parseLink(body: Buffer): Link {
  const a = attrs(body, 16);
  const name = a.get(IFLA_IFNAME);
  return {
    index: body.readInt32LE(4),
    flags: body.readUInt32LE(8),
    name: name === undefined ? "" : name.toString("utf8").replace(/\0.*$/s, ""),
  };
}

function parseAddress(body: Buffer): Address {
  const a = attrs(body, 8);
  const ext = a.get(IFA_FLAGS);
  return {
    family: body.readUInt8(0),
    prefixlen: body.readUInt8(1),
    flags: ext !== undefined && ext.length >= 4 ? ext.readUInt32LE(0) : body.readUInt8(2),
    scope: body.readUInt8(3),
    index: body.readUInt32LE(4),
    local: a.get(IFA_LOCAL),
    address: a.get(IFA_ADDRESS),
    broadcast: a.get(IFA_BROADCAST),
  };
}

/** A NETLINK_ROUTE socket in the network namespace it was opened in. */
export class RouteSocket {
  private seq = 0;
  private readonly buf = Buffer.alloc(65536);

  private constructor(private readonly fd: number) {}

  /** A socket in this thread's network namespace. */
  static open(): RouteSocket {
    const c = load();
    const fd = Number(c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (fd < 0) throw new NetlinkError("open a netlink socket", c.errno());
    return new RouteSocket(fd);
  }

  /**
   * A socket in the network namespace of `nsPath` (/proc/PID/ns/net): this thread enters
   * it, opens the socket (which stays bound to that namespace) and goes back at once.
   */
  static openIn(nsPath: string): RouteSocket {
    const c = load();
    const home = openSync("/proc/thread-self/ns/net", "r");
    try {
      const target = openSync(nsPath, "r");
      try {
        if (Number(c.setns(target, CLONE_NEWNET)) < 0) throw new NetlinkError(`enter the network namespace ${nsPath}`, c.errno());
      } finally {
        closeSync(target);
      }
      let sock: RouteSocket | undefined;
      let err: unknown;
      try {
        sock = RouteSocket.open();
      } catch (e) {
        err = e;
      }
      if (Number(c.setns(home, CLONE_NEWNET)) < 0) {
        const e = c.errno();
        sock?.close();
        throw new NetlinkError("return to berth's own network namespace", e);
      }
      if (sock === undefined) throw err;
      return sock;
    } finally {
      closeSync(home);
    }
  }

  close(): void {
    load().close(this.fd);
  }

  /** Send one request; the bodies of the replies (a dump's parts, or the one answer), or an error. */
  private request(op: string, type: number, flags: number, body: Buffer): { type: number; body: Buffer }[] {
    const c = load();
    const seq = ++this.seq;
    const msg = Buffer.alloc(16 + body.length);
    msg.writeUInt32LE(msg.length, 0);
    msg.writeUInt16LE(type, 4);
    msg.writeUInt16LE(NLM_F_REQUEST | flags, 6);
    msg.writeUInt32LE(seq, 8);
    body.copy(msg, 16);
    if (Number(c.send(this.fd, msg, msg.length, 0)) < 0) throw new NetlinkError(op, c.errno());
    const out: { type: number; body: Buffer }[] = [];
    for (;;) {
      const n = Number(c.recv(this.fd, this.buf, this.buf.length, 0));
      if (n < 0) throw new NetlinkError(op, c.errno());
      let o = 0;
      while (o + 16 <= n) {
        const len = this.buf.readUInt32LE(o);
        const mtype = this.buf.readUInt16LE(o + 4);
        const mflags = this.buf.readUInt16LE(o + 6);
        const mseq = this.buf.readUInt32LE(o + 8);
        if (len < 16 || o + len > n) throw new NetlinkError(`${op}: a truncated reply`, 5);
        const mbody = Buffer.from(this.buf.subarray(o + 16, o + len));
        o += (len + 3) & ~3;
        if (mseq !== seq) continue;
        if (mtype === NLMSG_DONE) return out;
        if (mtype === NLMSG_ERROR) {
          const e = -mbody.readInt32LE(0);
          if (e !== 0) throw new NetlinkError(op, e);
          return out;
        }
        out.push({ type: mtype, body: mbody });
        // A single answer without an ACK asked for ends the exchange.
        if ((mflags & NLM_F_MULTI) === 0 && (flags & NLM_F_ACK) === 0) return out;
      }
    }
  }

  /** The link called `name`, or undefined when there is none. */
  linkByName(name: string): Link | undefined {
    try {
      const r = this.request(
        `look up network device ${JSON.stringify(name)}`,
        RTM_GETLINK,
        0,
        Buffer.concat([ifinfo(0), strAttr(IFLA_IFNAME, name)]),
      );
      return r[0] === undefined ? undefined : parseLink(r[0].body);
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === 19) return undefined;
      throw e;
    }
  }

  /** The link with ifindex `index`, or undefined when there is none. */
  linkByIndex(index: number): Link | undefined {
    try {
      const r = this.request(`look up network device #${index}`, RTM_GETLINK, 0, ifinfo(index));
      return r[0] === undefined ? undefined : parseLink(r[0].body);
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === 19) return undefined;
      throw e;
    }
  }

  /** Every address of link `index`, of any family. */
  addresses(index: number): Address[] {
    const body = Buffer.alloc(8); // struct ifaddrmsg, AF_UNSPEC: every family
    const r = this.request("list addresses", RTM_GETADDR, NLM_F_DUMP, body);
    return r
      .filter((m) => m.type === RTM_NEWADDR)
      .map((m) => parseAddress(m.body))
      .filter((a) => a.index === index);
  }

  /** Set link `index` up or down. */
  setUp(index: number, up: boolean): void {
    this.request(`set network device #${index} ${up ? "up" : "down"}`, RTM_NEWLINK, NLM_F_ACK, ifinfo(index, up ? IFF_UP : 0, IFF_UP));
  }

  /** Move link `index` into the network namespace of the fd `nsFd`, named `name` there (in one request, so the names cannot clash on the way). */
  moveTo(index: number, nsFd: number, name: string): void {
    this.request(
      `move network device #${index}`,
      RTM_NEWLINK,
      NLM_F_ACK,
      Buffer.concat([ifinfo(index), strAttr(IFLA_IFNAME, name), u32Attr(IFLA_NET_NS_FD, nsFd)]),
    );
  }

  /** Add `a` (as read from another namespace) to link `index`. */
  addAddress(index: number, a: Address): void {
    const head = Buffer.alloc(8);
    head.writeUInt8(a.family, 0);
    head.writeUInt8(a.prefixlen, 1);
    head.writeUInt8(a.scope, 3);
    head.writeUInt32LE(index, 4);
    const parts: Buffer[] = [head];
    if (a.local !== undefined) parts.push(attr(IFA_LOCAL, a.local));
    if (a.address !== undefined) parts.push(attr(IFA_ADDRESS, a.address));
    if (a.broadcast !== undefined) parts.push(attr(IFA_BROADCAST, a.broadcast));
    this.request(`add address ${formatAddress(a)}`, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, Buffer.concat(parts));
  }
}

/** "10.1.2.3/24", "fd00::1/64" */
export function formatAddress(a: Address): string {
  const ip = a.local ?? a.address;
  if (ip === undefined) return `?/${a.prefixlen}`;
  if (ip.length === 4) return `${[...ip].join(".")}/${a.prefixlen}`;
  const groups: string[] = [];
  for (let i = 0; i + 1 < ip.length; i += 2) groups.push(ip.readUInt16BE(i).toString(16));
  return `${groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::")}/${a.prefixlen}`;
}
