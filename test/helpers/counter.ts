// A container process that counts in memory, for checkpoint and restore tests: a
// restored process counts on from where it was, a restarted one would begin at 1.

import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

// The container's shell keeps its count in memory and writes "<its pid> <count>" to
// /tmp/n; its stdio is the container's own /dev/null (nothing outside the container).
export const COUNTER = ["sh", "-c", 'exec </dev/null >/dev/null 2>&1; i=0; while :; do i=$((i+1)); echo "$$ $i" > /tmp/n; sleep 0.1; done'];

export function readCounter(file: string): { pid: number; n: number } {
  const [pid, n] = readFileSync(file, "utf8").trim().split(" ");
  return { pid: Number(pid), n: Number(n) };
}

export async function waitCount(file: string, min: number, timeoutMs = 30_000): Promise<{ pid: number; n: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const c = readCounter(file);
      if (Number.isInteger(c.n) && c.n >= min) return c;
    } catch {
      /* being written */
    }
    if (Date.now() > deadline) throw new Error(`${file}: the count did not reach ${min} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The first count written after `last` (polling; a half-written file is read again). */
export async function nextCount(file: string, last: number, timeoutMs = 30_000): Promise<{ pid: number; n: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const c = readCounter(file);
      if (Number.isInteger(c.n) && c.pid > 0 && c.n !== last) return c;
    } catch {
      /* being written */
    }
    if (Date.now() > deadline) throw new Error(`${file}: no count after ${last} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The numbers a file of lines holds so far. */
export function numbers(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

export async function waitNumbers(file: string, count: number, timeoutMs = 30_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = numbers(file);
    if (n.length >= count) return n;
    if (Date.now() > deadline)
      throw new Error(`${file}: fewer than ${count} lines within ${timeoutMs} ms: ${readFileSync(file, "utf8").slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function exited(p: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) r();
    else p.once("exit", () => r());
  });
}
