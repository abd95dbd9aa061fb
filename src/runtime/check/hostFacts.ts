// The real host behind `berth check`'s probes: files under /proc and /sys, the
// cgroup layout, system calls asked through koffi, libseccomp, PATH, systemd
// over D-Bus. Nothing here decides anything; the probes do.

import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { childProcess } from "../../lazy.js";
import { detectCgroupLayout } from "../../linux/cgroups/detect.js";
import { hasSyscall, landlockAbi } from "../../linux/syscallProbe.js";
import { euid as effectiveUid, outerUid, runningInUserNs } from "../../linux/userns.js";
import { kernelSupportsFilterFlag, libseccompVersion } from "../../linux/seccomp/libseccomp.js";
import { SECCOMP_FLAGS } from "../../linux/seccomp/profile.js";
import { initBinaryPath } from "../spawnInit.js";
import { defaultRoot } from "../stateStore.js";
import type { HostFacts } from "./types.js";

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function userName(euid: number): string {
  const sudo = process.env.SUDO_USER;
  if (sudo !== undefined && sudo !== "") return sudo;
  for (const line of (readOr("/etc/passwd") ?? "").split("\n")) {
    const [name, , uid] = line.split(":");
    if (name !== undefined && uid === String(euid)) return name;
  }
  return String(euid);
}

/** undefined when koffi cannot be loaded (the FFI the probes go through). */
function guarded<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

const SEARCH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The real host; `stateRoot` is the --root berth was given (its default otherwise). */
export function hostFacts(stateRoot: string = defaultRoot()): HostFacts {
  const euid = process.geteuid?.() ?? 0;
  return {
    kernelRelease: release(),
    euid,
    userName: userName(euid),
    stateRoot,
    readFile: readOr,
    exists: existsSync,
    writable: (path) => {
      try {
        accessSync(path, constants.W_OK);
        return true;
      } catch {
        return false;
      }
    },
    cgroupLayout: () => {
      try {
        return detectCgroupLayout();
      } catch (err) {
        return { error: err instanceof Error ? err.message : String(err) };
      }
    },
    hasSyscall: (name) => guarded(() => hasSyscall(name)),
    landlockAbi: () => guarded(() => landlockAbi()),
    libseccompVersion: () => guarded(() => libseccompVersion()),
    seccompFlags: () =>
      guarded(() => {
        const known = Object.keys(SECCOMP_FLAGS);
        return { known, supported: known.filter((k) => kernelSupportsFilterFlag(SECCOMP_FLAGS[k]!)) };
      }),
    onPath: (bin) => {
      const dirs = [...(process.env.PATH ?? "").split(":").filter((d) => d !== ""), ...SEARCH];
      for (const d of dirs) {
        const p = join(d, bin);
        try {
          accessSync(p, constants.X_OK);
          return p;
        } catch {
          /* next */
        }
      }
      return undefined;
    },
    run: (bin, args) => {
      const r = childProcess().spawnSync(bin, args, { encoding: "utf8", timeout: 30_000 });
      return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    },
    childCgroupFiles: (dir, files) => {
      if (euid !== 0) return undefined;
      const probe = join(dir, `berth-check-${process.pid}`);
      try {
        mkdirSync(probe);
      } catch {
        return undefined;
      }
      try {
        return files.filter((f) => existsSync(join(probe, f)));
      } finally {
        try {
          rmdirSync(probe);
        } catch {
          /* an empty cgroup is removed at once */
        }
      }
    },
    systemd: async () => {
      const root = effectiveUid() === 0 && (!runningInUserNs() || outerUid() === 0);
      const instance = root ? "system" : "user";
      try {
        const { SystemdClient } = await import("../../linux/systemd/client.js");
        const client = await SystemdClient.connectTo(instance);
        try {
          return { version: await client.version(), instance };
        } finally {
          client.close();
        }
      } catch (err) {
        return { error: err instanceof Error ? err.message : String(err), instance };
      }
    },
    initBinary: () => {
      try {
        return { path: initBinaryPath() };
      } catch (err) {
        return { error: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}
