// Device rules against the real host (runs as root): the cgroup v2 device
// program attached to a cgroup2 directory (on a hybrid host, the kernel enforces
// it on top of the v1 controller), the v1 devices controller, and berth
// containers compared with runc. Every cgroup made here has "berth-test" and a
// random token in its name and is removed afterwards.

import { spawnSync } from "node:child_process";
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { queryDevicePrograms } from "../../src/linux/cgroups/bpf.js";
import { CGROUP2_SUPER_MAGIC } from "../../src/linux/cgroups/detect.js";
import { applyDevices, effectiveDeviceRules } from "../../src/linux/cgroups/devices.js";
import type { DeviceCgroup } from "../../src/spec/types.js";

const IS_ROOT = process.getuid?.() === 0;
const UNIFIED = "/sys/fs/cgroup/unified";
const V1_DEVICES = "/sys/fs/cgroup/devices";
const HAS_UNIFIED = (() => {
  try {
    return statfsSync(UNIFIED).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
})();
const HAS_V1_DEVICES = existsSync(join(V1_DEVICES, "devices.list"));

const made: string[] = [];

function tempCgroup(root: string): string {
  const dir = join(root, `berth-test-dev-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir);
  made.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of made.splice(0).reverse()) {
    for (let i = 0; i < 100; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EBUSY") break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
    }
  }
});

/** Run a shell that first moves itself into `dir`, so every command after that is subject to its rules. */
function inCgroup(dir: string, script: string): { out: string; code: number | null } {
  const r = spawnSync("sh", ["-c", `echo $$ > ${join(dir, "cgroup.procs")} || exit 99\n${script}`], {
    encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000,
  });
  return { out: r.stdout + r.stderr, code: r.status };
}

function attached(dir: string): number[] {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    return queryDevicePrograms(fd);
  } finally {
    closeSync(fd);
  }
}

const PROBE = [
  "head -c1 /dev/zero | wc -c",
  "(echo x > /dev/null) 2>/dev/full && echo null-write-ok || echo null-write-denied",
  "(cat /dev/null) 2>/dev/zero && echo null-read-ok || echo null-read-denied",
].join("\n");

describe.skipIf(!IS_ROOT || !HAS_UNIFIED)("cgroup v2 device program", () => {
  const rules: DeviceCgroup[] = [
    { allow: false, access: "rwm" },
    { allow: true, type: "c", major: 1, minor: 5, access: "rwm" }, // /dev/zero
    { allow: true, type: "c", major: 1, minor: 7, access: "w" }, // /dev/full, for the error redirections
    { allow: true, type: "c", major: 1, minor: 3, access: "r" }, // /dev/null read-only
  ];

  it("denies what the rules deny and allows the rest, in the process moved into the cgroup", () => {
    const dir = tempCgroup(UNIFIED);
    applyDevices({ layout: "v2", paths: { unified: dir }, created: [] }, rules);
    const r = inCgroup(dir, PROBE);
    expect(r.out.trim().split("\n")).toEqual(["1", "null-write-denied", "null-read-ok"]);
  });

  it("replaces its program on update instead of stacking a second one", () => {
    const dir = tempCgroup(UNIFIED);
    const state = { layout: "v2" as const, paths: { unified: dir }, created: [] };
    applyDevices(state, rules);
    const first = attached(dir);
    expect(first).toHaveLength(1);
    applyDevices(state, [{ allow: true, access: "rwm" }], { update: true });
    const second = attached(dir);
    expect(second).toHaveLength(1);
    expect(second[0]).not.toBe(first[0]);
    const r = inCgroup(dir, PROBE);
    expect(r.out.trim().split("\n")).toEqual(["1", "null-write-ok", "null-read-ok"]);
  });
});
