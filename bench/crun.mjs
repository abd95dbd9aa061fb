// crun as a third runtime. crun 1.8.1 refuses a hybrid cgroup host (v1 controllers plus a
// cgroup2 mount at /sys/fs/cgroup/unified): "cgroups in hybrid mode not supported". On such a
// host it runs in a mount namespace of its own in which the cgroup2 mount is gone, so it sees
// plain cgroup v1. The namespace is made once (unshare --mount=FILE keeps it alive without a
// process) and every crun command enters it with nsenter, which costs about a millisecond
// (the bench prints the measured cost). Everything lives under the bench's scratch directory
// and is unmounted at cleanup.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { onCleanup } from "./common.mjs";

const UNIFIED = "/sys/fs/cgroup/unified";

function isCgroup2Mount(point) {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .some((l) => {
      const f = l.split(" ");
      return f[4] === point && f[f.indexOf("-") + 1] === "cgroup2";
    });
}

function sh(args) {
  const r = spawnSync(args[0], args.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) return `${args[0]}: ${r.error.message}`;
  return r.status === 0 ? undefined : `${args.join(" ")}: ${(r.stderr || `exit ${r.status}`).trim()}`;
}

/**
 * How to start crun here: { prefix } (argv up to and including crun; undefined when it runs
 * as is) and `how`, a line for the report; or { error } saying why it cannot run.
 */
export function crunLauncher(bin, work) {
  if (!fs.existsSync(bin)) return { error: `${bin} not found (apt-get install crun)` };
  if (!isCgroup2Mount(UNIFIED)) return { prefix: undefined, how: "run directly" };
  // A namespace file can only be bound on a mount that does not propagate (or the new
  // namespace would receive its own file): a private bind of a directory of ours.
  const dir = path.join(work, "crun-ns");
  const file = path.join(dir, "mnt");
  fs.mkdirSync(dir);
  let error = sh(["mount", "--bind", dir, dir]);
  if (error !== undefined) return { error };
  onCleanup(() => {
    spawnSync("umount", ["-l", file], { stdio: "ignore" });
    spawnSync("umount", ["-l", dir], { stdio: "ignore" });
  });
  error = sh(["mount", "--make-private", dir]);
  if (error === undefined) {
    fs.writeFileSync(file, "");
    error = sh(["unshare", `--mount=${file}`, "--propagation", "private", "umount", UNIFIED]);
  }
  if (error !== undefined) return { error: `cannot make a mount namespace without ${UNIFIED} for it: ${error}` };
  return {
    prefix: ["nsenter", `--mount=${file}`, bin],
    how: `hybrid cgroups: run as nsenter --mount=<ns> ${bin}, a mount namespace without ${UNIFIED}`,
  };
}
