// A config without a mount namespace (runc's chroot mode; runtime-tools
// linux_ns_itype): the container shares berth's namespaces, its mounts are made
// below the rootfs on the host, and delete removes exactly those mounts.

import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readlinkSync } from "node:fs";
import { afterAll, expect } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult } from "../helpers/index.js";

function mountsBelow(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((mp) => mp === dir || mp.startsWith(dir + "/"));
}

needs("containers").describe("lifecycle: no mount namespace", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  // runc 1.1 leaves these mounts on the host after delete.
  needs("berth").it("runs chrooted in berth's namespaces and delete removes its mounts but not ones that were there before", async () => {
    const b = sb.bundle({
      args: ["sh", "-c", "readlink /proc/self/ns/net > /tmp/net; ls / > /tmp/ls; sleep 30"],
      edit: (c) => {
        c.linux!.namespaces = [];
        delete c.hostname;
        c.linux!.maskedPaths = [];
        c.linux!.readonlyPaths = [];
        c.root!.readonly = false;
      },
    });
    // A mount that belongs to someone else (as a rootfs mounted by containerd would).
    const pre = `${b.rootfs}/mnt-pre`;
    mkdirSync(pre);
    execFileSync("mount", ["-t", "tmpfs", "berth-test-pre", pre]);
    try {
      const id = sb.id();
      sb.create(id, b);
      expect(mountsBelow(b.rootfs).length).toBeGreaterThan(1);
      sb.ok(["start", id]);
      const net = await sb.waitFile(b.inRootfs("/tmp/net"), "net:");
      expect(net.trim()).toBe(readlinkSync("/proc/self/ns/net"));
      expect(await sb.waitFile(b.inRootfs("/tmp/ls"), "proc")).toMatch(/^bin$/m);
      // exec joins it inside the rootfs too
      const ex = sb.rt(["exec", id, "sh", "-c", "test -f /tmp/ls && echo inside"]);
      expect(ex.stdout.trim(), describeResult(ex)).toBe("inside");
      sb.ok(["delete", "--force", id]);
      expect(mountsBelow(b.rootfs)).toEqual([pre]);
    } finally {
      execFileSync("umount", [pre]);
    }
  });

  needs("berth").it("refuses root.readonly without a mount namespace, naming the field", () => {
    const b = sb.bundle({
      edit: (c) => {
        c.linux!.namespaces = [];
        delete c.hostname;
        c.linux!.maskedPaths = [];
        c.linux!.readonlyPaths = [];
        c.root!.readonly = true;
      },
    });
    const r = sb.rt(["create", "--bundle", b.dir, sb.id()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/root\.readonly/);
    expect(mountsBelow(b.rootfs)).toEqual([]);
  });
});
