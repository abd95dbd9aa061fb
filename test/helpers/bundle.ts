// OCI bundles for tests: a busybox rootfs plus a config.json modelled on the
// one `runc spec` writes (same namespaces, mounts, capabilities, masked and
// read-only paths), with terminal off and args chosen by the test.

import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Spec } from "../../src/spec/types.js";
import { TMP_PREFIX } from "./env.js";
import { makeRootfs } from "./rootfs.js";

export const DEFAULT_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"];

export const DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

export const DEFAULT_MASKED_PATHS = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/sys/firmware",
  "/proc/scsi",
];

export const DEFAULT_READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** The config.json `runc spec` would write, adapted for tests (terminal off, rw root, given args). */
export function defaultConfig(args: string[] = ["true"]): Spec {
  return {
    ociVersion: "1.0.2-dev",
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: [...DEFAULT_ENV],
      cwd: "/",
      capabilities: {
        bounding: [...DEFAULT_CAPS],
        effective: [...DEFAULT_CAPS],
        permitted: [...DEFAULT_CAPS],
        ambient: [...DEFAULT_CAPS],
      },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: "rootfs", readonly: false },
    hostname: "berth-test",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
      },
      { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: "rwm" }] },
      namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }],
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
}

export interface BundleOptions {
  /** process.args (default ["true"]). */
  args?: string[];
  /** Edit the default config in place before it is first written. */
  edit?: (config: Spec) => void;
  /** Do not build a rootfs (for bad-input tests). */
  noRootfs?: boolean;
  /** Do not write config.json (for bad-input tests). */
  noConfig?: boolean;
  /** Parent directory (default /tmp). */
  parent?: string;
}

export interface Bundle {
  /** Absolute bundle directory (/tmp/berth-test-bundle-XXXXXX). */
  dir: string;
  /** Absolute rootfs directory (<dir>/rootfs). */
  rootfs: string;
  /** The config object; change it and call write(). */
  config: Spec;
  /** Write `config` to <dir>/config.json (or raw text, for invalid-JSON tests). */
  write(raw?: string): void;
  /** Absolute path of a file in the bundle. */
  path(...rel: string[]): string;
  /** Absolute host path of a file inside the rootfs (container path "/x" → <rootfs>/x). */
  inRootfs(containerPath: string): string;
}

/** Create a bundle under /tmp with a busybox rootfs and the default config. */
export function makeBundle(opts: BundleOptions = {}): Bundle {
  const parent = opts.parent ?? "/tmp";
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(parent === "/tmp" ? `${TMP_PREFIX}bundle-` : join(parent, "berth-test-bundle-"));
  const rootfs = join(dir, "rootfs");
  if (opts.noRootfs !== true) makeRootfs(rootfs);
  const config = defaultConfig(opts.args ?? ["true"]);
  opts.edit?.(config);
  const bundle: Bundle = {
    dir,
    rootfs,
    config,
    write(raw?: string) {
      writeFileSync(join(dir, "config.json"), raw ?? JSON.stringify(bundle.config, null, 2));
    },
    path: (...rel: string[]) => join(dir, ...rel),
    inRootfs: (p: string) => join(rootfs, p),
  };
  if (opts.noConfig !== true) bundle.write();
  return bundle;
}
