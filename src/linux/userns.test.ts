import { describe, expect, it } from "vitest";
import { outerId, outerUid, rootlessCgroups, systemdInstance, runningInUserNs, xdgStateRoot } from "./userns.js";

const host = (euid: number, inUserNs: boolean, outer = euid) => ({ euid: () => euid, inUserNs: () => inUserNs, outerUid: () => outer });

describe("rootless detection (runc's rules)", () => {
  it("recognises the initial user namespace's map", () => {
    expect(runningInUserNs(() => "         0          0 4294967295\n")).toBe(false);
    expect(runningInUserNs(() => "0 1000 1\n")).toBe(true);
    expect(
      runningInUserNs(() => {
        throw new Error("x");
      }),
    ).toBe(false);
  });

  it("--rootless true/false win; auto: a non-root euid, or root in a user namespace with cgroupfs", () => {
    expect(rootlessCgroups("true", false, host(0, false))).toBe(true);
    expect(rootlessCgroups("false", false, host(1000, false))).toBe(false);
    expect(rootlessCgroups("auto", false, host(1000, false))).toBe(true);
    expect(rootlessCgroups(undefined, false, host(0, false))).toBe(false);
    expect(rootlessCgroups("auto", false, host(0, true))).toBe(true);
    // root in a user namespace under the systemd driver: the system instance, so not rootless
    expect(rootlessCgroups("auto", true, host(0, true))).toBe(false);
  });

  it("the systemd driver: root drives the system instance, another user its own instance, on cgroup v2 only", () => {
    const v2 = () => "v2";
    expect(systemdInstance(false, v2, host(1000, false))).toBeUndefined();
    expect(systemdInstance(true, v2, host(0, false))).toBe("system");
    expect(systemdInstance(true, v2, host(0, true))).toBe("system");
    expect(systemdInstance(true, v2, host(1000, false))).toBe("user");
    expect(() => systemdInstance(true, () => "hybrid", host(1000, false))).toThrow(/--systemd-cgroup.*needs cgroup v2/);
    // root in a user namespace owned by uid 1000 (rootless podman's runtime): that user's instance
    expect(systemdInstance(true, v2, host(0, true, 1000))).toBe("user");
    // root needs no v2 (the system instance manages v1 hierarchies too), and the layout is not even read
    expect(
      systemdInstance(
        true,
        () => {
          throw new Error("not read");
        },
        host(0, false),
      ),
    ).toBe("system");
  });

  it("translates an id through a uid_map to the parent namespace", () => {
    expect(outerId(0, "         0       1000          1\n")).toBe(1000);
    expect(outerId(5, "0 1000 1\n1 1300000 65536\n")).toBe(1300004);
    expect(outerId(70000, "0 1000 1\n1 1300000 65536\n")).toBeUndefined();
    expect(outerId(1000, "0 0 4294967295\n")).toBe(1000);
    const self = process.getuid?.() ?? 0;
    expect(outerUid(() => `${self} 4242 1\n`)).toBe(4242);
    expect(
      outerUid(() => {
        throw new Error("no /proc");
      }),
    ).toBe(self);
  });

  it("state root: $XDG_RUNTIME_DIR/berth for a non-root euid, or root in a user namespace unless USER=root", () => {
    expect(xdgStateRoot({ XDG_RUNTIME_DIR: "/run/user/1000" }, host(1000, false))).toBe("/run/user/1000/berth");
    expect(xdgStateRoot({}, host(1000, false))).toBeUndefined();
    expect(xdgStateRoot({ XDG_RUNTIME_DIR: "" }, host(1000, false))).toBeUndefined();
    expect(xdgStateRoot({ XDG_RUNTIME_DIR: "/run/user/0" }, host(0, false))).toBeUndefined();
    expect(xdgStateRoot({ XDG_RUNTIME_DIR: "/run/user/1000" }, host(0, true))).toBe("/run/user/1000/berth");
    expect(xdgStateRoot({ XDG_RUNTIME_DIR: "/run/user/0", USER: "root" }, host(0, true))).toBeUndefined();
  });
});
