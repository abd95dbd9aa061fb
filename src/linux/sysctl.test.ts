import { describe, expect, it } from "vitest";
import { sysctlKeyToPath } from "./sysctl.js";

describe("sysctlKeyToPath", () => {
  it("turns dots into path separators", () => {
    expect(sysctlKeyToPath("net.ipv4.ip_forward", "k")).toBe("net/ipv4/ip_forward");
    expect(sysctlKeyToPath("kernel.shmmax", "k")).toBe("kernel/shmmax");
  });
  it("treats a slash as a literal dot, as sysctl(8) does", () => {
    expect(sysctlKeyToPath("net.ipv4.conf.eth0/100.rp_filter", "k")).toBe("net/ipv4/conf/eth0.100/rp_filter");
  });
  it("rejects keys that would leave /proc/sys", () => {
    expect(() => sysctlKeyToPath("net.//.//.x", "linux.sysctl.bad")).toThrowError(/linux\.sysctl\.bad/);
    expect(() => sysctlKeyToPath("net..x", "k")).toThrowError(/invalid sysctl key/);
    expect(() => sysctlKeyToPath("", "k")).toThrowError(/invalid sysctl key/);
  });
});

describe("sysctl keys in path form", () => {
  it("takes a key whose first separator is a slash as a path", () => {
    expect(sysctlKeyToPath("net/core/somaxconn", "k")).toBe("net/core/somaxconn");
    expect(sysctlKeyToPath("net/ipv4/conf/eth0.100/rp_filter", "k")).toBe("net/ipv4/conf/eth0.100/rp_filter");
  });
});
