// Mounts below a directory, from /proc/self/mountinfo, for removing the mounts
// a container without its own mount namespace left on the host. Mounts that
// were there before create (a bundle's rootfs is often itself a mount) are
// recorded by id and never touched.

import { readFileSync } from "node:fs";
import { MNT_DETACH, umount2 } from "./sys.js";

export interface MountRef {
  id: number;
  mountPoint: string;
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mounts on or below dir, topmost (last mounted) first. */
export function mountsUnder(dir: string, mountinfo = readFileSync("/proc/self/mountinfo", "utf8")): MountRef[] {
  const base = dir.endsWith("/") ? dir.slice(0, -1) : dir;
  const out: MountRef[] = [];
  for (const line of mountinfo.split("\n")) {
    const f = line.split(" ");
    if (f[4] === undefined) continue;
    const p = unescape(f[4]);
    if (p === base || p.startsWith(base + "/")) out.push({ id: Number(f[0]), mountPoint: p });
  }
  return out.reverse();
}

/** Detach every mount on or below dir that is not in keep (ids from before create). */
export async function unmountUnder(dir: string, keep: readonly number[]): Promise<void> {
  for (let pass = 0; pass < 8; pass++) {
    const mps = mountsUnder(dir).filter((m) => !keep.includes(m.id));
    if (mps.length === 0) return;
    for (const m of mps) await umount2(m.mountPoint, MNT_DETACH);
  }
}
