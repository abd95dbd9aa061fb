import { describe, expect, it } from "vitest";
import { sections } from "./harness.js";
import {
  maskControllersUnknownToRunc,
  mountPoints,
  normaliseMountLine,
  normaliseTty,
  nsDisposition,
  parseNsLinks,
  parseStatus,
  parseUlimit,
} from "./normalise.js";

describe("normalising container output", () => {
  it("drops ids and device numbers from mountinfo and keeps the propagation kind", () => {
    const a = "412 398 0:52 / /dev rw,nosuid shared:201 master:3 - tmpfs tmpfs rw,size=65536k,mode=755,inode64";
    const b = "977 960 0:61 / /dev rw,nosuid master:9 shared:17 - tmpfs tmpfs rw,size=65536k,mode=755,inode64";
    expect(normaliseMountLine(a)).toBe("/dev tmpfs tmpfs / rw,nosuid master,shared rw,size=65536k,mode=755,inode64");
    expect(normaliseMountLine(a)).toBe(normaliseMountLine(b));
    expect(normaliseMountLine("30 25 0:26 / /proc rw,relatime - proc proc rw")).toBe("/proc proc proc / rw,relatime - rw");
    expect(mountPoints(["1 0 8:1 /x / rw - ext4 /dev/sda1 rw", "2 1 0:5 / /proc rw - proc proc rw"])).toEqual(["/", "/proc"]);
  });

  it("leaves the cgroup path of controllers runc 1.1 does not know out of the comparison", () => {
    const misc = "/sys/fs/cgroup/misc cgroup cgroup /berth-x ro,nosuid master rw,misc";
    const cpu = "/sys/fs/cgroup/cpu cgroup cgroup /berth-x ro,nosuid master rw,cpu";
    expect(maskControllersUnknownToRunc([misc, cpu])).toEqual([
      "/sys/fs/cgroup/misc cgroup cgroup <not compared> ro,nosuid master rw,misc",
      cpu,
    ]);
  });

  it("classifies namespaces as shared with the host or new", () => {
    const host = { net: "net:[1]", pid: "pid:[2]", uts: "uts:[3]" };
    const c = parseNsLinks(["net net:[1]", "pid pid:[9]", "uts uts:[8]"]);
    expect(nsDisposition(c, host)).toEqual({ net: "host", pid: "new", uts: "new" });
  });

  it("parses status lines, ulimit -a and probe sections", () => {
    expect(parseStatus(["CapEff:\t00000000a80425fb", "NoNewPrivs:\t1"])).toEqual({ CapEff: "00000000a80425fb", NoNewPrivs: "1" });
    expect(parseUlimit(["open files                      (-n) 1024", "core file size (blocks)         (-c) 0"])).toEqual({
      "-n": "1024",
      "-c": "0",
    });
    expect(sections("junk\n@@ a\n1\n2\n@@ b\n\n3\n")).toEqual({ a: ["1", "2"], b: ["3"] });
    expect(normaliseTty("x\r\ny\r\n\r\n")).toBe("x\ny");
  });
});

describe("runtime log lines", () => {
  it("are removed from stderr, container output is kept", async () => {
    const { withoutRuntimeLog } = await import("./harness.js");
    const text = 'time="2026-01-01T00:00:00Z" level=warning msg="x"\nerr\n';
    expect(withoutRuntimeLog(text)).toBe("err\n");
  });
});
