// `berth check`: the host facts the probes read (an interface, so unit tests
// give made-up hosts) and the items they report.

import type { CgroupLayout } from "../../linux/cgroups/detect.js";
import type { ProbedSyscall } from "../../linux/syscallProbe.js";

/** Everything the probes know of the host. hostFacts.ts reads the real one. */
export interface HostFacts {
  /** uname -r */
  kernelRelease: string;
  euid: number;
  /** The user whose subordinate ids matter (SUDO_USER, else the effective user's name). */
  userName: string;
  /** The state root: --root, else /run/berth, or $XDG_RUNTIME_DIR/berth when rootless. */
  stateRoot: string;
  readFile(path: string): string | undefined;
  exists(path: string): boolean;
  /** Whether the effective user may write to `path`. */
  writable(path: string): boolean;
  /** The cgroup layout, or why none is usable. */
  cgroupLayout(): CgroupLayout | { error: string };
  /** Whether the kernel has the call; undefined when it cannot be asked (no FFI). */
  hasSyscall(name: ProbedSyscall): boolean | undefined;
  /** Landlock's ABI (0: built but disabled), undefined without Landlock or when it cannot be asked. */
  landlockAbi(): number | undefined;
  /** "2.5.4", or undefined when libseccomp cannot be loaded. */
  libseccompVersion(): string | undefined;
  /** The seccomp filter flags the kernel accepts, or undefined when that cannot be asked (no libseccomp). */
  seccompFlags(): { known: string[]; supported: string[] } | undefined;
  /** Full path of `bin` on PATH (or in the sbin directories), if any. */
  onPath(bin: string): string | undefined;
  /** Run a program; its status (null: killed or not run) and its output. */
  run(bin: string, args: string[]): { status: number | null; output: string };
  /** Which of `files` a new child cgroup under `dir` has; undefined when none can be made to look. */
  childCgroupFiles(dir: string, files: string[]): string[] | undefined;
  /**
   * systemd's version when it answers on D-Bus, or why not: the instance --systemd-cgroup
   * would use (the system's for root, the caller's own for another user).
   */
  systemd(): Promise<{ version?: number; error?: string; instance?: "system" | "user" }>;
  /** The berth-init helper's path, or why it is not found. */
  initBinary(): { path?: string; error?: string };
}

export type CheckStatus = "ok" | "missing" | "degraded";

export interface CheckItem {
  /** "kernel", "namespaces: user", "cgroups: controller memory" … */
  name: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to do about it (for missing and degraded items). */
  fix?: string;
  /** A default `berth spec` container cannot run here without it. */
  required?: boolean;
}

export function ok(name: string, detail: string, required = false): CheckItem {
  return required ? { name, status: "ok", detail, required } : { name, status: "ok", detail };
}

export function missing(name: string, detail: string, fix: string | undefined, required = false): CheckItem {
  const item: CheckItem = { name, status: "missing", detail };
  if (fix !== undefined) item.fix = fix;
  if (required) item.required = true;
  return item;
}

export function degraded(name: string, detail: string, fix?: string, required = false): CheckItem {
  const item: CheckItem = { name, status: "degraded", detail };
  if (fix !== undefined) item.fix = fix;
  if (required) item.required = true;
  return item;
}

/** [major, minor] of a kernel release such as "6.1.0-18-amd64" ([0, 0] when unreadable). */
export function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m === null ? [0, 0] : [Number(m[1]), Number(m[2])];
}

export function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const [a, b] = kernelVersion(release);
  return a > major || (a === major && b >= minor);
}
