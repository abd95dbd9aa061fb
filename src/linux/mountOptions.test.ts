import { describe, expect, it } from "vitest";
import {
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_RELATIME,
  MS_SHARED,
  MS_SLAVE,
  MS_STRICTATIME,
  MS_UNBINDABLE,
  MOUNT_ATTR_IDMAP,
  MOUNT_ATTR_NOATIME,
  MOUNT_ATTR_NODEV,
  MOUNT_ATTR_NODIRATIME,
  MOUNT_ATTR_NOEXEC,
  MOUNT_ATTR_NOSUID,
  MOUNT_ATTR_NOSYMFOLLOW,
  MOUNT_ATTR_RDONLY,
  MOUNT_ATTR_STRICTATIME,
  MOUNT_ATTR__ATIME,
  isMountOptionKnown,
  isMountOptionSupported,
  mountOptionKind,
  parseMountOptions,
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
    expect(parseMountOptions(["nosuid", "noexec", "nodev", "ro"]).flags).toBe(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
    expect(parseMountOptions(["ro", "rw"]).flags).toBe(0);
    expect(parseMountOptions(["rw", "ro"]).flags).toBe(MS_RDONLY);
    expect(parseMountOptions(["nosuid", "suid", "nodev"]).flags).toBe(MS_NODEV);
    expect(parseMountOptions(["rbind"]).flags).toBe(MS_BIND | MS_REC);
    expect(parseMountOptions(["defaults"]).flags).toBe(0);
  });

  it("collects propagation options in order, apart from the flags", () => {
    const p = parseMountOptions(["rbind", "rprivate", "slave", "runbindable"]);
    expect(p.flags).toBe(MS_BIND | MS_REC);
    expect(p.propagation).toEqual([MS_PRIVATE | MS_REC, MS_SLAVE, MS_UNBINDABLE | MS_REC]);
    expect(parseMountOptions(["rshared"]).propagation).toEqual([MS_SHARED | MS_REC]);
  });

  it("passes everything else through as filesystem data", () => {
    const p = parseMountOptions(["nosuid", "strictatime", "mode=755", "size=65536k"]);
    expect(p.flags).toBe(MS_NOSUID | MS_STRICTATIME);
    expect(p.data).toBe("mode=755,size=65536k");
    expect(parseMountOptions(["newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]).data).toBe(
      "newinstance,ptmxmode=0666,mode=0620,gid=5",
    );
    expect(parseMountOptions(undefined)).toEqual({ flags: 0, propagation: [], data: "", copyUp: false });
    expect(parseMountOptions(["tmpcopyup", "size=1m"])).toEqual({ flags: 0, propagation: [], data: "size=1m", copyUp: true });
  });

  it("has the kernel's mount_setattr attribute values", () => {
    expect([MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC]).toEqual([1, 2, 4, 8]);
    expect([MOUNT_ATTR__ATIME, MOUNT_ATTR_NOATIME, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR_NODIRATIME]).toEqual([0x70, 0x10, 0x20, 0x80]);
    expect([MOUNT_ATTR_IDMAP, MOUNT_ATTR_NOSYMFOLLOW]).toEqual([0x100000, 0x200000]);
  });

  it("turns recursive options into set/clear masks, later options winning", () => {
    const rec = (opts: string[]): unknown => parseMountOptions(opts).recursive;
    expect(rec(["ro", "nosuid"])).toBeUndefined();
    expect(rec(["rro"])).toEqual({ set: MOUNT_ATTR_RDONLY, clear: 0 });
    expect(rec(["rrw"])).toEqual({ set: 0, clear: MOUNT_ATTR_RDONLY });
    expect(rec(["rro", "rrw"])).toEqual({ set: 0, clear: MOUNT_ATTR_RDONLY });
    expect(rec(["rrw", "rro"])).toEqual({ set: MOUNT_ATTR_RDONLY, clear: 0 });
    expect(rec(["rnosuid", "rnodev", "rnoexec", "rnodiratime", "rnosymfollow"])).toEqual({
      set: MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW,
      clear: 0,
    });
    expect(rec(["rsuid", "rdev", "rexec", "rdiratime", "rsymfollow"])).toEqual({
      set: 0,
      clear: MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW,
    });
    // the atime mode is one field: each option sets all of it, with MOUNT_ATTR__ATIME cleared
    expect(rec(["rnoatime"])).toEqual({ set: MOUNT_ATTR_NOATIME, clear: MOUNT_ATTR__ATIME });
    expect(rec(["rstrictatime"])).toEqual({ set: MOUNT_ATTR_STRICTATIME, clear: MOUNT_ATTR__ATIME });
    expect(rec(["rrelatime"])).toEqual({ set: 0, clear: MOUNT_ATTR__ATIME });
    expect(rec(["rnoatime", "ratime"])).toEqual({ set: 0, clear: MOUNT_ATTR__ATIME });
    expect(rec(["rstrictatime", "rnostrictatime"])).toEqual({ set: 0, clear: MOUNT_ATTR__ATIME });
    expect(rec(["rnorelatime"])).toEqual({ set: MOUNT_ATTR_STRICTATIME, clear: MOUNT_ATTR__ATIME });
    expect(rec(["rro", "rnoatime", "rstrictatime"])).toEqual({ set: MOUNT_ATTR_RDONLY | MOUNT_ATTR_STRICTATIME, clear: MOUNT_ATTR__ATIME });
    // recursive options never reach the filesystem data, nor the mount(2) flags
    const p = parseMountOptions(["rbind", "rro", "size=1m"]);
    expect(p.flags).toBe(MS_BIND | MS_REC);
    expect(p.data).toBe("size=1m");
  });

  it("marks idmap and ridmap, the last one winning", () => {
    expect(parseMountOptions(["rbind", "idmap"]).idmap).toEqual({ recursive: false, index: 1 });
    expect(parseMountOptions(["ridmap", "rbind"]).idmap).toEqual({ recursive: true, index: 0 });
    expect(parseMountOptions(["ridmap", "idmap"]).idmap).toEqual({ recursive: false, index: 1 });
    expect(parseMountOptions(["idmap"]).data).toBe("");
    expect(parseMountOptions(["bind"]).idmap).toBeUndefined();
  });

  it("classifies options for the validator and features", () => {
    expect(mountOptionKind("ro")).toBe("flag");
    expect(mountOptionKind("rslave")).toBe("propagation");
    expect(mountOptionKind("rnosuid")).toBe("recursive");
    expect(mountOptionKind("tmpcopyup")).toBe("copyup");
    expect(mountOptionKind("idmap")).toBe("idmap");
    expect(mountOptionKind("mode=755")).toBe("data");
    expect(isMountOptionKnown("rro")).toBe(true);
    expect(isMountOptionSupported("rro")).toBe(true);
    expect(isMountOptionKnown("size=1m")).toBe(false);
    const list = supportedMountOptions();
    expect(list).toContain("bind");
    expect(list).toContain("rprivate");
    expect(list).toContain("rro");
    expect(list).toContain("ridmap");
    expect(list).toContain("tmpcopyup");
    expect([...list].sort()).toEqual(list);
  });
});
