import { describe, expect, it } from "vitest";
import { needs } from "../../../test/helpers/host.js";
import { BerthError } from "../../errors.js";
import type { CgroupLayout } from "./detect.js";
import { loadCgroupManager } from "./manager.js";
import { createCgroupManager, resolveSystemdCgroup } from "./newManager.js";
import { SystemdCgroupManager } from "./systemd.js";
import type { CgroupManager, CgroupState } from "./types.js";

const V2: CgroupLayout = { layout: "v2", hierarchies: { unified: { mountPoint: "/sys/fs/cgroup", root: "/" } } };
const HYBRID: CgroupLayout = {
  layout: "hybrid",
  hierarchies: {
    memory: { mountPoint: "/sys/fs/cgroup/memory", root: "/" },
    "name=systemd": { mountPoint: "/sys/fs/cgroup/systemd", root: "/" },
    unified: { mountPoint: "/sys/fs/cgroup/unified", root: "/" },
  },
};

/** A cgroupfs manager stand-in that records calls. */
function fakeFs(state: CgroupState): CgroupManager & { calls: string[] } {
  const calls: string[] = [];
  return {
    state,
    calls,
    create: () => calls.push("create"),
    apply: async (r) => {
      calls.push(`apply ${JSON.stringify(r)}`);
    },
    enter: (pid) => calls.push(`enter ${pid}`),
    enterDir: (dir, pid) => calls.push(`enterDir ${dir} ${pid}`),
    selfEntry: () => ({ tasks: ["/x/tasks"], into: "/x" }),
    pids: () => [],
    isFrozen: () => false,
    freeze: () => calls.push("freeze"),
    thaw: () => calls.push("thaw"),
    signalAll: (s) => calls.push(`signal ${s}`),
    destroy: async () => {
      calls.push("destroy");
    },
  };
}

describe("resolveSystemdCgroup", () => {
  it("puts the unit below its slice in every hierarchy", () => {
    expect(resolveSystemdCgroup({ cgroupsPath: "system.slice:berth:c1", id: "c1", systemd: true }, V2, true)).toEqual({
      paths: { unified: "/sys/fs/cgroup/system.slice/berth-c1.scope" },
      systemd: { unit: "berth-c1.scope", slice: "system.slice" },
      extra: [],
    });
    const h = resolveSystemdCgroup({ cgroupsPath: "machine-x.slice:p:n", id: "c1", systemd: true }, HYBRID, true);
    expect(h.paths).toEqual({
      memory: "/sys/fs/cgroup/memory/machine.slice/machine-x.slice/p-n.scope",
      "name=systemd": "/sys/fs/cgroup/systemd/machine.slice/machine-x.slice/p-n.scope",
      unified: "/sys/fs/cgroup/unified/machine.slice/machine-x.slice/p-n.scope",
    });
  });
  it("a user's instance: below the manager's own cgroup, user.slice by default (runc's place)", () => {
    const m = "/user.slice/user-1000.slice/user@1000.service";
    expect(resolveSystemdCgroup({ id: "c1", systemd: true }, V2, true, m)).toEqual({
      paths: { unified: `/sys/fs/cgroup${m}/user.slice/berth-c1.scope` },
      systemd: { unit: "berth-c1.scope", slice: "user.slice", user: true },
      extra: [],
    });
    expect(resolveSystemdCgroup({ cgroupsPath: "app-x.slice:p:n", id: "c1", systemd: true }, V2, true, m).paths).toEqual({
      unified: `/sys/fs/cgroup${m}/app.slice/app-x.slice/p-n.scope`,
    });
  });
  it("defaults to system.slice:berth:<id>", () => {
    expect(resolveSystemdCgroup({ id: "c1", systemd: true }, V2, true).systemd).toEqual({ unit: "berth-c1.scope", slice: "system.slice" });
  });
  it("keeps the clear error where systemd is not running", () => {
    let err: unknown;
    try {
      resolveSystemdCgroup({ cgroupsPath: "system.slice:berth:c1", id: "c1", systemd: true }, V2, false);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).path).toBe("--systemd-cgroup");
    expect((err as BerthError).message).toContain("needs a running systemd");
  });
  it("rejects a cgroupfs path under --systemd-cgroup", () => {
    expect(() => resolveSystemdCgroup({ cgroupsPath: "/a/b", id: "c1", systemd: true }, V2, true)).toThrow(/slice:prefix:name/);
  });
});

needs("no-systemd").describe("on a host without systemd", () => {
  it("createCgroupManager with systemd gives the no-systemd error", () => {
    expect(() => createCgroupManager({ cgroupsPath: "system.slice:berth:c1", id: "c1", systemd: true })).toThrow(/needs a running systemd/);
  });
});

describe("SystemdCgroupManager", () => {
  const state = (): CgroupState => ({
    layout: "v2",
    paths: { unified: "/sys/fs/cgroup/system.slice/berth-c1.scope" },
    created: [],
    systemd: { unit: "berth-c1.scope", slice: "system.slice" },
  });
  it("holds resources back until the unit starts, and gives berth-init nothing to enter itself", async () => {
    const s = state();
    const fs = fakeFs(s);
    const m = new SystemdCgroupManager(s, fs, { description: "berth container c1" });
    m.create();
    await m.apply({ pids: { limit: 5 } });
    expect(fs.calls).toEqual([]);
    expect(m.selfEntry()).toEqual({ tasks: [] });
    expect(typeof m.start).toBe("function");
  });
  it("rejects resources systemd cannot take before anything starts", async () => {
    const s = state();
    const m = new SystemdCgroupManager(s, fakeFs(s), { description: "d" });
    await expect(m.apply({ memory: { limit: 100, swap: 50 } })).rejects.toThrow(/linux.resources.memory.swap/);
    await expect(m.apply({ cpu: { cpus: "3-1" } })).rejects.toThrow(/linux.resources.cpu.cpus/);
  });
  it("a reopened manager writes updates and joins through cgroupfs", async () => {
    const s = state();
    const fs = fakeFs(s);
    const m = new SystemdCgroupManager(s, fs);
    await m.apply({ pids: { limit: 5 } }, { update: true });
    m.enter(7);
    m.freeze();
    m.thaw();
    m.signalAll("SIGTERM");
    expect(fs.calls).toEqual(['apply {"pids":{"limit":5}}', "enter 7", "freeze", "thaw", "signal SIGTERM"]);
  });
  it("a never-started unit has nothing to destroy", async () => {
    const s = state();
    const fs = fakeFs(s);
    await new SystemdCgroupManager(s, fs, { description: "d" }).destroy();
    expect(fs.calls).toEqual([]);
  });
  it("loadCgroupManager reopens a systemd record as a systemd manager, plain records as cgroupfs", () => {
    const m = loadCgroupManager(state());
    expect(m).toBeInstanceOf(SystemdCgroupManager);
    expect(m.state.systemd).toEqual({ unit: "berth-c1.scope", slice: "system.slice" });
    const plain = loadCgroupManager({ layout: "v2", paths: {}, created: [] });
    expect(plain).not.toBeInstanceOf(SystemdCgroupManager);
    expect(plain.state.systemd).toBeUndefined();
  });
});

describe("resolveSystemdCgroup annotations", () => {
  it("validates org.systemd.property.* annotations before anything is made", () => {
    const r = resolveSystemdCgroup(
      { id: "c1", systemd: true, annotations: { "org.systemd.property.CollectMode": "'inactive-or-failed'" } },
      V2,
      true,
    );
    expect(r.extra).toEqual([["CollectMode", { type: "s", value: "inactive-or-failed" }]]);
    expect(() => resolveSystemdCgroup({ id: "c1", systemd: true, annotations: { "org.systemd.property.X": "?" } }, V2, true)).toThrow(
      BerthError,
    );
  });
});
