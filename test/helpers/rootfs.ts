// A minimal busybox root filesystem for test containers: /bin/busybox, one
// symlink per applet, /etc/passwd and /etc/group with root and nobody, and the
// empty directories runtimes mount onto.

import { execFileSync } from "node:child_process";
import { constants, copyFileSync, chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUSYBOX } from "./env.js";

let appletCache: string[] | undefined;

/** The applet list of the busybox binary, with their install directories ("/bin/sh", "/sbin/init" …). */
export function busyboxApplets(): string[] {
  if (appletCache === undefined) {
    const out = execFileSync(BUSYBOX, ["--list-full"], { encoding: "utf8" });
    appletCache = out
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .map((l) => "/" + l);
  }
  return appletCache;
}

export const PASSWD = ["root:x:0:0:root:/root:/bin/sh", "nobody:x:65534:65534:nobody:/nonexistent:/bin/false", ""].join("\n");

export const GROUP = ["root:x:0:", "nobody:x:65534:", ""].join("\n");

/**
 * Build a busybox rootfs in `dir` (created if needed). busybox is copied (a
 * reflink where the file system allows), never hard-linked: a container with a
 * writable root must not be able to change the host's binary. Returns `dir`.
 */
export function makeRootfs(dir: string): string {
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root", "run", "var"]) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  chmodSync(join(dir, "tmp"), 0o1777);
  const target = join(dir, "bin", "busybox");
  if (!existsSync(target)) {
    copyFileSync(BUSYBOX, target, constants.COPYFILE_FICLONE);
    chmodSync(target, 0o755);
  }
  for (const applet of busyboxApplets()) {
    if (applet === "/bin/busybox") continue;
    try {
      symlinkSync("/bin/busybox", join(dir, applet));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  writeFileSync(join(dir, "etc", "passwd"), PASSWD);
  writeFileSync(join(dir, "etc", "group"), GROUP);
  writeFileSync(join(dir, "etc", "hostname"), "berth-test\n");
  return dir;
}
