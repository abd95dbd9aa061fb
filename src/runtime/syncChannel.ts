// The sync socket between berth and berth-init: frames of
//   u32 type | u32 length | payload[length]   (little-endian)
// over a stream (the 'pipe' stdio Node and Bun give a spawned child is a SOCK_STREAM
// unix socketpair). See native/PROTOCOL.md.

import { BerthError } from "../errors.js";

/** What the channel needs of its socket: a net.Socket, or helperProcess's FdStream. */
export interface ByteStream {
  on(event: "data", fn: (chunk: Buffer) => void): unknown;
  on(event: "end" | "close", fn: () => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
  write(chunk: Buffer): unknown;
  destroy(): unknown;
}

export interface Frame {
  type: number;
  payload: Buffer;
}

/** Frames larger than this are treated as a protocol error (berth-init has the same limit). */
export const MAX_PAYLOAD = 64 * 1024 * 1024;

type Waiter = { resolve: (f: Frame | null) => void; reject: (e: Error) => void };

export class SyncChannel {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly frames: Frame[] = [];
  private readonly waiters: Waiter[] = [];
  private ended = false;
  private failure: Error | undefined;

  constructor(private readonly stream: ByteStream) {
    stream.on("data", (chunk: Buffer) => this.onData(chunk));
    stream.on("end", () => this.onEnd());
    stream.on("close", () => this.onEnd());
    stream.on("error", (err: Error) => this.onError(err));
  }

  /** Queue one frame for berth-init. */
  send(type: number, payload: Buffer = Buffer.alloc(0)): void {
    const hdr = Buffer.alloc(8);
    hdr.writeUInt32LE(type >>> 0, 0);
    hdr.writeUInt32LE(payload.length, 4);
    this.stream.write(payload.length > 0 ? Buffer.concat([hdr, payload]) : hdr);
  }

  /** The next frame, or null once berth-init closed its end. Rejects on a socket or framing error. */
  next(): Promise<Frame | null> {
    const f = this.frames.shift();
    if (f !== undefined) return Promise.resolve(f);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Stop reading and release the socket. */
  destroy(): void {
    this.stream.destroy();
  }

  /** Same as destroy(). */
  close(): void {
    this.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 8) {
      const type = this.buffered.readUInt32LE(0);
      const len = this.buffered.readUInt32LE(4);
      if (len > MAX_PAYLOAD) {
        this.onError(
          new BerthError(`frame of ${len} bytes (type ${type})`, {
            op: "read sync socket",
            hint: "berth-init and berth disagree about the protocol; rebuild both",
          }),
        );
        this.stream.destroy();
        return;
      }
      if (this.buffered.length < 8 + len) break;
      const payload = Buffer.from(this.buffered.subarray(8, 8 + len));
      this.buffered = this.buffered.subarray(8 + len);
      this.deliver({ type, payload });
    }
  }

  private deliver(f: Frame): void {
    const w = this.waiters.shift();
    if (w !== undefined) w.resolve(f);
    else this.frames.push(f);
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.buffered.length > 0 && this.failure === undefined) {
      this.failure = new BerthError(`stream ended inside a frame (${this.buffered.length} bytes left over)`, {
        op: "read sync socket",
        hint: "berth-init died while sending; see its stderr",
      });
    }
    for (const w of this.waiters.splice(0)) {
      if (this.failure !== undefined) w.reject(this.failure);
      else w.resolve(null);
    }
  }

  private onError(err: Error): void {
    if (this.failure !== undefined) return;
    // A peer that exits while we write gives EPIPE/ECONNRESET: that is just the end of the stream.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EPIPE" || code === "ECONNRESET") {
      this.onEnd();
      return;
    }
    this.failure = err instanceof BerthError ? err : BerthError.fromSys("read sync socket", undefined, err);
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }
}

/** Decode a MSG_ERROR payload: u32 errno, then UTF-8 text. */
export function decodeError(payload: Buffer): { errno: number; message: string } {
  if (payload.length < 4) return { errno: 0, message: payload.toString("utf8") };
  return { errno: payload.readUInt32LE(0), message: payload.subarray(4).toString("utf8") };
}
