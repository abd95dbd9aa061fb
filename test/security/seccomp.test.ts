// linux.seccomp is in force: the filter berth compiles (libseccomp) and
// berth-init loads gives the same results as runc's for each action, errno
// value, argument comparison, architecture list and flag; engines' default
// profiles hold in the container and in exec'd processes; what berth cannot
// carry out fails create, naming the JSON path, and leaves nothing behind.
// SCMP_ACT_NOTIFY with a seccomp agent is in seccompNotify.test.ts.

import { copyFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTools, type ToolBox } from "../tools/tools.js";
import type { Seccomp } from "../../src/linux/seccomp/profile.js";
import { DIFFERENTIAL, Pair, describeOutcome } from "../differential/harness.js";
import { DEFAULT_CAPS, Sandbox, describeResult } from "../helpers/index.js";
import { engineSeccomp, PODMAN_SECCOMP_PROFILE } from "../helpers/engineProfile.js";
import { has, needs } from "../helpers/host.js";

/** What the container tries; each line says how it went (busybox's messages name the errno). */
const PROBE = [
  "grep Seccomp: /proc/self/status",
  // both runtimes run the same rootfs: a fresh name each time, printed as DIR
  'd=$(mktemp -u /tmp/d.XXXXXX); if mkdir "$d" 2>/tmp/err; then echo mkdir-ok; else sed "s|$d|DIR|" /tmp/err; fi',
  "trap '' USR1; kill -USR1 $$ 2>&1 && echo usr1-ok",
  "kill -0 $$ 2>&1 && echo kill0-ok",
  "[ -x /bin/scprobe ] && /bin/scprobe",
  "echo end",
].join("\n");

const MKDIR = ["mkdir", "mkdirat"];
const allow = (syscalls: Seccomp["syscalls"], extra: Partial<Seccomp> = {}): Seccomp => ({
  defaultAction: "SCMP_ACT_ALLOW",
  syscalls,
  ...extra,
});

interface Case {
  name: string;
  seccomp: Seccomp;
  nnp?: boolean;
  berth: RegExp[];
}

const CASES: Case[] = [
  {
    name: "ERRNO without errnoRet fails with EPERM",
    seccomp: allow([{ names: MKDIR, action: "SCMP_ACT_ERRNO" }]),
    berth: [/^Seccomp:\s+2$/m, /mkdir: .*Operation not permitted/, /^kill0-ok$/m],
  },
  {
    name: "ERRNO with errnoRet fails with that errno",
    seccomp: allow([{ names: MKDIR, action: "SCMP_ACT_ERRNO", errnoRet: 28 }]),
    berth: [/mkdir: .*No space left on device/],
  },
  {
    name: "KILL_PROCESS ends the process with SIGSYS",
    seccomp: allow([{ names: MKDIR, action: "SCMP_ACT_KILL_PROCESS" }]),
    berth: [/^Seccomp:\s+2$/m],
  },
  {
    name: "KILL (the thread) ends it with SIGSYS",
    seccomp: allow([{ names: MKDIR, action: "SCMP_ACT_KILL" }]),
    berth: [/^Seccomp:\s+2$/m],
  },
  { name: "KILL_THREAD", seccomp: allow([{ names: MKDIR, action: "SCMP_ACT_KILL_THREAD" }]), berth: [/^Seccomp:\s+2$/m] },
  { name: "TRAP sends SIGSYS", seccomp: allow([{ names: MKDIR, action: "SCMP_ACT_TRAP" }]), berth: [/^Seccomp:\s+2$/m] },
  { name: "LOG allows and logs", seccomp: allow([{ names: MKDIR, action: "SCMP_ACT_LOG" }]), berth: [/^mkdir-ok$/m] },
  {
    name: "TRACE without a tracer fails with ENOSYS",
    seccomp: allow([{ names: MKDIR, action: "SCMP_ACT_TRACE" }]),
    berth: [/mkdir: .*Function not implemented/],
  },
  {
    name: "an argument compared with EQ",
    berth: [/can't kill pid 1: Operation not permitted/, /^kill0-ok$/m],
    seccomp: allow([{ names: ["kill"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: 10, op: "SCMP_CMP_EQ" }] }]),
  },
  {
    name: "an argument compared with MASKED_EQ",
    berth: [/can't kill pid 1: Operation not permitted/, /^kill0-ok$/m],
    seccomp: allow([{ names: ["kill"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: 8, valueTwo: 8, op: "SCMP_CMP_MASKED_EQ" }] }]),
  },
  {
    name: "two comparisons on one argument are two rules",
    berth: [/^end$/m],
    seccomp: allow([
      {
        names: ["kill"],
        action: "SCMP_ACT_ERRNO",
        args: [
          { index: 1, value: 10, op: "SCMP_CMP_GE" },
          { index: 1, value: 12, op: "SCMP_CMP_LE" },
        ],
      },
    ]),
  },
  {
    name: "comparisons on two arguments must all hold (GT, LT, NE)",
    berth: [/can't kill pid 1: Operation not permitted/, /^kill0-ok$/m],
    seccomp: allow([
      {
        names: ["kill"],
        action: "SCMP_ACT_ERRNO",
        args: [
          { index: 1, value: 9, op: "SCMP_CMP_GT" },
          { index: 0, value: 0, op: "SCMP_CMP_NE" },
          { index: 2, value: 1, op: "SCMP_CMP_LT" },
        ],
      },
    ]),
  },
  {
    name: "x86-64 with its x86 and x32 sub-architectures",
    berth: [/mkdir: .*Operation not permitted/],
    seccomp: allow([{ names: MKDIR, action: "SCMP_ACT_ERRNO" }], { architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"] }),
  },
  {
    name: "a syscall name unknown to libseccomp is skipped",
    seccomp: allow([{ names: ["mkdir", "mkdirat", "not_a_syscall"], action: "SCMP_ACT_ERRNO" }]),
    berth: [/mkdir: .*Operation not permitted/],
  },
  {
    name: "a rule with the default action changes nothing",
    seccomp: allow([{ names: MKDIR, action: "SCMP_ACT_ALLOW" }]),
    berth: [/^mkdir-ok$/m],
  },
  {
    name: "without no_new_privs the filter is still loaded",
    seccomp: allow([{ names: MKDIR, action: "SCMP_ACT_ERRNO" }]),
    nnp: false,
    berth: [/^Seccomp:\s+2$/m, /mkdir: .*Operation not permitted/],
  },
];

needs(...DIFFERENTIAL).describe("seccomp: berth against runc", () => {
  const pair = new Pair();
  afterAll(() => pair.cleanup());

  function both(seccomp: Seccomp, nnp = true): ReturnType<Pair["runBoth"]> {
    const bundle = pair.bundle({
      args: ["sh", "-c", PROBE],
      edit: (c) => {
        c.linux!.seccomp = seccomp;
        c.process!.noNewPrivileges = nnp;
      },
    });
    return pair.runBoth(bundle);
  }

  for (const c of CASES) {
    it(c.name, () => {
      const got = both(c.seccomp, c.nnp);
      expect(got.berth.code, describeOutcome(got.berth)).toBe(got.runc.code);
      expect(got.berth.stdout, describeOutcome(got.berth)).toBe(got.runc.stdout);
      for (const re of c.berth) expect(got.berth.stdout, describeOutcome(got.berth)).toMatch(re);
    });
  }

  it("a KILL action ends the container's process with SIGSYS: exit status 159 from run, as runc's", () => {
    const bundle = pair.bundle({
      args: ["sh", "-c", "exec mkdir /tmp/killed"],
      edit: (c) => {
        c.linux!.seccomp = allow([{ names: MKDIR, action: "SCMP_ACT_KILL_PROCESS" }]);
      },
    });
    const got = pair.runBoth(bundle);
    expect(got.runc.code, describeOutcome(got.runc)).toBe(159);
    expect(got.berth.code, describeOutcome(got.berth)).toBe(159);
  });

  describe("podman's default profile", () => {
    let tools: ToolBox;
    beforeAll(() => {
      tools = buildTools(["scprobe"]);
    });
    afterAll(() => tools?.remove());

    needs("podman-seccomp-profile", "cc").it("the container runs under it, and what it leaves out fails with its default errno", () => {
      const bundle = pair.bundle({
        args: ["sh", "-c", PROBE],
        edit: (c) => {
          c.linux!.seccomp = engineSeccomp(PODMAN_SECCOMP_PROFILE, DEFAULT_CAPS);
        },
      });
      copyFileSync(tools.path("scprobe"), bundle.inRootfs("/bin/scprobe"));
      const got = pair.runBoth(bundle);
      expect(got.berth.code, describeOutcome(got.berth)).toBe(0);
      expect(got.berth.stdout).toBe(got.runc.stdout);
      expect(got.berth.stdout).toMatch(/^Seccomp:\s+2$/m);
      expect(got.berth.stdout).toMatch(/^mkdir-ok$/m);
      // io_uring_setup is not in the profile: the default action answers ENOSYS (defaultErrnoRet 38).
      expect(got.berth.stdout).toMatch(/^io_uring_setup: Function not implemented$/m);
    });
  });
});

needs("containers", "berth").describe("seccomp: exec, and what berth refuses", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("an exec'd process gets the container's filter", async () => {
    const id = sb.id("scexec");
    const b = sb.bundle({
      args: ["sleep", "60"],
      edit: (c) => {
        c.linux!.seccomp = allow([{ names: MKDIR, action: "SCMP_ACT_ERRNO", errnoRet: 28 }]);
      },
    });
    sb.runDetached(id, b);
    const r = sb.rt(["exec", id, "sh", "-c", "grep Seccomp: /proc/self/status; mkdir /tmp/e 2>&1; echo done"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(r.stdout).toMatch(/mkdir: .*No space left on device/);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  needs("podman-seccomp-profile", "cc").it("podman's default profile holds in exec'd processes", async () => {
    const tools = buildTools(["scprobe"]);
    const id = sb.id("scpodman");
    const b = sb.bundle({
      args: ["sleep", "60"],
      edit: (c) => {
        c.linux!.seccomp = engineSeccomp(PODMAN_SECCOMP_PROFILE, DEFAULT_CAPS);
      },
    });
    copyFileSync(tools.path("scprobe"), b.inRootfs("/bin/scprobe"));
    tools.remove();
    sb.runDetached(id, b);
    const r = sb.rt(["exec", id, "sh", "-c", "grep Seccomp: /proc/self/status; /bin/scprobe"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(r.stdout).toMatch(/^io_uring_setup: Function not implemented$/m);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  // runc 1.1 refuses every flag ("not yet supported"); runtime-spec defines them, and berth passes them to seccomp(2).
  it("filter flags (LOG, SPEC_ALLOW) are passed to the kernel with the filter", () => {
    const id = sb.id("scflags");
    const b = sb.bundle({
      args: ["sh", "-c", "grep Seccomp: /proc/self/status; mkdir /tmp/f 2>&1; true"],
      edit: (c) => {
        c.linux!.seccomp = allow([{ names: MKDIR, action: "SCMP_ACT_ERRNO" }], {
          flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"],
        });
      },
    });
    sb.track(id, b);
    const r = sb.rt(["run", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(r.stdout).toMatch(/mkdir: .*Operation not permitted/);
  });

  const refusals: [string, Seccomp, RegExp][] = [
    [
      'SCMP_ACT_NOTIFY but no listenerPath (runc: "listenerPath is not set")',
      allow([{ names: MKDIR, action: "SCMP_ACT_NOTIFY" }]),
      /linux\.seccomp\.listenerPath: SCMP_ACT_NOTIFY is used but listenerPath is not set/,
    ],
    [
      "an argument index past 5",
      allow([{ names: MKDIR, action: "SCMP_ACT_ERRNO", args: [{ index: 7, value: 0, op: "SCMP_CMP_EQ" }] }]),
      /linux\.seccomp\.syscalls\[0\]\.args\[0\]\.index/,
    ],
  ];
  for (const [what, seccomp, re] of refusals) {
    it(`create with ${what} fails naming the JSON path and leaves nothing behind`, async () => {
      await sb.refuseCreate(
        sb.bundle({
          args: ["true"],
          edit: (c) => {
            c.linux!.seccomp = seccomp;
          },
        }),
        re,
      );
    });
  }

  it("features reports seccomp as enabled, with NOTIFY", () => {
    const f = JSON.parse(sb.ok(["features"]).stdout) as { linux: { seccomp: { enabled: boolean; actions: string[] } } };
    expect(f.linux.seccomp.enabled).toBe(true);
    expect(f.linux.seccomp.actions).toContain("SCMP_ACT_NOTIFY");
    expect(has("berth")).toBe(true);
  });
});
