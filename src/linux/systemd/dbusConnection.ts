// A D-Bus connection over a unix socket: SASL EXTERNAL authentication, Hello
// (when talking to a message bus), method calls matched to their replies by
// serial, error replies as BerthError, and signals delivered to queues.
//
// It serves two kinds of peer: a message bus (dbus-daemon, the system bus at
// /run/dbus/system_bus_socket), where the first call must be Hello and signals
// arrive only for rules registered with AddMatch; and systemd's private socket
// (/run/systemd/private), which speaks D-Bus peer-to-peer: no Hello, no bus
// names, and systemd sends its signals to every subscribed peer directly.

import type { Socket } from "node:net";
import { BerthError } from "../../errors.js";
import { net } from "../../lazy.js";
import { decodeMessage, encodeMessage, messageLength, MessageType, type DBusValue, type Message } from "./dbusWire.js";

export const DBUS_NAME = "org.freedesktop.DBus";
export const DBUS_PATH = "/org/freedesktop/DBus";

const DEFAULT_TIMEOUT_MS = 25_000;

/** An error reply from the peer: `errorName` is the D-Bus error name (e.g. org.freedesktop.DBus.Error.ServiceUnknown). */
export class DBusError extends BerthError {
  readonly errorName: string;
  /** The error's own message (the body's first string), possibly empty. */
  readonly text: string;

  constructor(errorName: string, text: string, op: string, path?: string) {
    super(`${errorName}${text !== "" ? `: ${text}` : ""}`, { op, path, hint: hintFor(errorName) });
    this.errorName = errorName;
    this.text = text;
  }
}

function hintFor(errorName: string): string | undefined {
  if (errorName.endsWith(".AccessDenied")) return "run as root, or allow the call in the D-Bus policy";
  if (errorName.endsWith(".ServiceUnknown")) return "the service is not running on this bus";
  return undefined;
}

export interface CallOptions {
  destination?: string;
  path: string;
  interface?: string;
  member: string;
  signature?: string;
  body?: DBusValue[];
  /** How long to wait for the reply (default 25 s, the reference implementation's default). */
  timeoutMs?: number;
}

export interface ConnectOptions {
  /** Unix socket path. */
  path: string;
  /** True for a message bus (sends Hello); false for a peer-to-peer socket. */
  bus: boolean;
  /** Bound on connecting, authenticating and Hello together. */
  timeoutMs?: number;
  /**
   * The uid to authenticate as (default: this process's). The peer compares it with the
   * socket's credentials as its own user namespace sees them, so a process in a user
   * namespace gives its uid outside.
   */
  uid?: number;
}

/** Answers a method call: the reply's signature and body (undefined for an empty reply). Throw DBusError for an error reply. */
export type MethodHandler = (
  call: Message,
) => Promise<{ signature: string; body: DBusValue[] } | undefined> | { signature: string; body: DBusValue[] } | undefined;

interface Pending {
  resolve(m: Message): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  what: string;
  path: string;
}

/** Signals collected from the moment the queue is made, so none is missed between a call and the wait. */
export class SignalQueue {
  private readonly seen: Message[] = [];
  private waiter: { pred: (m: Message) => boolean; resolve(m: Message): void } | undefined;

  constructor(
    private readonly filter: (m: Message) => boolean,
    private readonly detach: (q: SignalQueue) => void,
  ) {}

  /** @internal */
  push(m: Message): void {
    if (!this.filter(m)) return;
    if (this.waiter !== undefined && this.waiter.pred(m)) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(m);
      return;
    }
    this.seen.push(m);
  }

  /** The first signal (already received or still to come) matching `pred`; rejects after `timeoutMs`. */
  next(pred: (m: Message) => boolean, timeoutMs: number, what = "a D-Bus signal"): Promise<Message> {
    const i = this.seen.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.seen.splice(i, 1)[0]!);
    if (this.waiter !== undefined) return Promise.reject(new BerthError("SignalQueue.next is already waiting", { op: "D-Bus" }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new BerthError(`timed out after ${timeoutMs} ms waiting for ${what}`, { op: "D-Bus", errno: "ETIMEDOUT" }));
      }, timeoutMs);
      this.waiter = {
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
    });
  }

  close(): void {
    this.detach(this);
  }
}

export class DBusConnection {
  /** The unique bus name from Hello (undefined on a peer-to-peer connection). */
  uniqueName: string | undefined;
  private serial = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly queues = new Set<SignalQueue>();
  private inbox: Buffer = Buffer.alloc(0);
  private closedError: Error | undefined;
  private handler: MethodHandler | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
  ) {}

  /** Connect, authenticate (EXTERNAL, as this process's uid) and, on a bus, say Hello. */
  static async connect(opts: ConnectOptions): Promise<DBusConnection> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const socket = net().createConnection({ path: opts.path });
    const conn = new DBusConnection(socket, opts.path);
    let timer: NodeJS.Timeout | undefined;
    try {
      const leftover = await Promise.race([
        authenticate(socket, opts.path, opts.uid ?? process.getuid?.() ?? 0),
        new Promise<never>((_r, reject) => {
          timer = setTimeout(
            () => reject(new BerthError(`no answer within ${timeoutMs} ms`, { op: "D-Bus connect", path: opts.path, errno: "ETIMEDOUT" })),
            timeoutMs,
          );
        }),
      ]);
      clearTimeout(timer);
      conn.start(leftover);
      if (opts.bus) {
        const reply = await conn.call({ destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member: "Hello", timeoutMs });
        conn.uniqueName = reply.body[0] as string;
      }
      return conn;
    } catch (err) {
      clearTimeout(timer);
      socket.destroy();
      throw BerthError.fromSys("D-Bus connect", opts.path, err, "is the D-Bus daemon (or systemd) running?");
    }
  }

  private start(leftover: Buffer): void {
    this.socket.on("data", (chunk: Buffer) => this.receive(chunk));
    this.socket.on("error", (err) => this.fail(BerthError.fromSys("D-Bus", this.path, err)));
    this.socket.on("close", () =>
      this.fail(new BerthError("the connection was closed by the peer", { op: "D-Bus", path: this.path, errno: "ECONNRESET" })),
    );
    if (leftover.length > 0) this.receive(leftover);
    this.socket.resume();
  }

  private receive(chunk: Buffer): void {
    this.inbox = this.inbox.length === 0 ? chunk : Buffer.concat([this.inbox, chunk]);
    for (;;) {
      let n: number | undefined;
      let m: Message;
      try {
        n = messageLength(this.inbox);
        if (n === undefined) return;
        m = decodeMessage(this.inbox.subarray(0, n));
      } catch (err) {
        this.fail(err as Error);
        this.socket.destroy();
        return;
      }
      this.inbox = this.inbox.subarray(n);
      this.dispatch(m);
    }
  }

  private dispatch(m: Message): void {
    if (m.type === MessageType.MethodReturn || m.type === MessageType.Error) {
      const p = m.replySerial !== undefined ? this.pending.get(m.replySerial) : undefined;
      if (p === undefined) return;
      this.pending.delete(m.replySerial!);
      clearTimeout(p.timer);
      if (m.type === MessageType.Error) {
        const text = m.signature.startsWith("s") ? (m.body[0] as string) : "";
        p.reject(new DBusError(m.errorName ?? "org.freedesktop.DBus.Error.Failed", text, `D-Bus ${p.what}`, p.path));
      } else {
        p.resolve(m);
      }
      return;
    }
    if (m.type === MessageType.Signal) {
      for (const q of this.queues) q.push(m);
      return;
    }
    if (m.type === MessageType.MethodCall && m.path !== undefined && m.member !== undefined) {
      if (this.handler !== undefined) {
        void this.answer(m, this.handler);
        return;
      }
      // No objects are exported; answer so the caller does not wait (and Peer.Ping works).
      if (m.interface === "org.freedesktop.DBus.Peer" && m.member === "Ping") {
        this.sendRaw({ type: MessageType.MethodReturn, flags: 0, replySerial: m.serial, destination: m.sender });
      } else if ((m.flags & 0x1) === 0) {
        this.sendRaw({
          type: MessageType.Error,
          flags: 0,
          replySerial: m.serial,
          destination: m.sender,
          errorName: "org.freedesktop.DBus.Error.UnknownMethod",
          signature: "s",
          body: [`no method ${m.member} here`],
        });
      }
    }
  }

  /** Reply to a method call with what `handler` returns, or an error reply for a DBusError it throws. */
  private async answer(m: Message, handler: MethodHandler): Promise<void> {
    const noReply = (m.flags & 0x1) !== 0;
    try {
      const r = await handler(m);
      if (!noReply && this.closedError === undefined) {
        this.sendRaw({
          type: MessageType.MethodReturn,
          flags: 0,
          replySerial: m.serial,
          destination: m.sender,
          signature: r?.signature,
          body: r?.body,
        });
      }
    } catch (err) {
      if (noReply || this.closedError !== undefined) return;
      const name = err instanceof DBusError ? err.errorName : "org.freedesktop.DBus.Error.Failed";
      const text = err instanceof DBusError ? err.text : String((err as Error)?.message ?? err);
      this.sendRaw({
        type: MessageType.Error,
        flags: 0,
        replySerial: m.serial,
        destination: m.sender,
        errorName: name,
        signature: "s",
        body: [text],
      });
    }
  }

  /** Handle incoming method calls (for a service on the bus); without one they get UnknownMethod. */
  serve(handler: MethodHandler): void {
    this.handler = handler;
  }

  /** Send a signal. */
  emitSignal(sig: { path: string; interface: string; member: string; destination?: string; signature?: string; body?: DBusValue[] }): void {
    if (this.closedError !== undefined) throw this.closedError;
    this.sendRaw({ type: MessageType.Signal, flags: 0x1, ...sig });
  }

  private fail(err: Error): void {
    if (this.closedError !== undefined) return;
    this.closedError = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  private sendRaw(m: Omit<Message, "serial" | "signature" | "body"> & { signature?: string; body?: DBusValue[] }): number {
    this.serial = this.serial >= 0xffffffff ? 1 : this.serial + 1;
    const serial = this.serial;
    this.socket.write(encodeMessage({ ...m, serial }));
    return serial;
  }

  /** Call a method and resolve with its reply; an error reply rejects with DBusError. */
  call(opts: CallOptions): Promise<Message> {
    const what = `${opts.interface !== undefined ? opts.interface + "." : ""}${opts.member}`;
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    return new Promise<Message>((resolve, reject) => {
      let serial: number;
      try {
        serial = this.sendRaw({
          type: MessageType.MethodCall,
          flags: 0,
          path: opts.path,
          interface: opts.interface,
          member: opts.member,
          destination: opts.destination,
          signature: opts.signature,
          body: opts.body,
        });
      } catch (err) {
        reject(err);
        return;
      }
      const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const timer = setTimeout(() => {
        this.pending.delete(serial);
        reject(
          new BerthError(`no reply within ${timeoutMs} ms`, {
            op: `D-Bus ${what}`,
            path: opts.destination ?? this.path,
            errno: "ETIMEDOUT",
          }),
        );
      }, timeoutMs);
      this.pending.set(serial, { resolve, reject, timer, what, path: opts.destination ?? opts.path });
    });
  }

  /** Ask the bus to route signals matching `rule` to this connection (bus connections only). */
  async addMatch(rule: string): Promise<void> {
    await this.call({ destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member: "AddMatch", signature: "s", body: [rule] });
  }

  /** Start collecting the signals `filter` accepts; close() the queue when done. */
  signals(filter: (m: Message) => boolean): SignalQueue {
    const q = new SignalQueue(filter, (x) => this.queues.delete(x));
    this.queues.add(q);
    return q;
  }

  close(): void {
    this.fail(new BerthError("the connection is closed", { op: "D-Bus", path: this.path }));
    this.socket.destroy();
  }
}

/**
 * The SASL exchange: a NUL byte, AUTH EXTERNAL with the uid in hex-encoded
 * ASCII, OK from the server, then BEGIN. Returns any bytes after the OK line.
 */
function authenticate(socket: Socket, path: string, uid: number): Promise<Buffer> {
  const hexUid = Buffer.from(String(uid), "ascii").toString("hex");
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = () => {
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(new BerthError("the peer closed the connection during authentication", { op: "D-Bus connect", path, errno: "ECONNRESET" }));
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const eol = buf.indexOf("\r\n");
      if (eol < 0) {
        if (buf.length > 4096) onError(new BerthError("an overlong authentication line", { op: "D-Bus connect", path }));
        return;
      }
      const line = buf.toString("ascii", 0, eol);
      // Hold what follows until the connection's own reader is attached (start()).
      socket.pause();
      cleanup();
      if (!line.startsWith("OK ")) {
        socket.write("CANCEL\r\n");
        reject(
          new BerthError(`authentication as uid ${uid} was refused (${line})`, {
            op: "D-Bus connect",
            path,
            hint: "the peer accepts EXTERNAL authentication only from users its policy allows",
          }),
        );
        return;
      }
      socket.write("BEGIN\r\n");
      resolve(buf.subarray(eol + 2));
    };
    socket.on("data", onData);
    socket.once("error", onError);
    socket.once("close", onClose);
    socket.write(Buffer.concat([Buffer.from([0]), Buffer.from(`AUTH EXTERNAL ${hexUid}\r\n`, "ascii")]));
  });
}
