import { describe, expect, it } from "vitest";
import { NAMESPACES, isNamespaceKnown, namespaceInfo, namespacePathsOf, namespaceTypes } from "./namespaces.js";

describe("namespaces table", () => {
  it("maps spec types to CLONE_NEW* flags and /proc/<pid>/ns names", () => {
    expect(NAMESPACES.pid).toEqual({ flag: 0x20000000, procName: "pid" });
    expect(NAMESPACES.network).toEqual({ flag: 0x40000000, procName: "net" });
    expect(NAMESPACES.mount).toEqual({ flag: 0x00020000, procName: "mnt" });
    expect(NAMESPACES.ipc).toEqual({ flag: 0x08000000, procName: "ipc" });
    expect(NAMESPACES.uts).toEqual({ flag: 0x04000000, procName: "uts" });
    expect(NAMESPACES.user).toEqual({ flag: 0x10000000, procName: "user" });
    expect(NAMESPACES.cgroup).toEqual({ flag: 0x02000000, procName: "cgroup" });
    expect(NAMESPACES.time).toEqual({ flag: 0x00000080, procName: "time" });
  });

  it("lists types sorted and rejects unknown ones with the JSON path", () => {
    expect(namespaceTypes()).toEqual(["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"]);
    expect(isNamespaceKnown("net")).toBe(false);
    expect(() => namespaceInfo("net", "linux.namespaces[1].type")).toThrowError(
      /linux\.namespaces\[1\]\.type.*unknown namespace type "net"/,
    );
  });

  it("derives the /proc paths exec joins", () => {
    expect(namespacePathsOf([{ type: "pid" }, { type: "network" }, { type: "mount" }, { type: "pid" }], 42)).toEqual([
      { type: "pid", path: "/proc/42/ns/pid" },
      { type: "network", path: "/proc/42/ns/net" },
      { type: "mount", path: "/proc/42/ns/mnt" },
    ]);
  });
});
