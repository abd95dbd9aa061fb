import { describe, expect, it } from "vitest";
import { BerthError } from "../../errors.js";
import {
  decodeMessage,
  encodeMessage,
  marshal,
  messageLength,
  MessageType,
  splitSignature,
  unmarshal,
  type DBusValue,
} from "./dbusWire.js";

/** Hex bytes with spaces and | allowed for readability. */
function hex(s: string): Buffer {
  return Buffer.from(s.replace(/[\s|]/g, ""), "hex");
}

function ascii(s: string): string {
  return Buffer.from(s, "ascii").toString("hex");
}

describe("splitSignature", () => {
  it("splits into complete types", () => {
    expect(splitSignature("sa{sv}as")).toEqual(["s", "a{sv}", "as"]);
    expect(splitSignature("ssa(sv)a(sa(sv))")).toEqual(["s", "s", "a(sv)", "a(sa(sv))"]);
    expect(splitSignature("")).toEqual([]);
  });
  it("rejects malformed signatures", () => {
    expect(() => splitSignature("a")).toThrow(BerthError);
    expect(() => splitSignature("(s")).toThrow(BerthError);
    expect(() => splitSignature("()")).toThrow(BerthError);
    expect(() => splitSignature("z")).toThrow(BerthError);
  });
});

describe("marshal (byte-exact, little-endian)", () => {
  it("strings: length, bytes, NUL", () => {
    expect(marshal("s", ["foo"])).toEqual(hex("03000000 666f6f 00"));
    expect(marshal("o", ["/"])).toEqual(hex("01000000 2f 00"));
    expect(marshal("s", [""])).toEqual(hex("00000000 00"));
  });
  it("signatures: one length byte", () => {
    expect(marshal("g", ["sv"])).toEqual(hex("02 7376 00"));
  });
  it("pads each value to its alignment", () => {
    expect(marshal("yu", [1, 2])).toEqual(hex("01 000000 | 02000000"));
    expect(marshal("yt", [1, 2n])).toEqual(hex("01 00000000000000 | 0200000000000000"));
    expect(marshal("yq", [1, 0x1234])).toEqual(hex("01 00 | 3412"));
    expect(marshal("sy", ["a", 7])).toEqual(hex("01000000 61 00 | 07"));
  });
  it("booleans are 32-bit", () => {
    expect(marshal("b", [true])).toEqual(hex("01000000"));
    expect(marshal("yb", [0, false])).toEqual(hex("00 000000 00000000"));
  });
  it("signed and 64-bit integers", () => {
    expect(marshal("i", [-2])).toEqual(hex("feffffff"));
    expect(marshal("x", [-1n])).toEqual(hex("ffffffffffffffff"));
    expect(marshal("t", [0xffffffffffffffffn])).toEqual(hex("ffffffffffffffff"));
    expect(marshal("t", [300])).toEqual(hex("2c01000000000000"));
    expect(marshal("d", [1])).toEqual(hex("000000000000f03f"));
  });
  it("arrays: byte length excluding the padding before the first element", () => {
    expect(marshal("ay", [[1, 2, 3]])).toEqual(hex("03000000 010203"));
    expect(marshal("au", [[1, 2]])).toEqual(hex("08000000 01000000 02000000"));
    // The length is at offset 0; elements are 8-aligned, so 4 bytes of padding follow it.
    expect(marshal("at", [[1n]])).toEqual(hex("08000000 00000000 0100000000000000"));
    // The padding is there even for an empty array.
    expect(marshal("at", [[]])).toEqual(hex("00000000 00000000"));
    expect(marshal("as", [["a", "bc"]])).toEqual(hex("0f000000 01000000 6100 0000 02000000 626300"));
  });
  it("variants: signature then the value aligned by its type", () => {
    expect(marshal("v", [{ type: "u", value: 5 }])).toEqual(hex("01 75 00 | 00 | 05000000"));
    expect(marshal("v", [{ type: "s", value: "x" }])).toEqual(hex("01 73 00 | 00 | 01000000 78 00"));
    expect(marshal("v", [{ type: "y", value: 9 }])).toEqual(hex("01 79 00 | 09"));
  });
  it("a(sv): struct elements 8-aligned", () => {
    // len | pad to 8 | s "a" | v: g "b" | pad | b true
    expect(marshal("a(sv)", [[["a", { type: "b", value: true }]]])).toEqual(
      hex("10000000 00000000 | 01000000 6100 | 01 62 00 | 000000 | 01000000"),
    );
    // A second element starts on the next multiple of 8.
    expect(
      marshal("a(sv)", [
        [
          ["a", { type: "y", value: 1 }],
          ["b", { type: "y", value: 2 }],
        ],
      ]),
    ).toEqual(hex("1a000000 00000000 | 01000000 6100 017900 01 | 000000000000 | 01000000 6200 017900 02"));
  });
  it("a{sv} is laid out like a(sv)", () => {
    expect(marshal("a{sv}", [[["a", { type: "b", value: true }]]])).toEqual(marshal("a(sv)", [[["a", { type: "b", value: true }]]]));
  });
  it("rejects values that do not fit the signature", () => {
    expect(() => marshal("s", [1])).toThrow(BerthError);
    expect(() => marshal("u", ["1"])).toThrow(BerthError);
    expect(() => marshal("(su)", [["a"]])).toThrow(BerthError);
    expect(() => marshal("s", ["a\0b"])).toThrow(BerthError);
    expect(() => marshal("ss", ["a"])).toThrow(BerthError);
  });
});

describe("unmarshal", () => {
  const cases: [string, DBusValue[]][] = [
    ["y", [255]],
    ["b", [true]],
    ["nqiu", [-3, 65535, -70000, 4000000000]],
    ["xt", [-5n, 18446744073709551615n]],
    ["d", [2.5]],
    ["sog", ["héllo", "/org/freedesktop/systemd1", "a(sv)"]],
    ["as", [["a", "", "ccc"]]],
    ["at", [[]]],
    ["ay", [[0, 1, 255]]],
    [
      "a{sv}",
      [
        [
          ["k", { type: "as", value: ["x"] }],
          ["n", { type: "t", value: 7n }],
        ],
      ],
    ],
    [
      "ssa(sv)a(sa(sv))",
      [
        "berth-x.scope",
        "replace",
        [
          ["Delegate", { type: "b", value: true }],
          ["PIDs", { type: "au", value: [1234] }],
          [
            "DeviceAllow",
            {
              type: "a(ss)",
              value: [
                ["/dev/null", "rwm"],
                ["char-pts", "rwm"],
              ],
            },
          ],
          ["AllowedCPUs", { type: "ay", value: [3] }],
          ["MemoryMax", { type: "t", value: 1048576n }],
        ],
        [],
      ],
    ],
    ["(yv)", [[1, { type: "v", value: { type: "i", value: -1 } }]]],
    ["uoss", [7, "/org/freedesktop/systemd1/job/7", "a.scope", "done"]],
  ];
  for (const [sig, values] of cases) {
    it(`round-trips ${sig}`, () => {
      expect(unmarshal(sig, marshal(sig, values))).toEqual(values);
    });
  }
  it("rejects truncated input and bad booleans", () => {
    expect(() => unmarshal("s", hex("05000000 6162"))).toThrow(BerthError);
    expect(() => unmarshal("b", hex("02000000"))).toThrow(BerthError);
    expect(() => unmarshal("ay", hex("09000000 01"))).toThrow(BerthError);
    expect(() => unmarshal("u", hex("0100000000"))).toThrow(BerthError);
  });
});

describe("messages", () => {
  // The Hello call every bus client sends first, computed from the specification:
  // fixed header, then header fields PATH(1) INTERFACE(2) MEMBER(3) DESTINATION(6),
  // each a struct (8-aligned) of a byte code and a variant, then padding to 8.
  const HELLO = hex(
    [
      "6c 01 00 01",
      "00000000",
      "01000000",
      "6d000000",
      // offset 16: PATH, variant "o", 21-byte string, NUL → ends at 46
      "01 016f00",
      "15000000",
      ascii("/org/freedesktop/DBus"),
      "00",
      "0000",
      // offset 48: INTERFACE
      "02 017300",
      "14000000",
      ascii("org.freedesktop.DBus"),
      "00",
      "000000",
      // offset 80: MEMBER
      "03 017300",
      "05000000",
      ascii("Hello"),
      "00",
      "0000",
      // offset 96: DESTINATION, ends at 125 (fields length 125 - 16 = 109), padded to 128
      "06 017300",
      "14000000",
      ascii("org.freedesktop.DBus"),
      "00",
      "000000",
    ].join(""),
  );

  it("encodes Hello byte for byte", () => {
    const m = encodeMessage({
      type: MessageType.MethodCall,
      flags: 0,
      serial: 1,
      path: "/org/freedesktop/DBus",
      interface: "org.freedesktop.DBus",
      member: "Hello",
      destination: "org.freedesktop.DBus",
    });
    expect(m.length).toBe(128);
    expect(m).toEqual(HELLO);
  });

  it("encodes a body after the header, aligned to 8, with SIGNATURE and the body length", () => {
    const m = encodeMessage({ type: MessageType.MethodReturn, flags: 0, serial: 2, replySerial: 1, signature: "s", body: [":1.5"] });
    expect(m).toEqual(
      hex(
        [
          "6c 02 00 01",
          "09000000",
          "02000000",
          "0f000000",
          "05 017500",
          "01000000", // REPLY_SERIAL u 1 (offset 16..24)
          "08 016700",
          "0173 00", // SIGNATURE g "s" (offset 24..31)
          "00", // pad to 32
          "04000000",
          ascii(":1.5"),
          "00",
        ].join(""),
      ),
    );
    expect(messageLength(m)).toBe(m.length);
    expect(messageLength(m.subarray(0, m.length - 1))).toBeUndefined();
  });

  it("decodes what it encodes", () => {
    const m = encodeMessage({
      type: MessageType.Signal,
      flags: 0,
      serial: 9,
      path: "/org/freedesktop/systemd1",
      interface: "org.freedesktop.systemd1.Manager",
      member: "JobRemoved",
      sender: ":1.1",
      signature: "uoss",
      body: [7, "/org/freedesktop/systemd1/job/7", "berth-c.scope", "done"],
    });
    expect(decodeMessage(m)).toEqual({
      type: MessageType.Signal,
      flags: 0,
      serial: 9,
      path: "/org/freedesktop/systemd1",
      interface: "org.freedesktop.systemd1.Manager",
      member: "JobRemoved",
      sender: ":1.1",
      signature: "uoss",
      body: [7, "/org/freedesktop/systemd1/job/7", "berth-c.scope", "done"],
    });
    expect(decodeMessage(HELLO)).toMatchObject({ type: MessageType.MethodCall, member: "Hello", signature: "", body: [] });
  });

  it("rejects big-endian messages and inconsistent lengths", () => {
    const big = Buffer.from(HELLO);
    big[0] = 0x42;
    expect(() => messageLength(big)).toThrow(BerthError);
    const short = Buffer.from(HELLO);
    short.writeUInt32LE(4, 4);
    expect(() => decodeMessage(short)).toThrow(BerthError);
  });
});
