// Whether the kernel has a system call, asked without side effects: each probe
// passes arguments the kernel rejects before doing anything (a zero size, a bad
// fd, a NULL pointer), so a kernel that has the call answers EINVAL, EBADF or
// EFAULT and one that lacks it answers ENOSYS. Numbers from 424 on are the same
// on every architecture (Linux 5.1 unified new system calls).

import { constants } from "node:os";
import { lazyLibc } from "./koffi.js";

export type ProbedSyscall = "open_tree" | "pidfd_open" | "clone3" | "openat2" | "mount_setattr" | "landlock_create_ruleset";

const NR: Record<ProbedSyscall, number> = {
  open_tree: 428,
  pidfd_open: 434,
  clone3: 435,
  openat2: 437,
  mount_setattr: 442,
  landlock_create_ruleset: 444,
};

const { ENOSYS, EOPNOTSUPP } = constants.errno;

const load = lazyLibc({ syscall: "long syscall(long number, ...)" });

function call(nr: number, ...args: number[]): { ret: number; errno: number } {
  const s = load();
  const ret = Number(s.syscall(nr, ...args.flatMap((a) => ["long", a])));
  return { ret, errno: ret < 0 ? s.errno() : 0 };
}

/**
 * True when the kernel has `name`. Arguments per call: open_tree(-1, NULL, 0) → EFAULT/EBADF;
 * pidfd_open(0, 0) → EINVAL; clone3(NULL, 0), openat2(-1, NULL, NULL, 0) and
 * mount_setattr(-1, NULL, 0, NULL, 0) → EINVAL (size below the first version);
 * landlock_create_ruleset(NULL, 0, VERSION) → the ABI version.
 */
export function hasSyscall(name: ProbedSyscall): boolean {
  const args = name === "landlock_create_ruleset" ? [0, 0, 1] : name === "pidfd_open" ? [0, 0] : [-1, 0, 0, 0, 0];
  const r = call(NR[name], ...args);
  return r.ret >= 0 || r.errno !== ENOSYS;
}

/** Landlock's ABI version; 0 when the kernel has Landlock but it is disabled at boot; undefined without it. */
export function landlockAbi(): number | undefined {
  const r = call(NR.landlock_create_ruleset, 0, 0, 1);
  if (r.ret >= 0) return r.ret;
  return r.errno === EOPNOTSUPP ? 0 : undefined;
}
