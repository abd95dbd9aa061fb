import { Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import { decodeError, SyncChannel } from "./syncChannel.js";

function fakeSocket() {
  const written: Buffer[] = [];
  const d = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(Buffer.from(chunk));
      cb();
    },
  });
  return { d, written };
}

function frame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(type, 0);
  h.writeUInt32LE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

describe("SyncChannel", () => {
  it("frames outgoing messages", () => {
    const { d, written } = fakeSocket();
    const ch = new SyncChannel(d);
    ch.send(1, Buffer.from("abc"));
    ch.send(23);
    expect(Buffer.concat(written)).toEqual(Buffer.concat([frame(1, Buffer.from("abc")), frame(23)]));
  });

  it("reassembles frames split across chunks and several per chunk", async () => {
    const { d } = fakeSocket();
    const ch = new SyncChannel(d);
    const all = Buffer.concat([frame(11, Buffer.from([1, 2, 3, 4])), frame(12), frame(13, Buffer.from("x"))]);
    const first = ch.next();
    d.push(all.subarray(0, 3));
    d.push(all.subarray(3, 13));
    d.push(all.subarray(13));
    expect(await first).toEqual({ type: 11, payload: Buffer.from([1, 2, 3, 4]) });
    expect(await ch.next()).toEqual({ type: 12, payload: Buffer.alloc(0) });
    expect(await ch.next()).toEqual({ type: 13, payload: Buffer.from("x") });
    d.push(null);
    expect(await ch.next()).toBeNull();
    expect(await ch.next()).toBeNull();
  });

  it("fails when the stream ends inside a frame", async () => {
    const { d } = fakeSocket();
    const ch = new SyncChannel(d);
    d.push(frame(14, Buffer.from("abcdef")).subarray(0, 10));
    d.push(null);
    await expect(ch.next()).rejects.toThrow(/ended inside a frame/);
  });

  it("rejects absurd frame sizes", async () => {
    const { d } = fakeSocket();
    const ch = new SyncChannel(d);
    const h = Buffer.alloc(8);
    h.writeUInt32LE(14, 0);
    h.writeUInt32LE(0xffffffff, 4);
    d.push(h);
    await expect(ch.next()).rejects.toThrow(/frame of/);
  });
});

describe("decodeError", () => {
  it("splits errno and text", () => {
    const p = Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from('mount "proc" on "/proc": Operation not permitted')]);
    expect(decodeError(p)).toEqual({ errno: 1, message: 'mount "proc" on "/proc": Operation not permitted' });
    expect(decodeError(Buffer.from("ab"))).toEqual({ errno: 0, message: "ab" });
  });
});
