// linux.seccomp → libseccomp input, with the real libseccomp resolving names.

import { mkdtempSync, readdirSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { thrown } from "../../testing/thrown.js";
import { seccompProgram } from "./cache.js";
import { syscallNumber } from "./libseccomp.js";
import { actionValue, compileProfile, resolveProfile, SECCOMP_FILTER_FLAG_NEW_LISTENER, usesNotify, type Seccomp } from "./profile.js";

const noWarn = (): void => {};

describe("resolveProfile", () => {
  it("ERRNO and TRACE without errnoRet return EPERM, as runc's do; errnoRet sets the value", () => {
    expect(actionValue("SCMP_ACT_ERRNO", undefined, "p")).toBe(0x00050001);
    expect(actionValue("SCMP_ACT_ERRNO", 28, "p")).toBe(0x0005001c);
    expect(actionValue("SCMP_ACT_TRACE", undefined, "p")).toBe(0x7ff00001);
    expect(actionValue("SCMP_ACT_KILL", undefined, "p")).toBe(0);
    expect(actionValue("SCMP_ACT_KILL_PROCESS", undefined, "p")).toBe(0x80000000);
    expect(actionValue("SCMP_ACT_ALLOW", undefined, "p")).toBe(0x7fff0000);
    expect(actionValue("SCMP_ACT_NOTIFY", undefined, "p")).toBe(0x7fc00000);
  });

  it("leaves out rules whose action is the default, and splits comparisons on one argument into rules of their own", () => {
    const r = resolveProfile(
      {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [
          { names: ["getpid"], action: "SCMP_ACT_ALLOW" },
          {
            names: ["kill"],
            action: "SCMP_ACT_ERRNO",
            args: [
              { index: 1, value: 10, op: "SCMP_CMP_GE" },
              { index: 1, value: 12, op: "SCMP_CMP_LE" },
            ],
          },
          {
            names: ["personality"],
            action: "SCMP_ACT_ERRNO",
            args: [
              { index: 0, value: 8, op: "SCMP_CMP_EQ" },
              { index: 1, value: 1, valueTwo: 1, op: "SCMP_CMP_MASKED_EQ" },
            ],
          },
        ],
      },
      noWarn,
    );
    const kill = syscallNumber("kill")!;
    const personality = syscallNumber("personality")!;
    expect(r.filter.rules.map((x) => [x.syscall, x.args.length])).toEqual([
      [kill, 1],
      [kill, 1],
      [personality, 2],
    ]);
    expect(r.filter.rules[2]!.args[1]).toEqual({ arg: 1, op: 7, a: 1n, b: 1n });
    expect(r.rulePaths).toEqual(["linux.seccomp.syscalls[1]", "linux.seccomp.syscalls[1]", "linux.seccomp.syscalls[2]"]);
  });

  it("skips syscall names libseccomp does not know, with one warning naming them", () => {
    const warnings: string[] = [];
    const r = resolveProfile(
      { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "no_such_call", "also_not"], action: "SCMP_ACT_ERRNO" }] },
      (m) => warnings.push(m),
    );
    expect(r.filter.rules).toHaveLength(1);
    expect(warnings).toEqual([
      'linux.seccomp.syscalls: libseccomp does not know "no_such_call", "also_not" on this system; rules for them are left out',
    ]);
  });

  it("turns flags into seccomp(2) bits and architectures into libseccomp tokens", () => {
    const r = resolveProfile(
      {
        defaultAction: "SCMP_ACT_ALLOW",
        flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
        architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      },
      noWarn,
    );
    expect(r.flags).toBe(2 | 4);
    expect(r.filter.arches).toHaveLength(3);
    expect(new Set(r.filter.arches).size).toBe(3);
  });

  it("SCMP_ACT_NOTIFY makes a listener (NEW_LISTENER; with TSYNC also TSYNC_ESRCH); listenerPath alone is ignored, as runtime-spec says", () => {
    const notify = resolveProfile(
      { defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/a.sock", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }] },
      noWarn,
    );
    expect(notify.flags).toBe(SECCOMP_FILTER_FLAG_NEW_LISTENER);
    expect(notify.filter.rules[0]!.action).toBe(0x7fc00000);
    const tsync = resolveProfile(
      { defaultAction: "SCMP_ACT_NOTIFY", listenerPath: "/run/a.sock", flags: ["SECCOMP_FILTER_FLAG_TSYNC"] },
      noWarn,
    );
    expect(tsync.flags).toBe(1 | 8 | 16);
    expect(tsync.filter.defaultAction).toBe(0x7fc00000);
    const ignored = resolveProfile(
      {
        defaultAction: "SCMP_ACT_ALLOW",
        listenerPath: "/run/a.sock",
        listenerMetadata: "m",
        syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }],
      },
      noWarn,
    );
    expect(ignored.flags).toBe(0);
    // unlike runc, write may be notified: berth-init does not write between the load and the hand-off
    expect(usesNotify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["write"], action: "SCMP_ACT_NOTIFY" }] })).toBe(true);
    expect(usesNotify({ defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/x" })).toBe(false);
    expect(
      compileProfile(
        { defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/x", syscalls: [{ names: ["write", "mkdir"], action: "SCMP_ACT_NOTIFY" }] },
        noWarn,
      ).flags,
    ).toBe(8);
  });

  it("refuses what it cannot carry out, naming the JSON path (fail closed)", () => {
    const cases: [Seccomp, RegExp][] = [
      [{ defaultAction: "SCMP_ACT_NOTIFY" }, /linux\.seccomp\.listenerPath: SCMP_ACT_NOTIFY is used but listenerPath is not set/],
      [
        { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }] },
        /linux\.seccomp\.listenerPath: SCMP_ACT_NOTIFY is used/,
      ],
      [
        { defaultAction: "SCMP_ACT_ALLOW", listenerMetadata: "m" },
        /linux\.seccomp\.listenerMetadata: listenerMetadata is set without listenerPath/,
      ],
      [
        {
          defaultAction: "SCMP_ACT_ALLOW",
          listenerPath: "/a.sock",
          syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY", errnoRet: 1 }],
        },
        /syscalls\[0\]\.errnoRet: errnoRet is only meaningful/,
      ],
      [{ defaultAction: "SCMP_ACT_ALLOW", defaultErrnoRet: 5 }, /linux\.seccomp\.defaultErrnoRet: defaultErrnoRet is only meaningful/],
      [
        { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ALLOW", errnoRet: 1 }] },
        /linux\.seccomp\.syscalls\[0\]\.errnoRet/,
      ],
      [
        {
          defaultAction: "SCMP_ACT_ALLOW",
          syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", args: [{ index: 6, value: 0, op: "SCMP_CMP_EQ" }] }],
        },
        /syscalls\[0\]\.args\[0\]\.index: argument index 6/,
      ],
      [
        { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 70000 }] },
        /syscalls\[0\]\.errnoRet: errno 70000 is out of range/,
      ],
      [{ defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_NEW"] }, /linux\.seccomp\.flags\[0\]: unknown flag/],
      [
        { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: [], action: "SCMP_ACT_ERRNO" }] },
        /syscalls\[0\]\.names: a rule needs at least one syscall name/,
      ],
    ];
    for (const [s, re] of cases) expect(thrown(() => resolveProfile(s, noWarn)).message).toMatch(re);
  });
});

describe("compileProfile and the cache", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-seccomp-cache-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const profile: Seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "nope_call"], action: "SCMP_ACT_ERRNO" }] };

  it("compiles to whole sock_filter instructions", () => {
    const { bpf, flags } = compileProfile(profile, noWarn);
    expect(bpf.length % 8).toBe(0);
    expect(bpf.length).toBeGreaterThan(8 * 4);
    expect(flags).toBe(0);
  });

  it("stores the program once and gives the same bytes and warnings from the cache", () => {
    const w1: string[] = [];
    const a = seccompProgram(profile, (m) => w1.push(m), { cacheDir: dir });
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const w2: string[] = [];
    const b = seccompProgram(profile, (m) => w2.push(m), { cacheDir: dir });
    expect(b.bpf.equals(a.bpf)).toBe(true);
    expect(w2).toEqual(w1);
    expect(w1).toHaveLength(1);
  });

  it("does not trust a cache file others may write, nor one that is not a program", () => {
    const good = seccompProgram(profile, noWarn, { cacheDir: dir });
    const file = join(dir, readdirSync(dir)[0]!);
    chmodSync(file, 0o666);
    writeFileSync(file, "BSC1garbage!");
    const again = seccompProgram(profile, noWarn, { cacheDir: dir });
    expect(again.bpf.equals(good.bpf)).toBe(true);
  });
});
