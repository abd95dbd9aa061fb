// Whether this kernel can idmap a bind mount of a directory on the filesystem of `dir`:
// the host check behind the "idmapped-mounts" requirement. It does by hand what berth-init
// does: a process in a new user namespace with a one-line mapping, then open_tree
// (OPEN_TREE_CLONE) of a scratch directory and mount_setattr(MOUNT_ATTR_IDMAP) on the
// detached tree, which is dropped again when its fd is closed. x86-64 system call numbers.

import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readlinkSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadKoffi, type Koffi } from "../../src/linux/koffi.js";

const SYS_OPEN_TREE = 428;
const SYS_MOUNT_SETATTR = 442;
const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const OPEN_TREE_CLONE = 1;
const OPEN_TREE_CLOEXEC = 0o2000000;
const MOUNT_ATTR_IDMAP = 0x100000;

/** Block the thread for `ms` (the check is synchronous, as every host check is). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Why an idmapped bind mount of a directory under `dir` cannot be made here, or undefined. */
export function idmappedMountsMissing(dir: string): string | undefined {
  if (process.arch !== "x64") return `the probe knows the system call numbers of x86-64 only (this is ${process.arch})`;
  let koffi: Koffi;
  try {
    koffi = loadKoffi();
  } catch (err) {
    return `cannot load koffi: ${String(err)}`;
  }
  const syscall = koffi.load("libc.so.6").func("long syscall(long nr, long a, const char *b, long c, void *d, long e)");
  const scratch = mkdtempSync(join(dir, "berth-test-idmap-probe-"));
  const holder = spawn("unshare", ["--user", "sleep", "60"], { stdio: "ignore" });
  const fds: number[] = [];
  try {
    const self = readlinkSync("/proc/self/ns/user");
    let ready = false;
    for (let i = 0; i < 500 && !ready && holder.exitCode === null; i++) {
      try {
        ready = readlinkSync(`/proc/${holder.pid}/ns/user`) !== self;
      } catch {
        /* not there yet */
      }
      if (!ready) pause(10);
    }
    if (!ready) return "unshare --user did not make a user namespace";
    writeFileSync(`/proc/${holder.pid}/uid_map`, "0 100000 1\n");
    writeFileSync(`/proc/${holder.pid}/gid_map`, "0 100000 1\n");
    const userns = openSync(`/proc/${holder.pid}/ns/user`, "r");
    fds.push(userns);
    const tree = syscall(SYS_OPEN_TREE, AT_FDCWD, scratch, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC, null, 0) as number;
    if (tree < 0) return `open_tree(OPEN_TREE_CLONE) of ${scratch} failed with errno ${koffi.errno()}`;
    fds.push(tree);
    const attr = Buffer.alloc(32); // struct mount_attr: attr_set, attr_clr, propagation, userns_fd
    attr.writeBigUInt64LE(BigInt(MOUNT_ATTR_IDMAP), 0);
    attr.writeBigUInt64LE(BigInt(userns), 24);
    if ((syscall(SYS_MOUNT_SETATTR, tree, "", AT_EMPTY_PATH, attr, 32) as number) < 0) {
      const errno = koffi.errno();
      return `mount_setattr(MOUNT_ATTR_IDMAP) on a bind of ${dir} failed with errno ${errno}${errno === 22 ? " (its filesystem cannot be idmapped on this kernel)" : ""}`;
    }
    return undefined;
  } catch (err) {
    return `the probe failed: ${String(err)}`;
  } finally {
    for (const fd of fds) closeSync(fd);
    holder.kill("SIGKILL");
    rmdirSync(scratch);
  }
}
