// Starting berth-init as a child process with its fds in place, on either engine.
//
// node:child_process (and with it node:net and the stream machinery) costs the
// compiled berth about 12 ms to load and set up on its first spawn: more than
// berth-init's whole work. Under Bun, Bun.spawn does the same job natively in
// well under a millisecond and hands the sync socket over as a plain fd, which
// FdStream reads and writes. Node (the test runner's engine) keeps child_process.

import type { ChildProcess } from "node:child_process";
import { closeSync, writeSync } from "node:fs";
import type { Socket } from "node:net";
import { constants as osConstants } from "node:os";
import { BerthError } from "../errors.js";
import { childProcess } from "../lazy.js";
import type { ByteStream } from "./syncChannel.js";
import { bun, type BunApi, type BunSubprocess } from "../bun.js";

/** An fd slot of the child: inherited (0-2), one of ours (number), a connected socket, or "pipe" (the sync socket). */
export type StdioSlot = "inherit" | "pipe" | number | Socket;

export interface HelperProcess {
  /** The child's pid; undefined when it could not be started (see `error`). */
  readonly pid: number | undefined;
  /** Settles when the child exits: its exit status (128+N for signal N). */
  readonly exited: Promise<number>;
  /** Settles with the error when the child could not be started. */
  readonly error: Promise<Error>;
  /** The sync socket ("pipe" slot). */
  readonly sync: ByteStream;
  /** Let this process exit while the child goes on. */
  unref(): void;
}

/** Start `path` with `stdio` (exactly one "pipe" slot: the sync socket) and only `env`. */
export function spawnHelper(path: string, stdio: StdioSlot[], env: Record<string, string>): HelperProcess {
  const syncIndex = stdio.indexOf("pipe");
  if (bun !== undefined && stdio.every((s) => typeof s === "string" || typeof s === "number")) {
    return spawnBun(bun, path, stdio as (string | number)[], env, syncIndex);
  }
  return spawnNode(path, stdio, env, syncIndex);
}

function spawnNode(path: string, stdio: StdioSlot[], env: Record<string, string>, syncIndex: number): HelperProcess {
  const child = childProcess().spawn(path, [], { stdio, env });
  const error = new Promise<Error>((resolve) => child.once("error", resolve));
  return { pid: child.pid, exited: exitStatus(child), error, sync: child.stdio[syncIndex] as Socket, unref: () => child.unref() };
}

function exitStatus(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    if (child.signalCode !== null) return resolve(128 + signalNumber(child.signalCode));
    child.once("exit", (code, signal) => resolve(code ?? 128 + signalNumber(signal ?? "SIGKILL")));
  });
}

function signalNumber(sig: string): number {
  return (osConstants.signals as Record<string, number>)[sig] ?? 9;
}

function spawnBun(bun: BunApi, path: string, stdio: (string | number)[], env: Record<string, string>, syncIndex: number): HelperProcess {
  let proc: BunSubprocess;
  try {
    proc = bun.spawn([path], { stdio, env });
  } catch (err) {
    // A preserved fd that is not open is the caller's mistake, thrown as child_process throws it.
    if ((err as NodeJS.ErrnoException).code === "EBADF") throw err;
    const e = err instanceof Error ? err : new Error(String(err));
    return { pid: undefined, exited: Promise.resolve(127), error: Promise.resolve(e), sync: new FdStream(bun, -1), unref: () => undefined };
  }
  const exited = proc.exited.then((code) => (proc.signalCode !== null ? 128 + signalNumber(proc.signalCode) : code));
  const fd = proc.stdio[syncIndex];
  if (typeof fd !== "number")
    throw new BerthError(`Bun.spawn gave no fd for the sync socket (slot ${syncIndex})`, {
      op: "start helper",
      hint: "a Bun too old for extra stdio fds; rebuild with the pinned Bun",
    });
  return { pid: proc.pid, exited, error: new Promise<Error>(() => undefined), sync: new FdStream(bun, fd), unref: () => proc.unref() };
}

type Listener = (arg?: unknown) => void;

/**
 * A ByteStream over a non-blocking socket fd: reads through Bun's native stream of the fd,
 * writes with write(2), queued and retried while the socket's buffer is full.
 */
class FdStream implements ByteStream {
  private readonly listeners = new Map<string, Listener[]>();
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private readonly queue: Buffer[] = [];
  private retry: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    bun: BunApi,
    private readonly fd: number,
  ) {
    if (fd < 0) {
      this.closed = true;
      return;
    }
    this.reader = bun.file(fd).stream().getReader();
    queueMicrotask(() => void this.pump());
  }

  on(event: "data", fn: (chunk: Buffer) => void): this;
  on(event: "end" | "close", fn: () => void): this;
  on(event: "error", fn: (err: Error) => void): this;
  on(event: string, fn: (arg: never) => void): this {
    const list = this.listeners.get(event) ?? [];
    list.push(fn as Listener);
    this.listeners.set(event, list);
    return this;
  }

  write(chunk: Buffer): boolean {
    if (this.closed) return false;
    this.queue.push(chunk);
    this.flush();
    return true;
  }

  destroy(): this {
    if (this.closed) return this;
    this.closed = true;
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.queue.length = 0;
    const reader = this.reader;
    this.reader = undefined;
    void reader
      ?.cancel()
      .catch(() => undefined)
      .finally(() => this.closeFd());
    if (reader === undefined) this.closeFd();
    return this;
  }

  private closeFd(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }

  private emit(event: string, arg?: unknown): void {
    for (const fn of this.listeners.get(event) ?? []) fn(arg);
  }

  private flush(): void {
    this.retry = undefined;
    while (!this.closed && this.queue.length > 0) {
      const head = this.queue[0] as Buffer;
      let n: number;
      try {
        n = writeSync(this.fd, head);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") {
          // The peer reads as it goes: come back once it had a moment to.
          this.retry = setTimeout(() => this.flush(), 1);
          return;
        }
        this.emit("error", err);
        return;
      }
      if (n >= head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const reader = this.reader;
        if (reader === undefined) return;
        const r = await reader.read();
        if (r.done) break;
        this.emit("data", Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength));
      }
    } catch (err) {
      if (!this.closed) this.emit("error", err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (!this.closed) {
      this.emit("end");
      this.emit("close");
    }
  }
}
