import { describe, expect, it } from "vitest";
import { effectiveDeviceRules, toDevRules } from "./devices.js";
import {
  BPF_DEVCG_ACC_MKNOD,
  BPF_DEVCG_ACC_READ,
  BPF_DEVCG_ACC_WRITE,
  BPF_DEVCG_DEV_BLOCK,
  BPF_DEVCG_DEV_CHAR,
  deviceFilterProgram,
  encodeProgram,
  OP,
  type BpfInsn,
} from "./devicesBpf.js";
import { ACC_M, ACC_R, ACC_W, DeviceEmulator, type DevRule } from "./devicesEmulator.js";
import type { DeviceCgroup } from "../../spec/types.js";

/** Decode struct bpf_insn back from the bytes handed to the kernel. */
function decode(buf: Buffer): BpfInsn[] {
  const out: BpfInsn[] = [];
  for (let i = 0; i < buf.length; i += 8) {
    const regs = buf.readUInt8(i + 1);
    out.push({ code: buf.readUInt8(i), dst: regs & 0xf, src: regs >> 4, off: buf.readInt16LE(i + 2), imm: buf.readInt32LE(i + 4) });
  }
  return out;
}

/** A BPF interpreter for the opcodes the device filter uses, over struct bpf_cgroup_dev_ctx. */
function run(prog: BpfInsn[], ctx: { type: number; access: number; major: number; minor: number }): number {
  const mem = [((ctx.access << 16) | ctx.type) >>> 0, ctx.major >>> 0, ctx.minor >>> 0];
  const r: bigint[] = new Array(11).fill(0n);
  const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
  const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
  const simm = (imm: number): bigint => u64(BigInt(imm)); // sign-extended to 64 bits
  r[1] = 0xdead0000n; // ctx pointer
  let pc = 0;
  for (let steps = 0; steps < 10_000; steps++) {
    const ins = prog[pc];
    if (ins === undefined) throw new Error(`fell off the program at ${pc}`);
    pc++;
    switch (ins.code) {
      case OP.LDXW: {
        if (r[ins.src] !== 0xdead0000n || ins.off % 4 !== 0 || ins.off < 0 || ins.off > 8) throw new Error("bad load");
        r[ins.dst] = BigInt(mem[ins.off / 4]!);
        break;
      }
      case OP.AND32_K:
        r[ins.dst] = u32(r[ins.dst]! & u32(BigInt(ins.imm)));
        break;
      case OP.RSH32_K:
        r[ins.dst] = u32(r[ins.dst]!) >> BigInt(ins.imm);
        break;
      case OP.MOV32_K:
        r[ins.dst] = u32(BigInt(ins.imm));
        break;
      case OP.MOV32_X:
        r[ins.dst] = u32(r[ins.src]!);
        break;
      case OP.JNE_K:
        if (r[ins.dst] !== simm(ins.imm)) pc += ins.off;
        break;
      case OP.JNE_X:
        if (r[ins.dst] !== r[ins.src]) pc += ins.off;
        break;
      case OP.JNE32_K:
        if (u32(r[ins.dst]!) !== u32(BigInt(ins.imm))) pc += ins.off;
        break;
      case OP.EXIT:
        return Number(r[0]);
      default:
        throw new Error(`unexpected opcode 0x${ins.code.toString(16)}`);
    }
    if (pc < 0 || pc > prog.length) throw new Error("jump out of range");
  }
  throw new Error("no exit");
}

const ACCESS: [string, number, number][] = [
  ["r", ACC_R, BPF_DEVCG_ACC_READ],
  ["w", ACC_W, BPF_DEVCG_ACC_WRITE],
  ["m", ACC_M, BPF_DEVCG_ACC_MKNOD],
  ["rw", ACC_R | ACC_W, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE],
  ["rwm", ACC_R | ACC_W | ACC_M, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD],
];

function allows(rules: DevRule[], type: "b" | "c", major: number, minor: number, access: string): boolean {
  const prog = decode(encodeProgram(deviceFilterProgram(rules)));
  const acc = ACCESS.find(([s]) => s === access)![2];
  return run(prog, { type: type === "c" ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, access: acc, major, minor }) === 1;
}

const withDefaults = (devices: DeviceCgroup[]) => toDevRules(effectiveDeviceRules({ resources: { devices } }));

describe("device filter program", () => {
  const runcDefault = withDefaults([{ allow: false, access: "rwm" }]);

  it.each([
    // type, major, minor, access, allowed
    ["c", 1, 3, "rw", true], // /dev/null
    ["c", 1, 5, "r", true], // /dev/zero
    ["c", 5, 1, "rw", false], // /dev/console is not a default
    ["c", 136, 7, "rw", true], // /dev/pts/7
    ["c", 136, 7, "rwm", true],
    ["c", 10, 200, "rw", true], // tun
    ["c", 10, 229, "rw", false], // fuse
    ["c", 10, 229, "m", true], // mknod of anything
    ["b", 8, 0, "m", true],
    ["b", 8, 0, "r", false],
    ["b", 1, 3, "r", false], // a block device with null's numbers
    ["c", 4294967295, 1, "m", true],
  ] as const)("runc's default rules: %s %d:%d %s → %s", (type, major, minor, access, allowed) => {
    expect(allows(runcDefault, type, major, minor, access)).toBe(allowed);
  });

  it("a later default re-allows what an earlier config rule denied, as with runc", () => {
    const rules = withDefaults([
      { allow: false, access: "rwm" },
      { allow: false, type: "c", major: 1, minor: 3, access: "w" },
    ]);
    expect(allows(rules, "c", 1, 3, "w")).toBe(true);
  });

  it("allow-all with deny exceptions", () => {
    const rules = toDevRules([
      { allow: true, access: "rwm" },
      { allow: false, type: "c", major: 1, minor: 3, access: "w" },
      { allow: false, type: "b", access: "rwm" },
    ]);
    expect(allows(rules, "c", 1, 3, "r")).toBe(true);
    expect(allows(rules, "c", 1, 3, "w")).toBe(false);
    expect(allows(rules, "b", 8, 1, "r")).toBe(false);
    expect(allows(rules, "c", 4, 1, "rwm")).toBe(true);
  });

  it("handles device numbers above 2^31 with 32-bit compares", () => {
    const rules = toDevRules([
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 0x80000001, minor: 0xfffffffe, access: "r" },
    ]);
    const prog = deviceFilterProgram(rules);
    expect(prog.some((i) => i.code === OP.JNE32_K)).toBe(true);
    expect(allows(rules, "c", 0x80000001, 0xfffffffe, "r")).toBe(true);
    expect(allows(rules, "c", 1, 0xfffffffe, "r")).toBe(false);
  });

  it("skips the access test for rwm rules and starts with the context loads", () => {
    const prog = deviceFilterProgram(
      toDevRules([
        { allow: false, access: "rwm" },
        { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
      ]),
    );
    expect(prog.map((i) => i.code)).toEqual([
      OP.LDXW,
      OP.AND32_K,
      OP.LDXW,
      OP.RSH32_K,
      OP.LDXW,
      OP.LDXW,
      OP.JNE_K,
      OP.JNE_K,
      OP.JNE_K,
      OP.MOV32_K,
      OP.EXIT,
      OP.MOV32_K,
      OP.EXIT,
    ]);
    expect(prog.slice(6, 9).map((i) => i.off)).toEqual([4, 3, 2]);
  });

  it("matches the v1 model's decision for every device and access in a mixed rule set", () => {
    const sets: DeviceCgroup[][] = [
      [
        { allow: false, access: "rwm" },
        { allow: true, type: "c", major: 1, access: "r" },
        { allow: true, type: "c", major: 1, minor: 3, access: "w" },
        { allow: true, type: "b", minor: 0, access: "rm" },
      ],
      [
        { allow: true, access: "rwm" },
        { allow: false, type: "c", major: 1, minor: 3, access: "rw" },
        { allow: false, type: "b", major: 8, access: "m" },
      ],
      [{ allow: false, access: "rwm" }],
      [{ allow: true, access: "rwm" }],
    ];
    for (const devices of sets) {
      const rules = toDevRules(devices);
      const emu = DeviceEmulator.fromRules(rules);
      for (const type of ["b", "c"] as const) {
        for (const major of [0, 1, 8]) {
          for (const minor of [0, 3, 5]) {
            for (const [name, mask] of ACCESS) {
              expect(allows(rules, type, major, minor, name), `${JSON.stringify(devices)} ${type} ${major}:${minor} ${name}`).toBe(
                emu.permits(type, major, minor, mask),
              );
            }
          }
        }
      }
    }
  });
});
