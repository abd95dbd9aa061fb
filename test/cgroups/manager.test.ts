// The cgroupfs manager against the real host (runs as root). Every cgroup these
// tests make has "berth-test" and a random token in its name and is removed in
// afterEach, processes included, even when a test fails.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { BerthError } from "../../src/errors.js";
import { detectCgroupLayout, parseMountInfo } from "../../src/linux/cgroups/detect.js";
import { loadCgroupManager } from "../../src/linux/cgroups/manager.js";
import { createCgroupManager } from "../../src/linux/cgroups/newManager.js";
import { parseProcCgroup, relativeBase } from "../../src/linux/cgroups/paths.js";
import { needs } from "../helpers/host.js";
import { cgroupDirsMatching, rmdirCgroup } from "../helpers/index.js";

const tokens: string[] = [];
const children: ChildProcess[] = [];

function token(): string {
  const t = `berth-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  tokens.push(t);
  return t;
}

function sleeper(): ChildProcess {
  const c = spawn("sleep", ["100"], { stdio: "ignore" });
  children.push(c);
  return c;
}

function exited(c: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.signalCode ?? c.exitCode);
  return new Promise((resolve) => c.once("exit", (code, sig) => resolve(sig ?? code)));
}

function procCgroup(pid: number): Record<string, string> {
  return parseProcCgroup(readFileSync(`/proc/${pid}/cgroup`, "utf8"));
}

/** Path of `dir` relative to its hierarchy mount, as /proc/<pid>/cgroup spells it. */
function cgroupPathOf(dir: string, mountPoint: string): string {
  return dir.slice(mountPoint.length) || "/";
}

function removeTreeForce(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return;
  }
  for (const e of entries) removeTreeForce(join(dir, e));
  try {
    for (const line of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n")) {
      const pid = Number(line);
      if (pid > 0)
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
    }
  } catch {
    /* gone */
  }
  rmdirCgroup(dir);
}

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill("SIGKILL");
      await exited(c);
    }
  }
  for (const t of tokens.splice(0)) {
    for (const dir of cgroupDirsMatching(t, 6)) removeTreeForce(dir);
    expect(cgroupDirsMatching(t, 6)).toEqual([]);
  }
});

needs("root").describe("cgroup layout detection", () => {
  it("matches the host's mounts", () => {
    const layout = detectCgroupLayout();
    const mounts = parseMountInfo(readFileSync("/proc/self/mountinfo", "utf8"));
    for (const [key, h] of Object.entries(layout.hierarchies)) {
      const m = mounts.find((x) => x.mountPoint === h.mountPoint);
      expect(m, key).toBeDefined();
      if (key === "unified") expect(m!.fsType).toBe("cgroup2");
      else expect(m!.superOptions).toContain(key);
    }
  });

  needs("cgroup-hybrid").it("reports hybrid with the real controller mount points", () => {
    const layout = detectCgroupLayout();
    expect(layout.layout).toBe("hybrid");
    expect(layout.hierarchies["unified"]).toEqual({ mountPoint: "/sys/fs/cgroup/unified", root: "/" });
    const mounts = parseMountInfo(readFileSync("/proc/self/mountinfo", "utf8"));
    for (const m of mounts.filter((x) => x.fsType === "cgroup")) {
      for (const opt of m.superOptions) {
        if (opt === "name=systemd" || ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"].includes(opt)) {
          expect(layout.hierarchies[opt]?.mountPoint, opt).toBe(m.mountPoint);
        }
      }
    }
  });
});

needs("root").describe("cgroup manager", () => {
  it("creates, enters, lists, kills and removes with an absolute cgroupsPath", async () => {
    const t = token();
    const layout = detectCgroupLayout();
    const m = createCgroupManager({ cgroupsPath: `/${t}/c1`, id: "c1", systemd: false });
    expect(Object.keys(m.state.paths).sort()).toEqual(Object.keys(layout.hierarchies).sort());
    for (const [key, dir] of Object.entries(m.state.paths)) {
      expect(dir).toBe(`${layout.hierarchies[key]!.mountPoint}/${t}/c1`);
    }
    m.create();
    for (const dir of Object.values(m.state.paths)) expect(existsSync(dir), dir).toBe(true);
    // both levels were made by the manager, in every distinct hierarchy directory
    const distinct = new Set(Object.values(m.state.paths));
    expect(m.state.created).toHaveLength(distinct.size * 2);

    if (m.state.paths["cpuset"] !== undefined) {
      expect(readFileSync(join(m.state.paths["cpuset"], "cpuset.cpus"), "utf8").trim()).not.toBe("");
      expect(readFileSync(join(m.state.paths["cpuset"], "cpuset.mems"), "utf8").trim()).not.toBe("");
    }

    const c = sleeper();
    m.enter(c.pid!);
    const cg = procCgroup(c.pid!);
    for (const [key, dir] of Object.entries(m.state.paths)) {
      expect(cg[key], key).toBe(cgroupPathOf(dir, layout.hierarchies[key]!.mountPoint));
    }
    expect(m.pids()).toEqual([c.pid]);

    const again = loadCgroupManager(JSON.parse(JSON.stringify(m.state)));
    expect(again.pids()).toEqual([c.pid]);
    again.signalAll("SIGKILL");
    expect(await exited(c)).toBe("SIGKILL");
    if (again.state.paths["freezer"] !== undefined) {
      expect(readFileSync(join(again.state.paths["freezer"], "freezer.state"), "utf8").trim()).toBe("THAWED");
    }

    await again.destroy();
    for (const dir of again.state.created.concat(Object.values(m.state.paths))) expect(existsSync(dir), dir).toBe(false);
    for (const dir of m.state.created) expect(existsSync(dir), dir).toBe(false);
    expect(again.state.created).toEqual([]);
    await again.destroy(); // idempotent
  });

  it("delivers other signals and leaves the freezer thawed", async () => {
    const t = token();
    const m = createCgroupManager({ cgroupsPath: `/${t}`, id: "c", systemd: false });
    m.create();
    const c = sleeper();
    m.enter(c.pid!);
    m.signalAll("SIGTERM");
    expect(await exited(c)).toBe("SIGTERM");
    if (m.state.paths["freezer"] !== undefined) {
      expect(readFileSync(join(m.state.paths["freezer"], "freezer.state"), "utf8").trim()).toBe("THAWED");
    }
    await m.destroy();
  });

  it("destroy() kills what is still running, including processes in sub-cgroups", async () => {
    const t = token();
    const m = createCgroupManager({ cgroupsPath: `/${t}`, id: "c", systemd: false });
    m.create();
    const a = sleeper();
    const b = sleeper();
    m.enter(a.pid!);
    m.enter(b.pid!);
    // a nested cgroup made from inside the container, in the cgroup2 hierarchy
    const unified = m.state.paths["unified"];
    if (unified !== undefined) {
      mkdirSync(join(unified, "inner"));
      const f = join(unified, "inner", "cgroup.procs");
      (await import("node:fs")).writeFileSync(f, String(b.pid));
    }
    expect(m.pids()).toEqual([a.pid!, b.pid!].sort((x, y) => x - y));
    await m.destroy();
    expect(await exited(a)).toBe("SIGKILL");
    expect(await exited(b)).toBe("SIGKILL");
    for (const dir of Object.values(m.state.paths)) expect(existsSync(dir), dir).toBe(false);
  });

  it("joins a pre-existing shared parent and leaves it in place", async () => {
    const t = token();
    const parent = createCgroupManager({ cgroupsPath: `/${t}`, id: "shared", systemd: false });
    parent.create();
    const m1 = createCgroupManager({ cgroupsPath: `/${t}/c1`, id: "c1", systemd: false });
    const m2 = createCgroupManager({ cgroupsPath: `/${t}/c2`, id: "c2", systemd: false });
    m1.create();
    m2.create();
    expect(m1.state.created.sort()).toEqual([...new Set(Object.values(m1.state.paths))].sort());
    const c = sleeper();
    m1.enter(c.pid!);
    await m1.destroy();
    expect(await exited(c)).toBe("SIGKILL");
    for (const dir of Object.values(parent.state.paths)) expect(existsSync(dir), dir).toBe(true);
    for (const dir of Object.values(m1.state.paths)) expect(existsSync(dir), dir).toBe(false);
    for (const dir of Object.values(m2.state.paths)) expect(existsSync(dir), dir).toBe(true);
    await m2.destroy();
    await parent.destroy();
    for (const dir of Object.values(parent.state.paths)) expect(existsSync(dir), dir).toBe(false);
  });

  it("never kills or removes a leaf that existed before", async () => {
    const t = token();
    const owner = createCgroupManager({ cgroupsPath: `/${t}`, id: "x", systemd: false });
    owner.create();
    const joiner = createCgroupManager({ cgroupsPath: `/${t}`, id: "y", systemd: false });
    joiner.create();
    expect(joiner.state.created).toEqual([]);
    const c = sleeper();
    joiner.enter(c.pid!);
    await joiner.destroy();
    expect(c.exitCode === null && c.signalCode === null).toBe(true);
    for (const dir of Object.values(owner.state.paths)) expect(existsSync(dir), dir).toBe(true);
    await owner.destroy();
    expect(await exited(c)).toBe("SIGKILL");
  });

  it("resolves a relative cgroupsPath below berth's own cgroup (its parent on pure v2) in each hierarchy", async () => {
    const t = token();
    const layout = detectCgroupLayout();
    const own = procCgroup(process.pid);
    const m = createCgroupManager({ cgroupsPath: `${t}/c`, id: "c", systemd: false });
    m.create();
    const c = sleeper();
    m.enter(c.pid!);
    const cg = procCgroup(c.pid!);
    for (const key of Object.keys(layout.hierarchies)) {
      expect(cg[key], key).toBe(join(relativeBase(layout.layout, own[key]!), t, "c"));
    }
    await m.destroy();
    expect(await exited(c)).toBe("SIGKILL");
    for (const dir of Object.values(m.state.paths)) expect(existsSync(dir), dir).toBe(false);
  });

  it("uses the container id, relative to berth's own cgroup (its parent on pure v2), when cgroupsPath is absent", async () => {
    const t = token();
    const layout = detectCgroupLayout().layout;
    const own = Object.fromEntries(Object.entries(procCgroup(process.pid)).map(([k, v]) => [k, relativeBase(layout, v)]));
    const m = createCgroupManager({ id: t, systemd: false });
    m.create();
    const c = sleeper();
    m.enter(c.pid!);
    const cg = procCgroup(c.pid!);
    expect(cg["unified"] ?? cg["memory"]).toBe(join((own["unified"] ?? own["memory"])!, t));
    await m.destroy();
  });

  it("rejects the systemd form without --systemd-cgroup", () => {
    const t = token();
    let err: unknown;
    try {
      createCgroupManager({ cgroupsPath: `system.slice:berth:${t}`, id: t, systemd: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).path).toBe("linux.cgroupsPath");
    expect((err as BerthError).message).toContain("--systemd-cgroup");
  });

  needs("no-systemd").it("rejects --systemd-cgroup without systemd", () => {
    const t = token();
    expect(() => createCgroupManager({ cgroupsPath: `system.slice:berth:${t}`, id: t, systemd: true })).toThrow(/systemd/);
  });

  it("rejects .. in cgroupsPath before touching the host", () => {
    const t = token();
    expect(() => createCgroupManager({ cgroupsPath: `/${t}/../../escape`, id: t, systemd: false })).toThrow(/\.\./);
    expect(cgroupDirsMatching(t, 6)).toEqual([]);
  });

  it("enter() of a dead pid fails with a BerthError naming cgroup.procs", async () => {
    const t = token();
    const m = createCgroupManager({ cgroupsPath: `/${t}`, id: "c", systemd: false });
    m.create();
    let err: unknown;
    try {
      m.enter(2 ** 22 + 7);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).path).toMatch(/cgroup\.procs$/);
    await m.destroy();
  });
});
