// Waiting on kernel events without polling: pidfd_open(2) (readable once a
// process exits), inotify(7) (a file or directory changed) and poll(2) over
// both. Through koffi, loaded on first use; glibc has no pidfd_open wrapper,
// so it goes through syscall(2) (its number, 434, is the same on every
// architecture since Linux 5.1 unified new system calls).

import { closeSync, readSync } from "node:fs";
import { constants } from "node:os";
import { BerthError } from "../errors.js";
import { lazyLibc } from "./koffi.js";

const load = lazyLibc({
  syscall: "long syscall(long number, ...)",
  poll: "int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)",
  inotifyInit1: "int inotify_init1(int flags)",
  inotifyAddWatch: "int inotify_add_watch(int fd, const char *path, uint32_t mask)",
});

/** Whether the event calls can be made here (koffi and libc load). */
export function fdWaitAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

const SYS_PIDFD_OPEN = 434;

/** A pidfd for `pid`, or undefined when the kernel has no pidfd_open or the process is gone. */
export function pidfdOpen(pid: number): number | undefined {
  if (!(pid > 0)) return undefined;
  const fd = Number(load().syscall(SYS_PIDFD_OPEN, "long", pid, "long", 0));
  return fd >= 0 ? fd : undefined;
}

export const IN_MODIFY = 0x2;
export const IN_ATTRIB = 0x4;
export const IN_MOVED_FROM = 0x40;
export const IN_MOVED_TO = 0x80;
export const IN_CREATE = 0x100;
export const IN_DELETE = 0x200;
export const IN_DELETE_SELF = 0x400;
export const IN_MOVE_SELF = 0x800;
const IN_NONBLOCK = 0x800;
const IN_CLOEXEC = 0x80000;

/** An inotify instance: add watches, poll its fd, drain it after each wake-up. */
export class Inotify {
  private constructor(readonly fd: number) {}

  /** A new instance, or undefined when the kernel refuses one (inotify limits, no CONFIG_INOTIFY_USER). */
  static open(): Inotify | undefined {
    const fd = Number(load().inotifyInit1(IN_NONBLOCK | IN_CLOEXEC));
    return fd >= 0 ? new Inotify(fd) : undefined;
  }

  /** Watch `path` for `mask`; false when it cannot be watched (gone, or the watch limit is reached). */
  add(path: string, mask: number): boolean {
    return Number(load().inotifyAddWatch(this.fd, path, mask)) >= 0;
  }

  /** Read and discard every queued event (the caller looks at the world again instead). */
  drain(): void {
    const buf = Buffer.alloc(4096);
    for (;;) {
      try {
        if (readSync(this.fd, buf, 0, buf.length, null) <= 0) return;
      } catch {
        return; // EAGAIN: nothing more queued
      }
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

const POLLIN = 1;
const EINTR = constants.errno.EINTR;

/**
 * poll(2) `fds` for readability for up to `timeoutMs` (-1: no limit). Returns the fds that
 * are readable or hung up (empty on timeout or EINTR). Blocks the calling thread.
 */
export function pollReadable(fds: number[], timeoutMs: number): number[] {
  const l = load();
  const buf = Buffer.alloc(8 * fds.length);
  fds.forEach((fd, i) => {
    buf.writeInt32LE(fd, 8 * i);
    buf.writeInt16LE(POLLIN, 8 * i + 4);
  });
  const timeout = timeoutMs < 0 ? -1 : Math.min(Math.ceil(timeoutMs), 0x7fffffff);
  const n = Number(l.poll(buf, fds.length, timeout));
  if (n < 0) {
    if (l.errno() === EINTR) return [];
    throw BerthError.fromErrno("poll", undefined, l.errno());
  }
  return fds.filter((_fd, i) => buf.readInt16LE(8 * i + 6) !== 0);
}
