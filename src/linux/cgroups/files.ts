// Small helpers for reading and writing cgroupfs control files.

import { closeSync, openSync, readdirSync, readFileSync, statSync, writeSync, constants } from "node:fs";
import { join } from "node:path";
import { BerthError, isErrno } from "../../errors.js";

/** Read a control file; undefined when it does not exist. */
export function readCgroupFile(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENODEV")) return undefined;
    throw BerthError.fromSys("read cgroup file", path, err);
  }
}

/** Write a control file in one write(2) without O_CREAT/O_TRUNC (cgroupfs files exist or the write is wrong). */
export function writeCgroupFile(path: string, data: string, op = "write cgroup file", hint?: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY);
  } catch (err) {
    throw BerthError.fromSys(op, path, err, hint);
  }
  try {
    writeSync(fd, data);
  } catch (err) {
    throw BerthError.fromSys(op, path, err, hint);
  } finally {
    closeSync(fd);
  }
}

/** Pids in cgroup.procs of `dir` (and of every descendant cgroup when `recursive`). Missing dirs give none. */
export function readPids(dir: string, recursive: boolean, into: Set<number> = new Set()): Set<number> {
  const text = readCgroupFile(join(dir, "cgroup.procs"));
  if (text === undefined) return into;
  for (const line of text.split("\n")) {
    const n = Number.parseInt(line, 10);
    if (Number.isInteger(n) && n > 0) into.add(n);
  }
  if (recursive) {
    for (const sub of childCgroups(dir)) readPids(join(dir, sub), true, into);
  }
  return into;
}

/** Names of the child cgroup directories of `dir` (none if it is gone). */
export function childCgroups(dir: string): string[] {
  try {
    // cgroupfs gives a directory 2 links plus one per subdirectory: 2 means no child cgroup,
    // and no listing (a delete looks below each of its leaves, which seldom have children).
    if (statSync(dir).nlink === 2) return [];
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw BerthError.fromSys("list cgroup", dir, err);
  }
}

// Made on first use: a SharedArrayBuffer costs most of a millisecond to set up,
// and most commands never wait.
let sleepCell: Int32Array | undefined;

/** Block the thread for `ms` milliseconds (used by the synchronous freeze/thaw waits). */
export function sleepSync(ms: number): void {
  sleepCell ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleepCell, 0, 0, ms);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
