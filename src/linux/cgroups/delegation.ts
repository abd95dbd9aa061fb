// Whether a caller that is not root may put a process into a cgroup2 directory: the
// kernel's delegation containment rule (cgroup-v2.rst, "Delegation Containment"). Moving a
// process (a write to cgroup.procs, or clone3 with CLONE_INTO_CGROUP) from cgroup A to
// cgroup B needs write access to B's cgroup.procs and to that of the nearest common
// ancestor of A and B. A subtree delegated to a user (systemd's Delegate=yes, a user
// instance's user@<uid>.service) gives both for moves inside it; a directory the user may
// only mkdir in, or one outside the subtree the caller runs in, does not.

import { accessSync, constants } from "node:fs";
import { posix } from "node:path";

/** The nearest common ancestor of two absolute directories (under the same mount). */
export function commonAncestor(a: string, b: string): string {
  const pa = posix.normalize(a).split("/").filter(Boolean);
  const pb = posix.normalize(b).split("/").filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < Math.min(pa.length, pb.length) && pa[i] === pb[i]; i++) out.push(pa[i]!);
  return `/${out.join("/")}`;
}

/**
 * The cgroup.procs files the caller must be able to write to move a process from `from`
 * into `to`: `to`'s own and its common ancestor's with `from` (one file when they are
 * the same directory, or `to` is an ancestor of `from`).
 */
export function migrationFiles(from: string, to: string): string[] {
  const files = [posix.join(to, "cgroup.procs")];
  const common = commonAncestor(from, to);
  const c = posix.join(common, "cgroup.procs");
  if (!files.includes(c)) files.push(c);
  return files;
}

/** Throws (EACCES, with the file as path) when the caller may not move a process from `from` into `to`. */
export function checkMigration(from: string, to: string, access: (file: string) => void = (f) => accessSync(f, constants.W_OK)): void {
  for (const f of migrationFiles(from, to)) access(f);
}
