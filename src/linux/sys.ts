// The few system calls Node lacks, through koffi (loaded only when needed:
// it costs more to load than most commands take).

import { constants } from "node:os";
import { BerthError } from "../errors.js";
import { libcFunctions } from "./koffi.js";

interface Libc {
  umount2(target: string, flags: number): number;
  mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): number;
  errno(): number;
}

let libc: Libc | undefined;

async function load(): Promise<Libc> {
  if (libc !== undefined) return libc;
  const f = libcFunctions({
    umount2: "int umount2(const char *target, int flags)",
    mount: "int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)",
  });
  libc = {
    umount2: (t, fl) => f.umount2(t, fl) as number,
    mount: (s, t, ty, fl, d) => f.mount(s, t, ty, fl, d) as number,
    errno: f.errno,
  };
  return libc;
}

export const MNT_DETACH = 2;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;

/** mount(2) with flags only (bind mounts, propagation changes). */
export async function mount(source: string, target: string, flags: number): Promise<void> {
  const c = await load();
  if (c.mount(source, target, null, flags, null) === 0) return;
  throw BerthError.fromErrno("mount", target, c.errno());
}

/** umount2(2); ENOENT and EINVAL (not a mount point any more) are not errors. */
export async function umount2(target: string, flags: number): Promise<void> {
  const c = await load();
  if (c.umount2(target, flags) === 0) return;
  const e = c.errno();
  if (e === constants.errno.ENOENT || e === constants.errno.EINVAL) return;
  throw BerthError.fromErrno("unmount", target, e);
}
