// The few system calls Node lacks, through koffi (loaded only when needed:
// it costs more to load than most commands take).

import { BerthError, describeErrno } from "../errors.js";
import { loadKoffi } from "./koffi.js";

interface Libc {
  umount2(target: string, flags: number): number;
  mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): number;
  errno(): number;
}

let libc: Libc | undefined;

async function load(): Promise<Libc> {
  if (libc !== undefined) return libc;
  const koffi = loadKoffi();
  const lib = koffi.load("libc.so.6");
  const umount2 = lib.func("int umount2(const char *target, int flags)");
  const mount = lib.func("int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)");
  libc = {
    umount2: (t, f) => umount2(t, f) as number,
    mount: (s, t, ty, f, d) => mount(s, t, ty, f, d) as number,
    errno: () => koffi.errno(),
  };
  return libc;
}

export const MNT_DETACH = 2;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
const ERRNO: Record<number, string> = { 1: "EPERM", 2: "ENOENT", 13: "EACCES", 16: "EBUSY", 20: "ENOTDIR", 22: "EINVAL" };

/** mount(2) with flags only (bind mounts, propagation changes). */
export async function mount(source: string, target: string, flags: number): Promise<void> {
  const c = await load();
  if (c.mount(source, target, null, flags, null) === 0) return;
  const e = c.errno();
  const name = ERRNO[e] ?? `errno ${e}`;
  throw new BerthError(describeErrno(name), { op: "mount", path: target, errno: name });
}

/** umount2(2); ENOENT and EINVAL (not a mount point any more) are not errors. */
export async function umount2(target: string, flags: number): Promise<void> {
  const c = await load();
  if (c.umount2(target, flags) === 0) return;
  const e = c.errno();
  if (e === 2 || e === 22) return;
  const name = ERRNO[e] ?? `errno ${e}`;
  throw new BerthError(describeErrno(name), { op: "unmount", path: target, errno: name });
}
