// `berth events`: a container's resource statistics and OOM notifications as
// JSON lines, as `runc events` prints them. With --stats, one stats event and
// done; otherwise a stats event every --interval plus an "oom" event each time
// the kernel OOM-kills a process of the container, until the container stops
// or is deleted. OOM kills are noticed by watching the kernel's counter
// (the "oom_kill" line of v1 memory.oom_control or cgroup2 memory.events),
// polled a few times a second.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { BerthError, isErrno } from "../errors.js";
import { log } from "../log.js";
import { eventJson, readOomKillCount, readStats } from "../linux/cgroups/stats.js";
import { statusOf } from "./status.js";
import { isAlive } from "./procfs.js";
import { containerDir, loadRecord, STATE_FILE, type ContainerRecord } from "./stateStore.js";

/** runc's default interval. */
export const DEFAULT_INTERVAL = "5s";

/** How often the stream checks for OOM kills and for the container's end (capped by the interval). */
const POLL_MS = 200;

const UNIT_NS: Record<string, bigint> = {
  ns: 1n, us: 1_000n, "\u00b5s": 1_000n, "\u03bcs": 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};
const MAX_INT64 = (1n << 63n) - 1n;

/**
 * Parse a Go duration ("5s", "500ms", "1m30s", "1.5h", "-2s", "0") to
 * nanoseconds, with Go's time.ParseDuration rules. Throws an Error whose
 * message is Go's wording.
 */
export function parseGoDuration(text: string): bigint {
  const quoted = JSON.stringify(text);
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw new Error(`time: invalid duration ${quoted}`);
  let total = 0n;
  while (s !== "") {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const [whole = "", frac] = [m[1], m[2]];
    if (whole === "" && (frac === undefined || frac === "")) throw new Error(`time: invalid duration ${quoted}`);
    s = s.slice(m[0].length);
    const unitMatch = /^[^\d.]+/.exec(s);
    if (unitMatch === null) throw new Error(`time: missing unit in duration ${quoted}`);
    const unitName = unitMatch[0];
    const unit = UNIT_NS[unitName];
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unitName)} in duration ${quoted}`);
    s = s.slice(unitName.length);
    let v = BigInt(whole === "" ? "0" : whole) * unit;
    if (frac !== undefined && frac !== "") {
      // Go keeps the fraction's precision up to the unit: truncate below one nanosecond.
      v += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    }
    total += v;
    if (total > MAX_INT64) throw new Error(`time: invalid duration ${quoted}`);
  }
  return negative ? -total : total;
}

/** --interval as milliseconds for the stream; errors name the flag, as runc's do. */
export function parseInterval(text: string): number {
  let ns: bigint;
  try {
    ns = parseGoDuration(text);
  } catch (err) {
    throw new BerthError(`invalid value ${JSON.stringify(text)}: ${(err as Error).message}`, {
      op: "events",
      path: "--interval",
      hint: 'give a duration such as "5s", "500ms" or "1m30s"',
    });
  }
  if (ns <= 0n) {
    throw new BerthError("duration interval must be greater than 0", { op: "events", path: "--interval", hint: 'give a duration such as "5s"' });
  }
  // At least one millisecond: the stream's timer cannot be finer.
  return Math.max(1, Number(ns / 1_000_000n));
}

export interface EventsOptions {
  root: string;
  id: string;
  /** Print one stats event and return. */
  statsOnly: boolean;
  /** Interval between stats events, in milliseconds. */
  intervalMs: number;
  /** Writes one line of output; throwing EPIPE ends the stream quietly. */
  write: (line: string) => void;
}

function stillThere(root: string, rec: ContainerRecord): boolean {
  return existsSync(join(containerDir(root, rec.id), STATE_FILE)) && isAlive(rec.pid, rec.initStartTime);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Run `events` for one container. Resolves when the stream ends (or at once with statsOnly). */
export async function containerEvents(opts: EventsOptions): Promise<void> {
  const rec = loadRecord(opts.root, opts.id);
  if (statusOf(opts.root, rec) === "stopped") {
    throw new BerthError(`container with id ${rec.id} is not running`, {
      op: "events",
      path: rec.id,
      hint: "events are only available while the container's process runs",
    });
  }
  const emit = (line: string): boolean => {
    try {
      opts.write(line + "\n");
      return true;
    } catch (err) {
      if (isErrno(err, "EPIPE")) return false;
      throw err;
    }
  };
  if (opts.statsOnly) {
    emit(eventJson("stats", rec.id, readStats(rec.cgroup)));
    return;
  }
  let oomSeen = readOomKillCount(rec.cgroup) ?? 0n;
  let nextStats = Date.now() + opts.intervalMs;
  for (;;) {
    await sleep(Math.max(1, Math.min(POLL_MS, nextStats - Date.now())));
    // Liveness first: a kill that ended the container is counted by the time it is gone.
    const alive = stillThere(opts.root, rec);
    const ooms = readOomKillCount(rec.cgroup);
    if (ooms !== undefined && ooms > oomSeen) {
      for (let i = 0n; i < ooms - oomSeen && i < 100n; i++) if (!emit(eventJson("oom", rec.id))) return;
      oomSeen = ooms;
    }
    if (!alive) return;
    if (Date.now() >= nextStats) {
      try {
        if (!emit(eventJson("stats", rec.id, readStats(rec.cgroup)))) return;
      } catch (err) {
        // As runc: a failed collection is logged and the stream goes on.
        log.error(err instanceof Error ? err.message : String(err));
      }
      nextStats = Math.max(nextStats + opts.intervalMs, Date.now() + 1);
    }
  }
}
