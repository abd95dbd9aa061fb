import { describe, expect, it } from "vitest";
import {
  MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_RELATIME, MS_SHARED, MS_SLAVE,
  MS_STRICTATIME, MS_UNBINDABLE, isMountOptionKnown, isMountOptionSupported, mountOptionKind, parseMountOptions,
  supportedMountOptions,
} from "./mountOptions.js";

describe("mount options", () => {
  it("has the kernel's flag values", () => {
    expect([MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC]).toEqual([1, 2, 4, 8, 4096, 16384]);
    expect([MS_UNBINDABLE, MS_PRIVATE, MS_SLAVE, MS_SHARED]).toEqual([1 << 17, 1 << 18, 1 << 19, 1 << 20]);
    expect(MS_RELATIME).toBe(1 << 21);
    expect(MS_STRICTATIME).toBe(1 << 24);
  });

  it("sets and clears flags in order, later options winning", () => {
    expect(parseMountOptions(["nosuid", "noexec", "nodev", "ro"], "m").flags).toBe(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
    expect(parseMountOptions(["ro", "rw"], "m").flags).toBe(0);
    expect(parseMountOptions(["rw", "ro"], "m").flags).toBe(MS_RDONLY);
    expect(parseMountOptions(["nosuid", "suid", "nodev"], "m").flags).toBe(MS_NODEV);
    expect(parseMountOptions(["rbind"], "m").flags).toBe(MS_BIND | MS_REC);
    expect(parseMountOptions(["defaults"], "m").flags).toBe(0);
  });

  it("collects propagation options in order, apart from the flags", () => {
    const p = parseMountOptions(["rbind", "rprivate", "slave", "runbindable"], "m");
    expect(p.flags).toBe(MS_BIND | MS_REC);
    expect(p.propagation).toEqual([MS_PRIVATE | MS_REC, MS_SLAVE, MS_UNBINDABLE | MS_REC]);
    expect(parseMountOptions(["rshared"], "m").propagation).toEqual([MS_SHARED | MS_REC]);
  });

  it("passes everything else through as filesystem data", () => {
    const p = parseMountOptions(["nosuid", "strictatime", "mode=755", "size=65536k"], "m");
    expect(p.flags).toBe(MS_NOSUID | MS_STRICTATIME);
    expect(p.data).toBe("mode=755,size=65536k");
    expect(parseMountOptions(["newinstance", "ptmxmode=0666", "mode=0620", "gid=5"], "m").data)
      .toBe("newinstance,ptmxmode=0666,mode=0620,gid=5");
    expect(parseMountOptions(undefined, "m")).toEqual({ flags: 0, propagation: [], data: "", copyUp: false });
    expect(parseMountOptions(["tmpcopyup", "size=1m"], "m")).toEqual({ flags: 0, propagation: [], data: "size=1m", copyUp: true });
  });

  it("rejects recognised but unsupported options at their JSON path", () => {
    expect(() => parseMountOptions(["nosuid", "rro"], "mounts[2].options")).toThrowError(/mounts\[2\]\.options\[1\].*rro/);
    expect(() => parseMountOptions(["idmap"], "x")).toThrowError(/idmap/);
    expect(() => parseMountOptions(["ridmap"], "x")).toThrowError(/ridmap/);
  });

  it("classifies options for the validator and features", () => {
    expect(mountOptionKind("ro")).toBe("flag");
    expect(mountOptionKind("rslave")).toBe("propagation");
    expect(mountOptionKind("rnosuid")).toBe("recursive");
    expect(mountOptionKind("tmpcopyup")).toBe("copyup");
    expect(mountOptionKind("idmap")).toBe("extension");
    expect(mountOptionKind("mode=755")).toBe("data");
    expect(isMountOptionKnown("rro")).toBe(true);
    expect(isMountOptionSupported("rro")).toBe(false);
    expect(isMountOptionKnown("size=1m")).toBe(false);
    const list = supportedMountOptions();
    expect(list).toContain("bind");
    expect(list).toContain("rprivate");
    expect(list).not.toContain("rro");
    expect(list).toContain("tmpcopyup");
    expect([...list].sort()).toEqual(list);
  });
});
