// The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program built from
// a device rule list. The rules are first reduced by the v1 model
// (devicesEmulator.ts) to a default policy plus non-overlapping exceptions that
// all carry the opposite verdict, so the order of the blocks does not matter and
// the program means exactly what the v1 controller would do with the same rules.
//
// The kernel passes struct bpf_cgroup_dev_ctx in r1:
//   u32 access_type  (device type in the low 16 bits, access bits in the high 16)
//   u32 major
//   u32 minor
// and the program returns 1 to allow, 0 to deny. Layout:
//   r2 = type, r3 = access, r4 = major, r5 = minor
//   per exception: if any field does not match, jump to the next block; else return verdict
//   return the default verdict

import { BerthError } from "../../errors.js";
import { ACC_ALL, ACC_M, ACC_R, ACC_W, DeviceEmulator, WILDCARD, type DevRule } from "./devicesEmulator.js";

/** The license string passed to BPF_PROG_LOAD. */
export const DEVICE_FILTER_LICENSE = "Apache";

export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;

// Opcodes used (class | op | source).
export const OP = {
  LDXW: 0x61, // r_dst = *(u32 *)(r_src + off)
  AND32_K: 0x54, // w_dst &= imm
  RSH32_K: 0x74, // w_dst >>= imm
  MOV32_K: 0xb4, // w_dst = imm
  MOV32_X: 0xbc, // w_dst = w_src
  JNE_K: 0x55, // if r_dst != imm (sign-extended) goto +off
  JNE_X: 0x5d, // if r_dst != r_src goto +off
  JNE32_K: 0x56, // if w_dst != imm goto +off
  EXIT: 0x95,
} as const;

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

function insn(code: number, dst: number, src: number, off: number, imm: number): BpfInsn {
  return { code, dst, src, off, imm };
}

function bpfAccess(mask: number): number {
  return (mask & ACC_R ? BPF_DEVCG_ACC_READ : 0) | (mask & ACC_W ? BPF_DEVCG_ACC_WRITE : 0) | (mask & ACC_M ? BPF_DEVCG_ACC_MKNOD : 0);
}

/** `if reg != value goto end-of-block`: 64-bit compare when the immediate sign-extends to the same value, else 32-bit. */
function jneImm(reg: number, value: number): BpfInsn {
  return value <= 0x7fffffff ? insn(OP.JNE_K, reg, 0, 0, value) : insn(OP.JNE32_K, reg, 0, 0, value | 0);
}

function block(rule: DevRule): BpfInsn[] {
  if (rule.type === "a") throw new BerthError('an "a" rule cannot be a filter block', { op: "build device filter" });
  const body: BpfInsn[] = [];
  // Each jump's offset is filled in once the block's length is known.
  body.push(jneImm(2, rule.type === "c" ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
  if (rule.access !== ACC_ALL) {
    // if ((access & allowed) != access) the request asks for more than the rule covers
    body.push(insn(OP.MOV32_X, 1, 3, 0, 0), insn(OP.AND32_K, 1, 0, 0, bpfAccess(rule.access)), insn(OP.JNE_X, 1, 3, 0, 0));
  }
  if (rule.major !== WILDCARD) body.push(jneImm(4, rule.major));
  if (rule.minor !== WILDCARD) body.push(jneImm(5, rule.minor));
  body.push(insn(OP.MOV32_K, 0, 0, 0, rule.allow ? 1 : 0), insn(OP.EXIT, 0, 0, 0, 0));
  // Jumps go to the instruction after this block: offset = len - (index + 1).
  body.forEach((ins, i) => {
    if (ins.code === OP.JNE_K || ins.code === OP.JNE_X || ins.code === OP.JNE32_K) ins.off = body.length - (i + 1);
  });
  return body;
}

/** The device filter program for a rule list (same semantics as the v1 controller given the same rules). */
export function deviceFilterProgram(rules: readonly DevRule[]): BpfInsn[] {
  const emu = DeviceEmulator.fromRules(rules);
  const prog: BpfInsn[] = [
    insn(OP.LDXW, 2, 1, 0, 0),
    insn(OP.AND32_K, 2, 0, 0, 0xffff),
    insn(OP.LDXW, 3, 1, 0, 0),
    insn(OP.RSH32_K, 3, 0, 0, 16),
    insn(OP.LDXW, 4, 1, 4, 0),
    insn(OP.LDXW, 5, 1, 8, 0),
  ];
  for (const r of emu.entries()) prog.push(...block(r));
  prog.push(insn(OP.MOV32_K, 0, 0, 0, emu.defaultAllow ? 1 : 0), insn(OP.EXIT, 0, 0, 0, 0));
  return prog;
}

/** struct bpf_insn encoding (8 bytes each, little-endian as on the supported hosts). */
export function encodeProgram(prog: readonly BpfInsn[]): Buffer {
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach((p, i) => {
    buf.writeUInt8(p.code, i * 8);
    buf.writeUInt8((p.src << 4) | p.dst, i * 8 + 1);
    buf.writeInt16LE(p.off, i * 8 + 2);
    buf.writeInt32LE(p.imm | 0, i * 8 + 4);
  });
  return buf;
}
