// Facts about processes read from /proc. A pid alone is never trusted: it is
// paired with the process start time (field 22 of /proc/<pid>/stat) so a
// recycled pid is not mistaken for the container's init.

import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface ProcStat {
  state: string;
  startTime: string;
  ppid: number;
}

export function readProcStat(pid: number): ProcStat | undefined {
  const path = `/proc/${pid}/stat`;
  // A stopped container's init is usually gone: looked for first, since the exception a
  // failed read throws costs a delete or a state more than the stat.
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: split after the last ')'.
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19]; ppid is fields[1].
  return { state: fields[0] ?? "?", ppid: Number(fields[1]), startTime: fields[19] ?? "" };
}

export function startTimeOf(pid: number): string | undefined {
  return readProcStat(pid)?.startTime;
}

/** True when pid runs (not a zombie) and is the same process that had startTime. */
export function isAlive(pid: number, startTime: string): boolean {
  if (!(pid > 0)) return false;
  const st = readProcStat(pid);
  if (st === undefined) return false;
  if (st.startTime !== startTime) return false;
  return st.state !== "Z" && st.state !== "X";
}

/** Wait (polling) until pid is gone or a zombie; returns false on timeout. */
export async function waitGone(pid: number, startTime: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (isAlive(pid, startTime)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
  return true;
}

function numericEntries(): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  return names.filter((n) => /^[0-9]+$/.test(n)).map(Number);
}

function pidNsOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/**
 * The processes of a container that has no cgroup (a rootless one where none could be
 * made): every process in its own pid namespace (`ownPidNs`), or else its init and
 * the init's descendants. None when the init is gone.
 */
export function processesWithoutCgroup(pid: number, startTime: string, ownPidNs: boolean): number[] {
  if (!isAlive(pid, startTime)) return [];
  if (ownPidNs) {
    const ns = pidNsOf(pid);
    if (ns !== undefined) return numericEntries().filter((p) => pidNsOf(p) === ns);
  }
  const children = new Map<number, number[]>();
  for (const p of numericEntries()) {
    const st = readProcStat(p);
    if (st === undefined) continue;
    const list = children.get(st.ppid);
    if (list === undefined) children.set(st.ppid, [p]);
    else list.push(p);
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}
