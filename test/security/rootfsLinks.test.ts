// A crafted image cannot redirect what berth mounts or masks through links in its rootfs.
// F2: a rootfs whose /proc is a symlink had procfs mounted wherever it pointed (at /sys,
//     procfs was hidden and the masks skipped); proc and sysfs now go on ordinary
//     directories only, and are checked to still be there before the masks.
// /dev/null that is a symlink (to /proc/keys) or a regular file was bound as the mask of
//     every masked file (CVE-2025-31133 class): the mask source must be the null device.
// /dev/console that is a symlink was followed, binding the pty over its target
//     (CVE-2025-52565 class).

import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { Sandbox, type Bundle } from "../helpers/index.js";
import { needs } from "../helpers/host.js";
import { buildTools, startRecvtty } from "../tools/tools.js";

needs("containers", "berth").describe("security: links in the rootfs", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  const refused = (b: Bundle, re: RegExp, extra: string[] = []): Promise<string> => sb.refuseCreate(b, re, extra);

  it("a /proc that is a symlink (to /sys) is refused: proc goes on an ordinary directory", async () => {
    const b = sb.bundle({ args: ["true"] });
    rmSync(b.inRootfs("/proc"), { recursive: true, force: true });
    symlinkSync("sys", b.inRootfs("/proc"));
    await refused(b, /proc must be mounted on an ordinary directory, but \\?"\/proc\\?" in the rootfs is or passes through a symlink/);
  });

  it("a /proc reached through a symlinked parent directory is refused too", async () => {
    const b = sb.bundle({
      args: ["true"],
      edit: (c) => {
        c.mounts!.find((m) => m.destination === "/proc")!.destination = "/mnt/proc";
      },
    });
    symlinkSync("tmp", b.inRootfs("/mnt"));
    await refused(b, /proc must be mounted on an ordinary directory, but \\?"\/mnt\/proc\\?"/);
  });

  // Without a /dev tmpfs in the config, /dev comes from the image.
  function imageDev(edit: (b: Bundle) => void): Bundle {
    const b = sb.bundle({
      args: ["sh", "-c", "cat /proc/kcore | head -c 10 | wc -c"],
      edit: (c) => {
        c.mounts = c.mounts!.filter((m) => m.destination !== "/dev");
      },
    });
    edit(b);
    return b;
  }

  it("a /dev/null that is a symlink to /proc/keys is never used to mask", async () => {
    const b = imageDev((x) => {
      if (existsSync(x.inRootfs("/dev/null"))) unlinkSync(x.inRootfs("/dev/null"));
      symlinkSync("/proc/keys", x.inRootfs("/dev/null"));
    });
    await refused(b, /\/dev\/null\\?" \(without symlinks\) as the source of masks: too many levels of symbolic links/);
  });

  it("a /dev/null that is a regular file is never used to mask", async () => {
    const b = imageDev((x) => {
      if (existsSync(x.inRootfs("/dev/null"))) unlinkSync(x.inRootfs("/dev/null"));
      writeFileSync(x.inRootfs("/dev/null"), "not the null device\n");
    });
    await refused(b, /\/dev\/null\\?" in the container is not the null device \(char 1:3\)/);
  });

  needs("cc").it("a /dev/console that is a symlink is not followed", async () => {
    const b = imageDev((x) => {
      writeFileSync(x.inRootfs("/etc/target"), "untouched\n");
      symlinkSync("/etc/target", x.inRootfs("/dev/console"));
    });
    b.config.process!.terminal = true;
    b.write();
    const tools = buildTools(["recvtty"]);
    const dir = mkdtempSync("/tmp/berth-test-console-");
    try {
      const rt = await startRecvtty(tools.path("recvtty"), dir, { mode: "discard", timeoutSec: 10 });
      try {
        await refused(b, /\\?"\/dev\/console\\?" in the container is a symlink; refusing to follow it/, ["--console-socket", rt.socket]);
      } finally {
        rt.kill();
      }
    } finally {
      tools.remove();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(readFileSync(join(b.rootfs, "etc/target"), "utf8")).toBe("untouched\n");
  });
});
