// Device nodes every container gets (runc's defaults), the /dev symlinks, and the
// config.json device type letters.
import { existsSync } from "node:fs";
import { BerthError } from "../errors.js";

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

export interface DefaultDevice {
  path: string;
  type: number;
  major: number;
  minor: number;
  mode: number;
}

/** Created in every container's /dev unless the config lists a device at the same path. */
export const DEFAULT_DEVICES: readonly DefaultDevice[] = Object.freeze([
  { path: "/dev/null", type: S_IFCHR, major: 1, minor: 3, mode: 0o666 },
  { path: "/dev/random", type: S_IFCHR, major: 1, minor: 8, mode: 0o666 },
  { path: "/dev/full", type: S_IFCHR, major: 1, minor: 7, mode: 0o666 },
  { path: "/dev/tty", type: S_IFCHR, major: 5, minor: 0, mode: 0o666 },
  { path: "/dev/zero", type: S_IFCHR, major: 1, minor: 5, mode: 0o666 },
  { path: "/dev/urandom", type: S_IFCHR, major: 1, minor: 9, mode: 0o666 },
]);

/** config.json device type letter → S_IF* ("u", unbuffered, is a character device). */
export const DEVICE_TYPES: Readonly<Record<string, number>> = Object.freeze({
  c: S_IFCHR,
  u: S_IFCHR,
  b: S_IFBLK,
  p: S_IFIFO,
});

export function isDeviceTypeKnown(t: string): boolean {
  return Object.hasOwn(DEVICE_TYPES, t);
}

export function deviceType(t: string, path: string): number {
  if (!isDeviceTypeKnown(t)) {
    throw new BerthError(`unknown device type "${t}"`, { op: "build plan", path, hint: 'use "c", "b", "u" or "p"' });
  }
  return DEVICE_TYPES[t]!;
}

/**
 * Symlinks made in the container's /dev: fd, stdin, stdout, stderr, and core → /proc/kcore
 * only when the host kernel has /proc/kcore (CONFIG_PROC_KCORE).
 */
export function devSymlinks(hasKcore: boolean = existsSync("/proc/kcore")): { target: string; path: string }[] {
  const links = [
    { target: "/proc/self/fd", path: "/dev/fd" },
    { target: "/proc/self/fd/0", path: "/dev/stdin" },
    { target: "/proc/self/fd/1", path: "/dev/stdout" },
    { target: "/proc/self/fd/2", path: "/dev/stderr" },
  ];
  if (hasKcore) links.push({ target: "/proc/kcore", path: "/dev/core" });
  return links;
}
