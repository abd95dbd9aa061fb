// The D-Bus wire format (little-endian only): marshalling of values by type
// signature, and the message framing (fixed header, header fields, body).
//
// Values in TypeScript:
//   y n q i u h  → number          x t → bigint (a number is accepted when writing)
//   d            → number          b   → boolean
//   s o g        → string          v   → Variant { type, value }
//   a<T>         → T[]             a{KV} → [K, V][] (dict entries as pairs)
//   (…)          → unknown[] (the struct's fields in order)
//
// Alignment follows the specification: every value starts at a multiple of
// its type's alignment, counted from the start of the message (headers and
// body are marshalled as one buffer, so offsets are message offsets).

import { BerthError } from "../../errors.js";

export interface Variant {
  type: string;
  value: DBusValue;
}

export type DBusValue = number | bigint | boolean | string | Variant | DBusValue[];

export const MessageType = { MethodCall: 1, MethodReturn: 2, Error: 3, Signal: 4 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Flag: the caller expects no reply. */
export const NO_REPLY_EXPECTED = 0x1;

export interface Message {
  type: MessageType;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  /** Body signature ("" for none). */
  signature: string;
  body: DBusValue[];
}

const HEADER_FIELD = {
  path: 1,
  interface: 2,
  member: 3,
  errorName: 4,
  replySerial: 5,
  destination: 6,
  sender: 7,
  signature: 8,
  unixFds: 9,
} as const;

/** The header fields a message may carry besides its signature: code, Message key, wire type. */
const OPTIONAL_FIELDS = [
  [HEADER_FIELD.path, "path", "o"],
  [HEADER_FIELD.interface, "interface", "s"],
  [HEADER_FIELD.member, "member", "s"],
  [HEADER_FIELD.errorName, "errorName", "s"],
  [HEADER_FIELD.replySerial, "replySerial", "u"],
  [HEADER_FIELD.destination, "destination", "s"],
  [HEADER_FIELD.sender, "sender", "s"],
] as const satisfies readonly (readonly [number, keyof Message, string])[];

const FIELD_KEYS = new Map<number, keyof Message>(OPTIONAL_FIELDS.map(([code, key]) => [code, key]));

function wireError(detail: string): BerthError {
  return new BerthError(detail, { op: "D-Bus message", hint: "the peer sent or was to be sent a malformed message" });
}

/** Split a signature into its complete types ("a{sv}s" → ["a{sv}", "s"]). */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < sig.length) {
    const end = completeTypeEnd(sig, i);
    out.push(sig.slice(i, end));
    i = end;
  }
  return out;
}

/** Index just after the single complete type starting at `i`. */
function completeTypeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === undefined) throw wireError(`signature "${sig}" ends early`);
  if (c === "a") return completeTypeEnd(sig, i + 1);
  if (c === "(" || c === "{") {
    const close = c === "(" ? ")" : "}";
    let j = i + 1;
    while (sig[j] !== close) {
      if (j >= sig.length) throw wireError(`signature "${sig}" has an unclosed ${c}`);
      j = completeTypeEnd(sig, j);
    }
    if (j === i + 1) throw wireError(`signature "${sig}" has an empty container`);
    return j + 1;
  }
  if ("ybnqiuxtdsoghv".includes(c)) return i + 1;
  throw wireError(`signature "${sig}" has the unknown type code "${c}"`);
}

/** The alignment of a type given by its first code. */
export function alignOf(code: string): number {
  switch (code) {
    case "y":
    case "g":
    case "v":
      return 1;
    case "n":
    case "q":
      return 2;
    case "b":
    case "i":
    case "u":
    case "s":
    case "o":
    case "a":
    case "h":
      return 4;
    case "x":
    case "t":
    case "d":
    case "(":
    case "{":
      return 8;
    default:
      throw wireError(`unknown type code "${code}"`);
  }
}

/** A growable little-endian buffer that knows message offsets for alignment. */
export class Writer {
  private buf = Buffer.alloc(256);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.ensure(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  byte(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v & 0xff, this.length);
    this.length += 1;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  u32At(offset: number, v: number): void {
    this.buf.writeUInt32LE(v, offset);
  }

  /** Marshal one value of the complete type `sig`. */
  value(sig: string, v: DBusValue): void {
    const c = sig[0]!;
    this.align(alignOf(c));
    switch (c) {
      case "y":
        this.byte(num(v, sig));
        return;
      case "b":
        this.fixed(4, (b, o) => b.writeUInt32LE(bool(v) ? 1 : 0, o));
        return;
      case "n":
        this.fixed(2, (b, o) => b.writeInt16LE(num(v, sig), o));
        return;
      case "q":
        this.fixed(2, (b, o) => b.writeUInt16LE(num(v, sig), o));
        return;
      case "i":
        this.fixed(4, (b, o) => b.writeInt32LE(num(v, sig), o));
        return;
      case "u":
      case "h":
        this.fixed(4, (b, o) => b.writeUInt32LE(num(v, sig), o));
        return;
      case "x":
        this.fixed(8, (b, o) => b.writeBigInt64LE(big(v, sig), o));
        return;
      case "t":
        this.fixed(8, (b, o) => b.writeBigUInt64LE(big(v, sig), o));
        return;
      case "d":
        this.fixed(8, (b, o) => b.writeDoubleLE(num(v, sig), o));
        return;
      case "s":
      case "o": {
        const data = Buffer.from(str(v, sig), "utf8");
        this.fixed(4, (b, o) => b.writeUInt32LE(data.length, o));
        this.bytes(data);
        this.byte(0);
        return;
      }
      case "g": {
        const data = Buffer.from(str(v, sig), "ascii");
        if (data.length > 255) throw wireError("a signature is longer than 255 bytes");
        this.byte(data.length);
        this.bytes(data);
        this.byte(0);
        return;
      }
      case "v": {
        const variant = v as Variant;
        if (typeof variant !== "object" || variant === null || Array.isArray(variant) || typeof variant.type !== "string") {
          throw wireError("a variant value must be { type, value }");
        }
        if (splitSignature(variant.type).length !== 1) throw wireError(`variant type "${variant.type}" is not one complete type`);
        this.value("g", variant.type);
        this.value(variant.type, variant.value);
        return;
      }
      case "a": {
        if (!Array.isArray(v)) throw wireError(`a value for "${sig}" must be an array`);
        const elem = sig.slice(1);
        const lenAt = this.length;
        this.fixed(4, () => undefined);
        this.align(alignOf(elem[0]!));
        const start = this.length;
        if (elem[0] === "{") {
          const [k, val] = splitSignature(elem.slice(1, -1));
          for (const entry of v) {
            if (!Array.isArray(entry) || entry.length !== 2) throw wireError(`a dict entry for "${sig}" must be a [key, value] pair`);
            this.align(8);
            this.value(k!, entry[0]!);
            this.value(val!, entry[1]!);
          }
        } else {
          for (const item of v) this.value(elem, item);
        }
        const n = this.length - start;
        if (n > 1 << 26) throw wireError("an array is longer than 64 MiB");
        this.u32At(lenAt, n);
        return;
      }
      case "(": {
        const fields = splitSignature(sig.slice(1, -1));
        if (!Array.isArray(v) || v.length !== fields.length) {
          throw wireError(`a value for "${sig}" must be an array of ${fields.length} field(s)`);
        }
        fields.forEach((f, i) => this.value(f, v[i]!));
        return;
      }
      default:
        throw wireError(`cannot marshal type "${sig}"`);
    }
  }

  private fixed(n: number, write: (b: Buffer, offset: number) => void): void {
    this.ensure(n);
    write(this.buf, this.length);
    this.length += n;
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

function num(v: DBusValue, sig: string): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "bigint") return Number(v);
  throw wireError(`a value for "${sig}" must be a number`);
}

function big(v: DBusValue, sig: string): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  throw wireError(`a value for "${sig}" must be an integer`);
}

function bool(v: DBusValue): boolean {
  if (typeof v !== "boolean") throw wireError('a value for "b" must be a boolean');
  return v;
}

function str(v: DBusValue, sig: string): string {
  if (typeof v !== "string") throw wireError(`a value for "${sig}" must be a string`);
  if (v.includes("\0")) throw wireError(`a value for "${sig}" contains a NUL byte`);
  return v;
}

/** Reads values from a little-endian buffer; offsets count from the message start. */
export class Reader {
  offset: number;

  constructor(
    private readonly buf: Buffer,
    offset = 0,
    private readonly end = buf.length,
  ) {
    this.offset = offset;
  }

  align(n: number): void {
    this.offset += (n - (this.offset % n)) % n;
    if (this.offset > this.end) throw wireError("a value runs past the end of the message");
  }

  private need(n: number): void {
    if (this.offset + n > this.end) throw wireError("a value runs past the end of the message");
  }

  value(sig: string, depth = 0): DBusValue {
    if (depth > 64) throw wireError("values are nested too deeply");
    const c = sig[0]!;
    this.align(alignOf(c));
    const b = this.buf;
    const at = this.offset;
    const take = (n: number): number => {
      this.need(n);
      this.offset += n;
      return at;
    };
    switch (c) {
      case "y":
        return b.readUInt8(take(1));
      case "b": {
        const v = b.readUInt32LE(take(4));
        if (v > 1) throw wireError(`boolean value ${v} is neither 0 nor 1`);
        return v === 1;
      }
      case "n":
        return b.readInt16LE(take(2));
      case "q":
        return b.readUInt16LE(take(2));
      case "i":
        return b.readInt32LE(take(4));
      case "u":
      case "h":
        return b.readUInt32LE(take(4));
      case "x":
        return b.readBigInt64LE(take(8));
      case "t":
        return b.readBigUInt64LE(take(8));
      case "d":
        return b.readDoubleLE(take(8));
      case "s":
      case "o": {
        const n = b.readUInt32LE(take(4));
        this.need(n + 1);
        const s = b.toString("utf8", this.offset, this.offset + n);
        if (b[this.offset + n] !== 0) throw wireError("a string is not NUL-terminated");
        this.offset += n + 1;
        return s;
      }
      case "g": {
        const n = b.readUInt8(take(1));
        this.need(n + 1);
        const s = b.toString("ascii", this.offset, this.offset + n);
        this.offset += n + 1;
        return s;
      }
      case "v": {
        const type = this.value("g", depth + 1) as string;
        if (splitSignature(type).length !== 1) throw wireError(`variant type "${type}" is not one complete type`);
        return { type, value: this.value(type, depth + 1) };
      }
      case "a": {
        const n = b.readUInt32LE(take(4));
        const elem = sig.slice(1);
        this.align(alignOf(elem[0]!));
        const stop = this.offset + n;
        if (stop > this.end) throw wireError("an array runs past the end of the message");
        const out: DBusValue[] = [];
        if (elem[0] === "{") {
          const [k, val] = splitSignature(elem.slice(1, -1));
          while (this.offset < stop) {
            this.align(8);
            const key = this.value(k!, depth + 1);
            out.push([key, this.value(val!, depth + 1)]);
          }
        } else {
          while (this.offset < stop) out.push(this.value(elem, depth + 1));
        }
        if (this.offset !== stop) throw wireError("an array's length does not match its elements");
        return out;
      }
      case "(": {
        return splitSignature(sig.slice(1, -1)).map((f) => this.value(f, depth + 1));
      }
      default:
        throw wireError(`cannot unmarshal type "${sig}"`);
    }
  }
}

/** Marshal `values` of signature `sig` as a standalone body (offset 0). */
export function marshal(sig: string, values: DBusValue[]): Buffer {
  const types = splitSignature(sig);
  if (types.length !== values.length) throw wireError(`signature "${sig}" needs ${types.length} value(s), got ${values.length}`);
  const w = new Writer();
  types.forEach((t, i) => w.value(t, values[i]!));
  return w.result();
}

/** Unmarshal a standalone body (offset 0) of signature `sig`. */
export function unmarshal(sig: string, buf: Buffer): DBusValue[] {
  const r = new Reader(buf);
  const out = splitSignature(sig).map((t) => r.value(t));
  if (r.offset !== buf.length) throw wireError("trailing bytes after the values");
  return out;
}

/** Encode a whole message. Bodies are aligned to 8 after the header, as the specification requires. */
export function encodeMessage(m: Omit<Message, "body" | "signature"> & { signature?: string; body?: DBusValue[] }): Buffer {
  const signature = m.signature ?? "";
  const body = m.body ?? [];
  const fields: [number, Variant][] = [];
  for (const [code, key, type] of OPTIONAL_FIELDS) {
    const value = m[key];
    if (value !== undefined) fields.push([code, { type, value }]);
  }
  if (signature !== "") fields.push([HEADER_FIELD.signature, { type: "g", value: signature }]);
  const w = new Writer();
  w.byte(0x6c); // 'l': little-endian
  w.byte(m.type);
  w.byte(m.flags);
  w.byte(1); // protocol version
  w.value("u", 0); // body length, patched below
  w.value("u", m.serial);
  w.value("a(yv)", fields);
  w.align(8);
  const bodyStart = w.length;
  const types = splitSignature(signature);
  if (types.length !== body.length) throw wireError(`signature "${signature}" needs ${types.length} value(s), got ${body.length}`);
  types.forEach((t, i) => w.value(t, body[i]!));
  w.u32At(4, w.length - bodyStart);
  return w.result();
}

/** Size of the complete message at the start of `buf`, or undefined when more bytes are needed. */
export function messageLength(buf: Buffer): number | undefined {
  if (buf.length < 16) return undefined;
  if (buf[0] !== 0x6c) throw wireError("the peer sent a big-endian message, which berth does not read");
  const bodyLen = buf.readUInt32LE(4);
  const fieldsLen = buf.readUInt32LE(12);
  const headerEnd = 16 + fieldsLen;
  const total = headerEnd + ((8 - (headerEnd % 8)) % 8) + bodyLen;
  if (total > 1 << 27) throw wireError("a message is longer than 128 MiB");
  return buf.length >= total ? total : undefined;
}

/** Decode one complete message (as delimited by messageLength). */
export function decodeMessage(buf: Buffer): Message {
  if (buf[0] !== 0x6c) throw wireError("the peer sent a big-endian message, which berth does not read");
  if (buf[3] !== 1) throw wireError(`unknown protocol version ${buf[3]}`);
  const r = new Reader(buf, 4);
  const bodyLen = r.value("u") as number;
  const serial = r.value("u") as number;
  const fields = r.value("a(yv)") as [number, Variant][];
  r.align(8);
  const m: Message = { type: buf[1] as MessageType, flags: buf[2]!, serial, signature: "", body: [] };
  for (const [code, v] of fields) {
    // Unknown fields are ignored, as the specification asks.
    if (code === HEADER_FIELD.signature) m.signature = v.value as string;
    const key = FIELD_KEYS.get(code);
    if (key !== undefined) (m as unknown as Record<string, unknown>)[key] = v.value;
  }
  const bodyStart = r.offset;
  if (bodyStart + bodyLen !== buf.length) throw wireError("the body length does not match the message size");
  const body = new Reader(buf, bodyStart, bodyStart + bodyLen);
  m.body = splitSignature(m.signature).map((t) => body.value(t));
  if (body.offset !== buf.length) throw wireError("trailing bytes after the body");
  return m;
}
