import { describe, expect, it } from "vitest";
import { BerthError } from "../errors.js";
import {
  CAPABILITIES,
  allCapabilityBits,
  capabilityBits,
  capabilityNames,
  capabilityNumber,
  hostLastCap,
  isCapabilityKnown,
} from "./capabilities.js";

describe("capabilities table", () => {
  it("numbers capabilities as linux/capability.h does", () => {
    expect(CAPABILITIES.CAP_CHOWN).toBe(0);
    expect(CAPABILITIES.CAP_KILL).toBe(5);
    expect(CAPABILITIES.CAP_NET_BIND_SERVICE).toBe(10);
    expect(CAPABILITIES.CAP_SYS_ADMIN).toBe(21);
    expect(CAPABILITIES.CAP_AUDIT_WRITE).toBe(29);
    expect(CAPABILITIES.CAP_CHECKPOINT_RESTORE).toBe(40);
    const names = capabilityNames();
    expect(names).toHaveLength(41);
    names.forEach((n, i) => expect(CAPABILITIES[n]).toBe(i));
  });

  it("knows names only in their CAP_ form", () => {
    expect(isCapabilityKnown("CAP_BPF")).toBe(true);
    expect(isCapabilityKnown("BPF")).toBe(false);
    expect(isCapabilityKnown("cap_bpf")).toBe(false);
    expect(isCapabilityKnown("toString")).toBe(false);
  });

  it("throws a BerthError naming the JSON path for an unknown name", () => {
    expect(() => capabilityNumber("CAP_FLY", "process.capabilities.bounding[2]")).toThrowError(BerthError);
    try {
      capabilityNumber("CAP_FLY", "process.capabilities.bounding[2]");
    } catch (e) {
      expect((e as BerthError).path).toBe("process.capabilities.bounding[2]");
      expect((e as BerthError).message).toContain("CAP_FLY");
    }
  });

  it("builds bitsets and leaves out caps above the kernel's last cap", () => {
    const r = capabilityBits(["CAP_KILL", "CAP_AUDIT_WRITE", "CAP_NET_BIND_SERVICE", "CAP_BPF"], 38);
    expect(r.bits).toBe((1n << 5n) | (1n << 29n) | (1n << 10n));
    expect(r.unavailable).toEqual(["CAP_BPF"]);
    expect(capabilityBits(undefined, 40).bits).toBe(0n);
    expect(capabilityBits(["CAP_KILL", "NOPE"], 40)).toEqual({ bits: 1n << 5n, unavailable: ["NOPE"] });
  });

  it("all-capability sets follow cap_last_cap", () => {
    expect(allCapabilityBits(40)).toBe(0x1ff_ffff_ffffn);
    expect(allCapabilityBits(37)).toBe((1n << 38n) - 1n);
    expect(hostLastCap(() => "39\n")).toBe(39);
    expect(
      hostLastCap(() => {
        throw new Error("no");
      }),
    ).toBe(40);
  });
});
