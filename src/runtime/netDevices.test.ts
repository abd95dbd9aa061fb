import { describe, expect, it } from "vitest";
import { BerthError } from "../errors.js";
import type { Spec } from "../spec/types.js";
import { nameMatches, netDeviceMoves, validDeviceName } from "./netDevices.js";

function spec(
  netDevices: Record<string, { name?: string }>,
  namespaces: NonNullable<Spec["linux"]>["namespaces"] = [{ type: "network" }],
): Spec {
  return { ociVersion: "1.3.0", linux: { namespaces, netDevices } };
}

function thrown(fn: () => unknown): BerthError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BerthError) return e;
    throw e;
  }
  throw new Error("expected a BerthError");
}

describe("network device names", () => {
  it("follow the kernel's rule: 1 to 15 bytes, not . or .., no /, : or white space", () => {
    for (const ok of ["eth0", "x", "a".repeat(15), "net%d", "veth-1_2.3"]) expect(validDeviceName(ok), ok).toBe(true);
    for (const bad of ["", ".", "..", "a".repeat(16), "a/b", "a:b", "a b", "a\tb", "é".repeat(8)])
      expect(validDeviceName(bad), bad).toBe(false);
  });

  it("a template matches what the kernel makes of it", () => {
    expect(nameMatches("eth0", "eth0")).toBe(true);
    expect(nameMatches("eth1", "eth0")).toBe(false);
    expect(nameMatches("net12", "net%d")).toBe(true);
    expect(nameMatches("net", "net%d")).toBe(false);
    expect(nameMatches("a.7x", "a.%dx")).toBe(true);
    expect(nameMatches("ab7x", "a.%dx")).toBe(false);
  });
});

describe("netDeviceMoves", () => {
  it("gives each entry's host name, container name and JSON path", () => {
    expect(netDeviceMoves(spec({ eth1: {}, eth2: { name: "ctr0" }, eth3: { name: "" } }), 0)).toEqual([
      { host: "eth1", name: "eth1", what: 'linux.netDevices["eth1"]' },
      { host: "eth2", name: "ctr0", what: 'linux.netDevices["eth2"]' },
      { host: "eth3", name: "eth3", what: 'linux.netDevices["eth3"]' },
    ]);
    expect(netDeviceMoves(spec({}), 1000)).toEqual([]);
    expect(netDeviceMoves({ ociVersion: "1.3.0" }, 0)).toEqual([]);
  });

  it("refuses bad names, naming the entry or its name", () => {
    expect(thrown(() => netDeviceMoves(spec({ "a b": {} }), 0)).path).toBe('linux.netDevices["a b"]');
    expect(thrown(() => netDeviceMoves(spec({ eth1: { name: "x".repeat(16) } }), 0)).path).toBe('linux.netDevices["eth1"].name');
  });

  it("refuses two devices with the same name in the container, unless it is a template", () => {
    const e = thrown(() => netDeviceMoves(spec({ eth1: { name: "c0" }, eth2: { name: "c0" } }), 0));
    expect(e.path).toBe('linux.netDevices["eth2"].name');
    expect(e.message).toMatch(/"eth1" has the same name in the container/);
    expect(netDeviceMoves(spec({ eth1: { name: "c%d" }, eth2: { name: "c%d" } }), 0)).toHaveLength(2);
  });

  it("needs a network namespace of the container's own, and root", () => {
    expect(thrown(() => netDeviceMoves(spec({ eth1: {} }, [{ type: "pid" }]), 0)).message).toMatch(
      /^build plan linux\.netDevices: network devices can only be moved into a network namespace of the container's own/,
    );
    expect(thrown(() => netDeviceMoves(spec({ eth1: {} }, [{ type: "network", path: "/proc/self/ns/net" }]), 0)).message).toMatch(
      /is berth's own/,
    );
    expect(netDeviceMoves(spec({ eth1: {} }, [{ type: "network", path: "/nonexistent/ns" }]), 0)).toHaveLength(1);
    expect(thrown(() => netDeviceMoves(spec({ eth1: {} }), 1000)).message).toMatch(/needs root/);
  });
});
