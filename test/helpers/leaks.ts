// Finding what a container left behind on the host: state directories and
// fifos under the root, cgroup directories named after the id, mounts naming
// the bundle or the id, and live processes that belong to the container.

import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export interface LeakQuery {
  /** Container id. */
  id: string;
  /** State root the container lived in. */
  root?: string;
  /** Bundle directory of the container. */
  bundle?: string;
  /** Host pids known to have belonged to the container (init, exec'd processes). */
  pids?: number[];
}

const CGROUP_BASE = "/sys/fs/cgroup";

/** Directories below /sys/fs/cgroup/<hierarchy>/ (to `maxDepth`) whose name contains `needle`. */
export function cgroupDirsMatching(needle: string, maxDepth = 5): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name.includes(needle)) found.push(p);
      else if (depth < maxDepth) walk(p, depth + 1);
    }
  };
  walk(CGROUP_BASE, 0);
  return found;
}

/** Lines of /proc/self/mountinfo that mention any of `needles`. */
export function mountsMatching(needles: string[]): string[] {
  const info = readFileSync("/proc/self/mountinfo", "utf8");
  return info.split("\n").filter((l) => l !== "" && needles.some((n) => l.includes(n)));
}

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

/** True when `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const s = procState(pid);
  return s !== undefined && s !== "Z" && s !== "X";
}

/** Live processes whose cmdline or cgroup mentions one of `needles`: "pid: cmdline". */
export function processesMatching(needles: string[]): string[] {
  const out: string[] = [];
  const self = String(process.pid);
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || name === self) continue;
    const pid = Number(name);
    let cmdline = "";
    let cgroup = "";
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      cgroup = readFileSync(`/proc/${name}/cgroup`, "utf8");
    } catch {
      continue;
    }
    // Our own runtime calls and tools that merely name the id (grep, ps) are not container processes.
    if (cmdline.includes("vitest")) continue;
    if (needles.some((n) => cmdline.includes(n) || cgroup.includes(n)) && isAlive(pid)) out.push(`${pid}: ${cmdline}`);
  }
  return out;
}

/** Every fifo below `dir` (the exec fifo lives in the state dir). */
export function fifosBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      try {
        const st = lstatSync(p);
        if (st.isFIFO()) out.push(p);
        else if (st.isDirectory()) walk(p);
      } catch {
        /* raced with removal */
      }
    }
  };
  walk(dir);
  return out;
}

/** Everything the container left behind, one human-readable line per item (empty: clean). */
export function findLeaks(q: LeakQuery): string[] {
  const leaks: string[] = [];
  if (q.root !== undefined && existsSync(q.root)) {
    if (existsSync(join(q.root, q.id))) leaks.push(`state dir ${join(q.root, q.id)}`);
    for (const f of fifosBelow(q.root)) if (f.includes(q.id)) leaks.push(`fifo ${f}`);
    for (const n of readdirSync(q.root)) if (n.includes(q.id)) leaks.push(`state entry ${join(q.root, n)}`);
  }
  for (const c of cgroupDirsMatching(q.id)) leaks.push(`cgroup ${c}`);
  const needles = [q.id, ...(q.bundle !== undefined ? [q.bundle] : [])];
  for (const m of mountsMatching(needles)) leaks.push(`mount ${m}`);
  for (const p of processesMatching(needles)) leaks.push(`process ${p}`);
  for (const pid of q.pids ?? []) if (isAlive(pid)) leaks.push(`process ${pid} (container pid) still alive: ${cmdlineOf(pid)}`);
  return leaks;
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "?";
  }
}

/** Resolve the target of /proc/<pid>/<link>, or undefined. */
export function procLink(pid: number, link: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/${link}`);
  } catch {
    return undefined;
  }
}

/** Poll `findLeaks` until it is empty or `timeoutMs` passes (processes take a moment to die). */
export async function waitNoLeaks(q: LeakQuery, timeoutMs = 3000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leaks = findLeaks(q);
    if (leaks.length === 0 || Date.now() > deadline) return leaks;
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
