// Recursive mount attributes (runtime-spec config.md: rro, rnosuid, rnoexec, rnoatime, …,
// mount_setattr(2) with AT_RECURSIVE): they reach every mount of an rbind's tree, where the
// plain options (ro, nosuid, …) leave the submounts as they are. Checked from inside: a
// write to the submount fails with EROFS under rro and succeeds under ro; a script on the
// submount does not run under rnoexec; mountinfo shows the flags on both mounts.

import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Spec } from "../../src/spec/types.js";
import { needs } from "../helpers/host.js";
import { Sandbox } from "../helpers/index.js";

needs("containers").describe("mounts: recursive attributes", () => {
  const sb = new Sandbox();
  let src = "";
  beforeAll(() => {
    // a directory with a submount (a tmpfs) and a script on each
    const top = mkdtempSync("/tmp/berth-test-rattr-");
    src = join(top, "src");
    mkdirSync(join(src, "sub"), { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "berth-test-rattr", join(src, "sub")]);
    for (const dir of [src, join(src, "sub")]) {
      writeFileSync(join(dir, "run.sh"), "#!/bin/sh\necho ran\n");
      chmodSync(join(dir, "run.sh"), 0o755);
    }
  });
  afterAll(async () => {
    await sb.cleanup();
    if (src !== "") {
      execFileSync("umount", [join(src, "sub")]);
      rmSync(join(src, ".."), { recursive: true, force: true });
    }
  });

  const withData =
    (options: string[], script: string) =>
    (c: Spec): void => {
      c.process!.args = ["sh", "-c", script];
      c.mounts!.push({ destination: "/data", type: "bind", source: src, options: ["rbind", ...options] });
    };
  const TRY_WRITES = 'for d in /data /data/sub; do touch $d/w 2>&1 && echo "$d writable"; rm -f $d/w; done';

  it("rro makes the submount read-only too (EROFS)", () => {
    const r = sb.ok(["run", "--bundle", sb.bundle({ edit: withData(["rro"], TRY_WRITES) }).dir, sb.id("rro")]);
    expect(r.stdout).toBe("touch: /data/w: Read-only file system\ntouch: /data/sub/w: Read-only file system\n");
  });

  it("plain ro leaves the submount writable", () => {
    const r = sb.ok(["run", "--bundle", sb.bundle({ edit: withData(["ro"], TRY_WRITES) }).dir, sb.id("ro")]);
    expect(r.stdout).toBe("touch: /data/w: Read-only file system\n/data/sub writable\n");
  });

  needs("berth").it("rrw after ro gives back write access to the top mount; the options apply in order", () => {
    const r = sb.ok(["run", "--bundle", sb.bundle({ edit: withData(["ro", "rrw"], TRY_WRITES) }).dir, sb.id("rrw")]);
    expect(r.stdout).toBe("/data writable\n/data/sub writable\n");
  });

  needs("berth").it("rnoexec and rnosuid reach the submount: its script does not run, mountinfo shows the flags", () => {
    const script = "/data/run.sh; /data/sub/run.sh; grep -E ' /data(/sub)? ' /proc/self/mountinfo | cut -d' ' -f5,6";
    const r = sb.rt(["run", "--bundle", sb.bundle({ edit: withData(["rnoexec", "rnosuid", "rnoatime"], script) }).dir, sb.id("rnoexec")]);
    expect(r.stderr).toContain("/data/run.sh: Permission denied");
    expect(r.stderr).toContain("/data/sub/run.sh: Permission denied");
    expect(r.stdout).not.toContain("ran");
    const lines = r.stdout.trim().split("\n");
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["/data", "/data/sub"]);
    for (const l of lines) expect(l.split(" ")[1]!.split(",")).toEqual(expect.arrayContaining(["rw", "nosuid", "noexec", "noatime"]));
  });

  it("plain noexec leaves the submount's script runnable", () => {
    const r = sb.rt(["run", "--bundle", sb.bundle({ edit: withData(["noexec"], "/data/run.sh; /data/sub/run.sh") }).dir, sb.id("noexec")]);
    expect(r.stderr).toContain("/data/run.sh: Permission denied");
    expect(r.stdout).toBe("ran\n");
  });

  needs("berth").it("apply to a tmpfs as well, and the host's mounts are left as they were", () => {
    const b = sb.bundle({
      edit: (c) => {
        c.process!.args = ["sh", "-c", "grep ' /scratch ' /proc/self/mountinfo | cut -d' ' -f6"];
        c.mounts!.push({ destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m", "rro", "rnodev"] });
      },
    });
    const r = sb.ok(["run", "--bundle", b.dir, sb.id("rtmpfs")]);
    expect(r.stdout.trim().split(",")).toEqual(expect.arrayContaining(["ro", "nodev"]));
    const host = readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .find((l) => l.includes(` ${join(src, "sub")} `));
    expect(host?.split(" ")[5]).toMatch(/^rw/);
    expect(existsSync(join(src, "sub", "w"))).toBe(false);
  });
});
