// SystemdClient and SystemdCgroupManager's D-Bus side against a stand-in for
// systemd's manager object, served on a private dbus-daemon under the name
// org.freedesktop.systemd1. It answers StartTransientUnit/StopUnit with a job
// path and announces the job's end with JobRemoved, as systemd does.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BerthError } from "../../errors.js";
import { SystemdCgroupManager } from "../cgroups/systemd.js";
import type { CgroupManager, CgroupState } from "../cgroups/types.js";
import { DBUS_NAME, DBUS_PATH, DBusConnection, DBusError } from "./dbusConnection.js";
import type { DBusValue, Message, Variant } from "./dbusWire.js";
import { busCandidates, userBusCandidates, MANAGER_IFACE, SYSTEMD_NAME, SYSTEMD_PATH, SystemdClient } from "./client.js";
import { needs } from "../../../test/helpers/host.js";
import { startPrivateBus, type PrivateBus } from "./privateBus.testutil.js";

interface FakeSystemd {
  conn: DBusConnection;
  units: Map<string, Record<string, Variant>>;
  calls: string[];
  /** Job result to report for the next start ("done" by default). */
  nextResult: string;
  /** Announce JobRemoved before replying (the race a client must survive). */
  signalFirst: boolean;
}

async function startFakeSystemd(socketPath: string): Promise<FakeSystemd> {
  const conn = await DBusConnection.connect({ path: socketPath, bus: true });
  const fake: FakeSystemd = { conn, units: new Map(), calls: [], nextResult: "done", signalFirst: false };
  let jobId = 0;
  const job = (unit: string, result: string) => {
    const id = ++jobId;
    const path = `${SYSTEMD_PATH}/job/${id}`;
    const emit = () =>
      conn.emitSignal({
        path: SYSTEMD_PATH,
        interface: MANAGER_IFACE,
        member: "JobRemoved",
        signature: "uoss",
        body: [id, path, unit, result],
      });
    if (fake.signalFirst) emit();
    else setTimeout(emit, 5);
    return { signature: "o", body: [path] as DBusValue[] };
  };
  conn.serve((m: Message) => {
    fake.calls.push(m.member!);
    if (m.interface === "org.freedesktop.DBus.Properties" && m.member === "Get") {
      if (m.body[1] === "ControlGroup") return { signature: "v", body: [{ type: "s", value: "/user.slice/user-7.slice/user@7.service" }] };
      return { signature: "v", body: [{ type: "s", value: "252.22-1~deb12u1" }] };
    }
    switch (m.member) {
      case "Subscribe":
      case "ResetFailedUnit":
        return undefined;
      case "StartTransientUnit": {
        const [unit, mode, props] = m.body as [string, string, [string, Variant][]];
        expect(m.signature).toBe("ssa(sv)a(sa(sv))");
        expect(mode).toBe("replace");
        if (fake.units.has(unit))
          throw new DBusError("org.freedesktop.systemd1.UnitExists", `Unit ${unit} was already loaded or has a fragment file.`, "fake");
        const result = fake.nextResult;
        fake.nextResult = "done";
        if (result === "done") fake.units.set(unit, Object.fromEntries(props));
        return job(unit, result);
      }
      case "SetUnitProperties": {
        const [unit, runtime, props] = m.body as [string, boolean, [string, Variant][]];
        expect(m.signature).toBe("sba(sv)");
        expect(runtime).toBe(true);
        const u = fake.units.get(unit);
        if (u === undefined) throw new DBusError("org.freedesktop.systemd1.NoSuchUnit", `Unit ${unit} not loaded.`, "fake");
        Object.assign(u, Object.fromEntries(props));
        return undefined;
      }
      case "AttachProcessesToUnit": {
        const [unit, sub, pids] = m.body as [string, string, number[]];
        expect(m.signature).toBe("ssau");
        const u = fake.units.get(unit);
        if (u === undefined) throw new DBusError("org.freedesktop.systemd1.NoSuchUnit", `Unit ${unit} not loaded.`, "fake");
        u.attached = { type: "s", value: `${sub}:${pids.join(",")}` };
        return undefined;
      }
      case "StopUnit": {
        const [unit] = m.body as [string];
        if (!fake.units.delete(unit)) throw new DBusError("org.freedesktop.systemd1.NoSuchUnit", `Unit ${unit} not loaded.`, "fake");
        return job(unit, "done");
      }
      default:
        throw new DBusError("org.freedesktop.DBus.Error.UnknownMethod", `no ${m.member}`, "fake");
    }
  });
  const r = await conn.call({
    destination: DBUS_NAME,
    path: DBUS_PATH,
    interface: DBUS_NAME,
    member: "RequestName",
    signature: "su",
    body: [SYSTEMD_NAME, 4],
  });
  expect(r.body).toEqual([1]);
  return fake;
}

describe("busCandidates", () => {
  it("tries DBUS_SYSTEM_BUS_ADDRESS, the system bus, then systemd's private socket", () => {
    expect(busCandidates({ DBUS_SYSTEM_BUS_ADDRESS: "unix:path=/x/bus,guid=abc;tcp:host=h" })).toEqual([
      { path: "/x/bus", bus: true },
      { path: "/run/dbus/system_bus_socket", bus: true },
      { path: "/run/systemd/private", bus: false },
    ]);
    expect(busCandidates({})).toEqual([
      { path: "/run/dbus/system_bus_socket", bus: true },
      { path: "/run/systemd/private", bus: false },
    ]);
  });
});

describe("userBusCandidates", () => {
  it("tries DBUS_SESSION_BUS_ADDRESS, $XDG_RUNTIME_DIR/bus, then the user instance's private socket", () => {
    expect(userBusCandidates({ DBUS_SESSION_BUS_ADDRESS: "unix:path=/x/b%2cus,guid=1", XDG_RUNTIME_DIR: "/run/user/7" }, 7)).toEqual([
      { path: "/x/b,us", bus: true },
      { path: "/run/user/7/bus", bus: true },
      { path: "/run/user/7/systemd/private", bus: false },
    ]);
    // the same socket is not tried twice; a non-unix address is not usable
    expect(userBusCandidates({ DBUS_SESSION_BUS_ADDRESS: "unix:path=/r/bus;tcp:host=h", XDG_RUNTIME_DIR: "/r" }, 7)).toEqual([
      { path: "/r/bus", bus: true },
      { path: "/r/systemd/private", bus: false },
    ]);
  });
  it("without XDG_RUNTIME_DIR: systemd's runtime directory of the caller's uid", () => {
    expect(userBusCandidates({}, 1000)).toEqual([
      { path: "/run/user/1000/bus", bus: true },
      { path: "/run/user/1000/systemd/private", bus: false },
    ]);
    expect(userBusCandidates({ XDG_RUNTIME_DIR: "" }, 1000)[0]).toEqual({ path: "/run/user/1000/bus", bus: true });
  });
});

needs("dbus-daemon").describe("SystemdClient against a stand-in systemd on a private bus", () => {
  let bus: PrivateBus | undefined;
  let fake: FakeSystemd;
  const savedAddress = process.env.DBUS_SYSTEM_BUS_ADDRESS;

  beforeAll(async () => {
    bus = await startPrivateBus();
    process.env.DBUS_SYSTEM_BUS_ADDRESS = `unix:path=${bus.socketPath}`;
    fake = await startFakeSystemd(bus.socketPath);
  });

  afterAll(async () => {
    try {
      fake?.conn.close();
    } finally {
      await bus?.stop();
      if (savedAddress === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
      else process.env.DBUS_SYSTEM_BUS_ADDRESS = savedAddress;
    }
  });

  afterEach(() => {
    fake.units.clear();
    fake.calls.length = 0;
    fake.signalFirst = false;
  });

  it("subscribes, reads the version, starts a unit and waits for its job", async () => {
    const c = await SystemdClient.connect();
    try {
      expect(await c.version()).toBe(252);
      await c.startTransientUnit("berth-a.scope", [
        ["PIDs", { type: "au", value: [123] }],
        ["Delegate", { type: "b", value: true }],
      ]);
      expect(fake.units.get("berth-a.scope")).toEqual({ PIDs: { type: "au", value: [123] }, Delegate: { type: "b", value: true } });
      expect(fake.calls.slice(0, 3)).toEqual(["Subscribe", "Get", "StartTransientUnit"]);
    } finally {
      c.close();
    }
  });

  it("a user's instance: reached at DBUS_SESSION_BUS_ADDRESS; its cgroup; a process attached to a unit", async () => {
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    try {
      const c = await SystemdClient.connectTo("user");
      try {
        expect(await c.controlGroup()).toBe("/user.slice/user-7.slice/user@7.service");
        await c.startTransientUnit("berth-u.scope", []);
        await c.attachProcesses("berth-u.scope", [42]);
        expect(fake.units.get("berth-u.scope")?.attached).toEqual({ type: "s", value: ":42" });
      } finally {
        c.close();
      }
    } finally {
      if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    }
  });

  it("no user instance answers: the error names --systemd-cgroup and how to get one", async () => {
    const err = await SystemdClient.connect([{ path: "/nonexistent/bus", bus: true }], "user").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).path).toBe("--systemd-cgroup");
    expect((err as BerthError).message).toMatch(/cannot reach the user's systemd instance \(uid \d+\)/);
    expect((err as BerthError).hint).toMatch(/enable-linger/);
  });

  it("sees a JobRemoved that arrives before the reply carrying the job path", async () => {
    fake.signalFirst = true;
    const c = await SystemdClient.connect();
    try {
      await c.startTransientUnit("berth-b.scope", []);
      await c.stopUnit("berth-b.scope");
      expect(fake.units.has("berth-b.scope")).toBe(false);
    } finally {
      c.close();
    }
  });

  it("a failed job is an error naming the unit and the result", async () => {
    fake.nextResult = "failed";
    const c = await SystemdClient.connect();
    try {
      const err = await c.startTransientUnit("berth-c.scope", []).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BerthError);
      expect((err as BerthError).message).toContain("berth-c.scope");
      expect((err as BerthError).message).toContain('"failed"');
      expect(fake.calls).toContain("ResetFailedUnit");
    } finally {
      c.close();
    }
  });

  it("an existing unit of the same name is reset once, then reported", async () => {
    fake.units.set("berth-d.scope", {});
    const c = await SystemdClient.connect();
    try {
      const err = await c.startTransientUnit("berth-d.scope", []).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BerthError);
      expect((err as BerthError).message).toContain("already exists");
      expect(fake.calls.filter((x) => x === "StartTransientUnit")).toHaveLength(2);
    } finally {
      c.close();
    }
  });

  it("stopping a unit that is gone succeeds", async () => {
    const c = await SystemdClient.connect();
    try {
      await c.stopUnit("berth-nothing.scope");
    } finally {
      c.close();
    }
  });

  it("SystemdCgroupManager: start() sends the unit with the pid and limits, then cgroupfs; destroy() stops it", async () => {
    const state: CgroupState = {
      layout: "v2",
      paths: { unified: "/sys/fs/cgroup/system.slice/berth-e.scope" },
      created: [],
      systemd: { unit: "berth-e.scope", slice: "system.slice" },
    };
    const fsCalls: string[] = [];
    const fs: CgroupManager = {
      state,
      create: () => fsCalls.push("create"),
      apply: async (r) => {
        fsCalls.push(`apply ${JSON.stringify(r)}`);
      },
      enter: (pid) => fsCalls.push(`enter ${pid}`),
      enterDir: () => undefined,
      selfEntry: () => ({ tasks: [] }),
      pids: () => [],
      isFrozen: () => false,
      freeze: () => undefined,
      thaw: () => undefined,
      signalAll: () => undefined,
      destroy: async () => {
        fsCalls.push("destroy");
      },
    };
    const m = new SystemdCgroupManager(state, fs, {
      description: "berth container e",
      extra: [["CollectMode", { type: "s", value: "inactive-or-failed" }]],
    });
    await m.apply({ pids: { limit: 9 }, memory: { limit: 1 << 20 } });
    await m.start(4242);
    const props = fake.units.get("berth-e.scope")!;
    expect(props["Description"]).toEqual({ type: "s", value: "berth container e" });
    expect(props["PIDs"]).toEqual({ type: "au", value: [4242] });
    expect(props["Slice"]).toEqual({ type: "s", value: "system.slice" });
    expect(props["TasksMax"]).toEqual({ type: "t", value: 9n });
    expect(props["MemoryMax"]).toEqual({ type: "t", value: 1048576n });
    expect(props["CollectMode"]).toEqual({ type: "s", value: "inactive-or-failed" });
    expect(fsCalls).toEqual(["create", "enter 4242", 'apply {"pids":{"limit":9},"memory":{"limit":1048576}}']);
    // The unit's directory is the container's own: delete removes it.
    expect(state.created).toEqual(["/sys/fs/cgroup/system.slice/berth-e.scope"]);
    // An update changes the unit's own copy of the limits too (device rules stay).
    await m.updateUnit({ pids: { limit: 20 }, memory: { limit: 2 << 20 }, devices: [{ allow: false }] });
    expect(fake.units.get("berth-e.scope")!["TasksMax"]).toEqual({ type: "t", value: 20n });
    expect(fake.units.get("berth-e.scope")!["MemoryMax"]).toEqual({ type: "t", value: 2097152n });
    expect(fake.units.get("berth-e.scope")!["DevicePolicy"]).toBeUndefined();
    await m.destroy();
    expect(fake.units.has("berth-e.scope")).toBe(false);
    expect(fsCalls.at(-1)).toBe("destroy");
  });
});
