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

/** How often the stream checks for OOM kills and for the container's end (capped by the interval). */
const POLL_MS = 200;

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
