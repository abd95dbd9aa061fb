// The runtimes every engine scenario runs against: the runtime under test ($BERTH_BIN,
// normally berth) and runc, the reference. The same scenario code runs for both, so a
// scenario that fails only under berth points at berth, not at the scenario.

import { spawnSync } from "node:child_process";
import { readdirSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { IS_BERTH, RUNTIME_BIN, RUNTIME_NAME } from "../helpers/env.js";
import { RUNC_BIN, type Requirement } from "../helpers/host.js";
import { mountsMatching } from "../helpers/leaks.js";

export interface EngineRuntime {
  /** "berth", "runc" … (test titles). */
  name: string;
  /** Absolute path handed to the engine. */
  bin: string;
  /** The runtime's default state root, where podman (which passes no --root) leaves its state. */
  defaultRoot: string;
  /** True for the runtime under test when it is berth. */
  isBerth: boolean;
  /** What this runtime needs of the host besides the engine. */
  needs: Requirement[];
}

/** The runtime under test, then runc (unless the runtime under test is runc itself). */
export function engineRuntimes(): EngineRuntime[] {
  const out: EngineRuntime[] = [
    {
      name: RUNTIME_NAME,
      bin: RUNTIME_BIN,
      defaultRoot: IS_BERTH ? "/run/berth" : `/run/${RUNTIME_NAME}`,
      isBerth: IS_BERTH,
      needs: ["containers"],
    },
  ];
  if (RUNTIME_BIN !== RUNC_BIN) {
    out.push({ name: "runc", bin: RUNC_BIN, defaultRoot: "/run/runc", isBerth: false, needs: ["root", "runc"] });
  }
  return out;
}

/** Cgroup controllers' mount points (v1 hierarchies and the cgroup2 mount). */
function cgroupMounts(): string[] {
  let names: string[];
  try {
    names = readdirSync("/sys/fs/cgroup");
  } catch {
    return [];
  }
  const hasDirs = names.some((n) => n === "cgroup.procs");
  if (hasDirs) return ["/sys/fs/cgroup"];
  return names.map((n) => join("/sys/fs/cgroup", n));
}

/**
 * Remove the cgroup `rel` ("/berth-test-…") and everything below it in every hierarchy
 * (deepest first). The engines leave their parent cgroups (podman's conmon cgroup, the
 * parent given with --cgroup-parent or --cgroup) once their containers are gone.
 * Returns what could not be removed.
 */
export function removeCgroupTree(rel: string): string[] {
  const failed: string[] = [];
  const remove = (dir: string): void => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) remove(join(dir, e.name));
    try {
      rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") failed.push(`${dir}: ${(err as Error).message}`);
    }
  };
  for (const mp of cgroupMounts()) remove(join(mp, rel));
  return failed;
}

/**
 * The runtimes' default state roots (podman starts them without --root) and what is in
 * them now; restoreRoots(snapshot) later removes what the suite added there that is not
 * a container (a container left behind is a leak the scenarios report): the seccomp
 * program cache, and the root itself when it did not exist before.
 */
export function snapshotRoots(): Map<string, Set<string> | undefined> {
  const out = new Map<string, Set<string> | undefined>();
  for (const rt of engineRuntimes()) {
    let names: Set<string> | undefined;
    try {
      names = new Set(readdirSync(rt.defaultRoot));
    } catch {
      names = undefined;
    }
    out.set(rt.defaultRoot, names);
  }
  return out;
}

export function restoreRoots(before: Map<string, Set<string> | undefined>): void {
  for (const [root, names] of before) {
    let now: string[];
    try {
      now = readdirSync(root);
    } catch {
      continue;
    }
    for (const n of now) if (n.startsWith("@") && !(names?.has(n) ?? false)) rmSync(join(root, n), { recursive: true, force: true });
    if (names === undefined) {
      try {
        rmdirSync(root);
      } catch {
        /* a container is still there: reported by the scenarios */
      }
    }
  }
}

/**
 * What an engine's private directory `dir` left mounted is unmounted (lazily) and the
 * cgroup tree `cgroupParent` removed; returns what was found, for the leftover report.
 */
export function sweepMountsAndCgroups(dir: string, cgroupParent: string): string[] {
  const problems: string[] = [];
  for (const m of mountsMatching([dir])) {
    const mp = m.split(" ")[4];
    if (mp !== undefined) spawnSync("umount", ["-l", mp], { stdio: "ignore" });
    problems.push(`mount ${m}`);
  }
  problems.push(...removeCgroupTree(cgroupParent).map((c) => `cgroup ${c}`));
  return problems;
}
