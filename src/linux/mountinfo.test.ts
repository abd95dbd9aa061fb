import { describe, expect, it } from "vitest";
import { mountsUnder } from "./mountinfo.js";

const INFO = [
  "22 1 0:21 / /proc rw - proc proc rw",
  "40 1 254:0 / /b/rootfs/proc rw - proc proc rw",
  "41 1 0:30 / /b/rootfs/dev rw - tmpfs tmpfs rw",
  "42 41 0:31 / /b/rootfs/dev/pts rw - devpts devpts rw",
  "43 1 0:32 / /b/rootfs2/x rw - tmpfs tmpfs rw",
  "44 1 0:33 / /b/rootfs/with\\040space rw - tmpfs tmpfs rw",
].join("\n");

describe("mountsUnder", () => {
  it("lists the mounts below a directory, last mounted first, and not its siblings", () => {
    expect(mountsUnder("/b/rootfs", INFO).map((m) => m.mountPoint)).toEqual([
      "/b/rootfs/with space",
      "/b/rootfs/dev/pts",
      "/b/rootfs/dev",
      "/b/rootfs/proc",
    ]);
    expect(mountsUnder("/b/rootfs", INFO).map((m) => m.id)).toEqual([44, 42, 41, 40]);
    expect(mountsUnder("/b/rootfs/", INFO)).toHaveLength(4);
  });
});
