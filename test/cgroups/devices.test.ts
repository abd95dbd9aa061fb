// Device rules against the real host (runs as root): the cgroup v2 device
// program attached to a cgroup2 directory (on a hybrid host, the kernel enforces
// it on top of the v1 controller), the v1 devices controller, and berth
// containers compared with runc. Every cgroup made here has "berth-test" and a
// random token in its name and is removed afterwards.

import { spawnSync } from "node:child_process";
import { closeSync, constants, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import {
  attachDeviceProgram,
  BPF_F_ALLOW_MULTI,
  BpfError,
  bpfBerthError,
  loadDeviceProgram,
  queryDevicePrograms,
  withMemlockRaised,
} from "../../src/linux/cgroups/bpf.js";
import { DEVICE_FILTER_LICENSE, deviceFilterProgram, encodeProgram, OP } from "../../src/linux/cgroups/devicesBpf.js";
import { applyDevices, effectiveDeviceRules, toDevRules } from "../../src/linux/cgroups/devices.js";
import type { DeviceCgroup } from "../../src/spec/types.js";
import { DIFFERENTIAL, Pair, describeOutcome, type Outcome, type Which } from "../differential/harness.js";
import { cgroup2Mount, hostCgroupLayout, needs } from "../helpers/host.js";
import { IS_BERTH } from "../helpers/env.js";
import { Sandbox, describeResult, rmdirCgroup } from "../helpers/index.js";

/** The cgroup2 mount: /sys/fs/cgroup/unified on a hybrid host, /sys/fs/cgroup on pure v2 (used under needs("cgroup2-mount")). */
const UNIFIED = cgroup2Mount() ?? "/sys/fs/cgroup/unified";
/** The v1 devices hierarchy (used under needs("v1-devices")). */
const V1_DEVICES = hostCgroupLayout().hierarchies["devices"]?.mountPoint ?? "/sys/fs/cgroup/devices";

const made: string[] = [];

function tempCgroup(root: string): string {
  const dir = join(root, `berth-test-dev-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir);
  made.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of made.splice(0).reverse()) rmdirCgroup(dir);
});

/** Run a shell that first moves itself into `dir`, so every command after that is subject to its rules. */
function inCgroup(dir: string, script: string): { out: string; code: number | null } {
  const r = spawnSync("sh", ["-c", `echo $$ > ${join(dir, "cgroup.procs")} || exit 99\n${script}`], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 10_000,
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

needs("root", "cgroup2-mount").describe("cgroup v2 device program", () => {
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

needs("root", "cgroup2-mount").describe("bpf(2) device programs", () => {
  const allowAll = () => encodeProgram(deviceFilterProgram(toDevRules([{ allow: true, access: "rwm" }])));

  it("replaces several programs attached by someone else with the one berth attaches", () => {
    const dir = tempCgroup(UNIFIED);
    const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      for (let i = 0; i < 2; i++) {
        const prog = loadDeviceProgram(allowAll(), DEVICE_FILTER_LICENSE);
        attachDeviceProgram(fd, prog, BPF_F_ALLOW_MULTI);
        closeSync(prog);
      }
      expect(queryDevicePrograms(fd)).toHaveLength(2);
    } finally {
      closeSync(fd);
    }
    applyDevices({ layout: "v2", paths: { unified: dir }, created: [] }, [
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 5, access: "r" },
    ]);
    expect(attached(dir)).toHaveLength(1);
    expect(
      inCgroup(dir, "head -c1 /dev/zero | wc -c\n(echo x > /dev/null) 2>&1 | grep -o 'Operation not permitted'").out.trim().split("\n"),
    ).toEqual(["1", "Operation not permitted"]);
  });

  it("the kernel verifier accepts programs with 32-bit compares", () => {
    const dir = tempCgroup(UNIFIED);
    applyDevices({ layout: "v2", paths: { unified: dir }, created: [] }, [
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 4000000000, minor: 3000000000, access: "rw" },
    ]);
    expect(attached(dir)).toHaveLength(1);
  });

  it("reports the verifier's log when a program is refused", () => {
    // No exit instruction: the verifier refuses it.
    const bad = encodeProgram([{ code: OP.MOV32_K, dst: 0, src: 0, off: 0, imm: 1 }]);
    let err: unknown;
    try {
      closeSync(loadDeviceProgram(bad, DEVICE_FILTER_LICENSE));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect((err as BpfError).errno).toBe("EINVAL");
    expect((err as BpfError).log).toBeTruthy();
    expect(bpfBerthError(err, "/x").message).toContain("verifier");
  });
});

/**
 * devices.list runc 1.1 leaves for the `runc spec` config (deny all, then its
 * defaults), sorted. berth adds the rules in the config's order, runc sorts
 * them: the same set, so lists are compared sorted.
 */
const RUNC_DEFAULT_LIST = [
  "b *:* m",
  "c *:* m",
  "c 1:3 rwm",
  "c 1:5 rwm",
  "c 1:7 rwm",
  "c 1:8 rwm",
  "c 1:9 rwm",
  "c 5:0 rwm",
  "c 5:2 rwm",
  "c 10:200 rwm",
  "c 136:* rwm",
];

const listOf = (dir: string): string[] => readFileSync(join(dir, "devices.list"), "utf8").trim().split("\n").sort();

needs("root", "v1-devices").describe("cgroup v1 devices controller", () => {
  const v1 = (dir: string) => ({ layout: "hybrid" as const, paths: { devices: dir }, created: [] });

  it("leaves devices.list as runc does for the default config, and enforces it", () => {
    const dir = tempCgroup(V1_DEVICES);
    applyDevices(v1(dir), effectiveDeviceRules({ resources: { devices: [{ allow: false, access: "rwm" }] } }));
    expect(listOf(dir)).toEqual([...RUNC_DEFAULT_LIST].sort());
    const r = inCgroup(dir, PROBE);
    expect(r.out.trim().split("\n")).toEqual(["1", "null-write-ok", "null-read-ok"]);
  });

  it("denies writes to /dev/null when linux.devices takes over its default rule", () => {
    const dir = tempCgroup(V1_DEVICES);
    applyDevices(
      v1(dir),
      effectiveDeviceRules({
        devices: [{ path: "/dev/null", type: "c", major: 1, minor: 3 }],
        resources: {
          devices: [
            { allow: false, access: "rwm" },
            { allow: true, type: "c", major: 1, minor: 3, access: "r" },
          ],
        },
      }),
    );
    expect(listOf(dir)).toContain("c 1:3 r");
    const r = inCgroup(dir, PROBE);
    expect(r.out.trim().split("\n")).toEqual(["1", "null-write-denied", "null-read-ok"]);
  });

  it('updates in place: only the difference is written, and an allow-all config becomes "a *:* rwm"', () => {
    const dir = tempCgroup(V1_DEVICES);
    const state = v1(dir);
    const rules = effectiveDeviceRules({ resources: { devices: [{ allow: false, access: "rwm" }] } });
    applyDevices(state, rules);
    applyDevices(state, [...rules, { allow: true, type: "c", major: 10, minor: 229, access: "rw" }], { update: true });
    // The kernel lists exceptions in the order they were added.
    expect(listOf(dir)).toEqual([...RUNC_DEFAULT_LIST, "c 10:229 rw"].sort());
    applyDevices(state, [{ allow: true, access: "rwm" }], { update: true });
    expect(listOf(dir)).toEqual(["a *:* rwm"]);
  });
});

/** What a container sees: its devices.list, then what it may do with /dev/zero and /dev/null. */
const CONTAINER_PROBE = [
  "cat /sys/fs/cgroup/devices/devices.list",
  "echo @@",
  "head -c1 /dev/zero | wc -c",
  "(echo x > /dev/null) 2>/tmp/err && echo null-write-ok || echo null-write-denied",
  "(cat /dev/null) 2>/tmp/err && echo null-read-ok || echo null-read-denied",
].join("\n");

needs(...DIFFERENTIAL, "v1-devices").describe("berth containers against runc (v1 devices)", () => {
  const pair = new Pair();

  function both(edit: (c: ReturnType<typeof pair.bundle>["config"]) => void): Record<Which, Outcome> {
    const bundle = pair.bundle({ args: ["sh", "-c", CONTAINER_PROBE], edit });
    return pair.runBoth(bundle);
  }

  function split(o: Outcome): { list: string[]; probe: string[] } {
    expect(o.code, describeOutcome(o)).toBe(0);
    const [list, probe] = o.stdout.split("@@\n") as [string, string];
    return { list: list.trim().split("\n").sort(), probe: probe.trim().split("\n") };
  }

  it("the default config: same devices.list as runc, /dev/null and /dev/zero usable", () => {
    const got = both(() => undefined);
    const runc = split(got.runc);
    const berth = split(got.berth);
    expect(runc.list).toEqual([...RUNC_DEFAULT_LIST].sort());
    expect(berth.list).toEqual(runc.list);
    expect(berth.probe).toEqual(["1", "null-write-ok", "null-read-ok"]);
  });

  it("/dev/full taken over by linux.devices and allowed read-only: writes fail with EPERM, /dev/zero still works", () => {
    // (/dev/null cannot serve here: both runtimes reopen it read-write for the
    // container's stdio, so a read-only /dev/null fails the start itself.)
    const got = both((c) => {
      c.process!.args = [
        "sh",
        "-c",
        `${CONTAINER_PROBE}\n(echo x > /dev/full) 2>&1 | grep -o "Operation not permitted\\|No space left on device"\nhead -c2 /dev/full | wc -c`,
      ];
      c.linux!.devices = [{ path: "/dev/full", type: "c", major: 1, minor: 7, fileMode: 0o666 }];
      c.linux!.resources!.devices!.push({ allow: true, type: "c", major: 1, minor: 7, access: "r" });
    });
    const runc = split(got.runc);
    const berth = split(got.berth);
    expect(runc.list).toContain("c 1:7 r");
    expect(berth.list).toEqual(runc.list);
    expect(runc.probe).toEqual(["1", "null-write-ok", "null-read-ok", "Operation not permitted", "2"]);
    expect(berth.probe).toEqual(runc.probe);
  });

  it('access letters other than r, w and m are dropped, as runc drops them ("ra" is "r")', () => {
    const got = both((c) => {
      c.linux!.resources!.devices!.push({ allow: true, type: "c", major: 1, minor: 4, access: "ra" });
    });
    const runc = split(got.runc);
    const berth = split(got.berth);
    expect(runc.list).toContain("c 1:4 r");
    expect(berth.list).toEqual(runc.list);
  });

  it("a deny rule for a default device is overridden by runc's defaults, in berth too", () => {
    const got = both((c) => {
      c.linux!.resources!.devices!.push({ allow: false, type: "c", major: 1, minor: 3, access: "w" });
    });
    const runc = split(got.runc);
    const berth = split(got.berth);
    expect(berth.list).toEqual(runc.list);
    expect(berth.probe).toEqual(runc.probe);
  });

  it("an invalid rule fails create like runc, naming the field", () => {
    const got = both((c) => {
      c.linux!.resources!.devices!.push({ allow: true, type: "u", access: "r" });
    });
    expect(got.runc.code).not.toBe(0);
    expect(got.berth.code).not.toBe(0);
    // berth's message names the field; with BERTH_BIN=runc both sides are runc.
    if (IS_BERTH) expect(got.berth.stderr).toContain("linux.resources.devices[1].type");
  });

  afterAll(() => pair.cleanup());
});

needs("root", "memlock").describe("RLIMIT_MEMLOCK around a program load", () => {
  it("is raised while loading and put back afterwards", () => {
    const limits = () =>
      readFileSync("/proc/self/limits", "utf8")
        .split("\n")
        .find((l) => l.startsWith("Max locked memory"))!
        .split(/\s{2,}/)
        .slice(1, 3);
    const setSoft = (soft: string): void => {
      const r = spawnSync("prlimit", [`--pid=${process.pid}`, `--memlock=${soft}:`], { encoding: "utf8" });
      expect(r.status, `prlimit --memlock=${soft}: ${r.error !== undefined ? String(r.error) : r.stderr.trim()}`).toBe(0);
    };
    const original = limits();
    // Set the soft limit to 64 KiB first (within the hard limit, so allowed), so raising it is visible.
    setSoft("65536");
    try {
      const before = limits();
      expect(before[0]).toBe("65536");
      const during = withMemlockRaised(limits);
      expect(limits()).toEqual(before);
      // Soft limit: unlimited, or at least the hard limit when berth may not raise that.
      expect(during[0] === "unlimited" || during[0] === before[1]).toBe(true);
    } finally {
      setSoft(original[0]!);
    }
    expect(limits()).toEqual(original);
  });
});

needs("containers", "berth", "cgroup-v2").describe("berth containers on cgroup v2 (device program)", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("enforces the rules through the container's eBPF program: /dev/full read-only, defaults usable", async () => {
    const b = sb.bundle({
      args: [
        "sh",
        "-c",
        `${CONTAINER_PROBE.split("echo @@\n")[1]}\n(echo x > /dev/full) 2>&1 | grep -o "Operation not permitted"\nhead -c2 /dev/full | wc -c`,
      ],
      edit: (c) => {
        c.linux!.devices = [{ path: "/dev/full", type: "c", major: 1, minor: 7, fileMode: 0o666 }];
        c.linux!.resources = {
          ...c.linux!.resources,
          devices: [
            { allow: false, access: "rwm" },
            { allow: true, type: "c", major: 1, minor: 7, access: "r" },
          ],
        };
      },
    });
    const id = sb.id("devbpf");
    sb.track(id, b);
    const r = sb.rt(["run", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(["1", "null-write-ok", "null-read-ok", "Operation not permitted", "2"]);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
