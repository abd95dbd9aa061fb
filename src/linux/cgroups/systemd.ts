// The systemd cgroup driver (--systemd-cgroup): systemd owns the container's
// cgroup as a transient scope unit, started over D-Bus with the container's
// first process (berth-init's stage 1) in it, Delegate=yes, accounting on and
// the resource limits as unit properties. The limits are then also written
// through cgroupfs, as with the cgroupfs driver, because systemd cannot
// express all of them; and on cgroup v1 the hierarchies systemd does not
// manage (cpuset, freezer, …) are created and joined through cgroupfs too.
//
// Everything else (joining for exec, freezing, signalling, listing pids)
// works on the unit's cgroup directories exactly as the cgroupfs driver does.
// delete kills what is left, stops the unit (systemd removes its cgroup) and
// removes any directory that remains.
//
// A rootless container's unit is started in its user's own systemd instance
// (state.systemd.user, cgroup v2 only, as runc does), whose subtree of the
// cgroup2 hierarchy (user@<uid>.service) is delegated to the user: the scope's
// directory and files are then the user's, so limits, freezing and cgroup.kill
// work through cgroupfs as for root.
//
// The D-Bus client and the property conversions are loaded only when a unit is
// started, changed or stopped; naming a new unit is newManager.ts's.

import { existsSync, readFileSync } from "node:fs";
import type { Resources } from "../../spec/types.js";
import { BerthError } from "../../errors.js";
import type { SystemdClient } from "../systemd/client.js";
import type { UnitProperty } from "../systemd/properties.js";
import { sleep } from "./files.js";
import type { CgroupManager, CgroupState } from "./types.js";

/** How long destroy() waits for the cgroup to empty after SIGKILL before stopping the unit anyway. */
const KILL_WAIT_MS = 5000;

type ApplyOptions = { update?: boolean; warn?: (msg: string) => void };

export class SystemdCgroupManager implements CgroupManager {
  readonly state: CgroupState;
  /** linux.resources given before the unit exists: sent as unit properties, then written through cgroupfs. */
  private pending: { resources: Resources | undefined; opts: ApplyOptions } | undefined;
  /** Whether this manager is creating the unit (start() not yet called). */
  private beforeStart: boolean;
  /** Whether StartTransientUnit was sent (so destroy() must stop the unit). */
  private startSent = false;

  /**
   * `fs` is the cgroupfs manager over the same state object. `unitSpec` is given
   * for a new container: the unit's Description and the extra properties
   * (from annotations) to start it with. Omit it to reopen an existing one.
   */
  constructor(
    state: CgroupState,
    private readonly fs: CgroupManager,
    private readonly unitSpec?: { description: string; extra?: UnitProperty[] },
  ) {
    if (state.systemd === undefined) throw new BerthError("SystemdCgroupManager needs state.systemd", { op: "systemd cgroup" });
    if (fs.state !== state)
      throw new BerthError("SystemdCgroupManager and its cgroupfs manager must share one state", { op: "systemd cgroup" });
    this.state = state;
    this.beforeStart = unitSpec !== undefined;
  }

  private get unit(): string {
    return this.state.systemd!.unit;
  }

  private async connect(): Promise<SystemdClient> {
    const { SystemdClient } = await import("../systemd/client.js");
    return SystemdClient.connectTo(this.state.systemd!.user === true ? "user" : "system");
  }

  /** Nothing to do yet: systemd creates the cgroup when the unit starts with its first process (start()). */
  create(): void {}

  async apply(resources: Resources | undefined, opts: ApplyOptions = {}): Promise<void> {
    if (this.beforeStart) {
      const { resourceProperties } = await import("../systemd/properties.js");
      // Check now what start() will convert (e.g. a swap limit below the memory
      // limit), so a bad config fails before any process or unit exists.
      resourceProperties({
        cgroupVersion: this.state.layout === "v2" ? 2 : 1,
        systemdVersion: Number.MAX_SAFE_INTEGER,
        resources: { ...resources, devices: undefined },
      });
      this.pending = { resources, opts };
      return;
    }
    await this.fs.apply(resources, opts);
  }

  /**
   * Start the unit with `pid` in it and wait until systemd reports it started;
   * then create and join, through cgroupfs, whatever hierarchy systemd left
   * out, and write the resources apply() was given.
   */
  async start(pid: number): Promise<void> {
    if (!this.beforeStart) throw new BerthError("the unit was started already", { op: "systemd cgroup" });
    const resources = this.pending?.resources;
    const warn = this.pending?.opts.warn;
    const { parseProcDevices, unitProperties } = await import("../systemd/properties.js");
    const client = await this.connect();
    try {
      const systemdVersion = await client.version();
      const props = unitProperties({
        place: { slice: this.state.systemd!.slice, unit: this.unit, cgroup: "" },
        description: this.unitSpec?.description ?? this.unit,
        pid,
        cgroupVersion: this.state.layout === "v2" ? 2 : 1,
        systemdVersion,
        resources,
        deviceName: deviceNames(parseProcDevices),
        warn,
      });
      // Annotations come after berth's own properties, so they can override them.
      props.push(...(this.unitSpec?.extra ?? []));
      this.startSent = true;
      await client.startTransientUnit(this.unit, props);
    } finally {
      client.close();
    }
    this.beforeStart = false;
    // systemd made the unit's directories where it manages the hierarchy; the
    // others (v1 controllers without systemd support) are made here. Either
    // way every leaf belongs to this container and goes on delete.
    this.fs.create();
    for (const dir of new Set(Object.values(this.state.paths))) {
      if (!this.state.created.includes(dir)) this.state.created.push(dir);
    }
    this.fs.enter(pid);
    await this.fs.apply(resources, this.pending?.opts ?? {});
  }

  /** Set the unit's resource properties to `resources` (device rules are left as they are, as update leaves them). */
  async updateUnit(resources: Resources): Promise<void> {
    const { resourceProperties } = await import("../systemd/properties.js");
    const client = await this.connect();
    try {
      const props = resourceProperties({
        cgroupVersion: this.state.layout === "v2" ? 2 : 1,
        systemdVersion: await client.version(),
        resources: { ...resources, devices: undefined },
      });
      await client.setUnitProperties(this.unit, props);
    } finally {
      client.close();
    }
  }

  enter(pid: number, initPid?: number): void {
    this.fs.enter(pid, initPid);
  }

  enterDir(dir: string, pid: number): void {
    this.fs.enterDir(dir, pid);
  }

  /** Have systemd move `pid` into the unit (for a caller that may not write its cgroup.procs). */
  async attach(pid: number): Promise<void> {
    const client = await this.connect();
    try {
      await client.attachProcesses(this.unit, [pid]);
    } finally {
      client.close();
    }
  }

  /** berth-init is in the unit's cgroup before it gets its plan, and its children inherit it. */
  selfEntry(): { tasks: string[]; into?: string } {
    return { tasks: [] };
  }

  pids(): number[] {
    return this.fs.pids();
  }

  isFrozen(): boolean {
    return this.fs.isFrozen();
  }

  freeze(): void {
    this.fs.freeze();
  }

  thaw(): void {
    this.fs.thaw();
  }

  signalAll(signal: NodeJS.Signals | number): void {
    this.fs.signalAll(signal);
  }

  async destroy(): Promise<void> {
    // A container whose unit was never asked for has nothing in systemd.
    if (this.unitSpec !== undefined && !this.startSent && this.state.created.length === 0) return;
    // Kill through cgroupfs first: stopping the unit would otherwise send
    // SIGTERM and wait systemd's stop timeout for processes that ignore it.
    const deadline = Date.now() + KILL_WAIT_MS;
    while (this.fs.pids().length > 0 && Date.now() < deadline) {
      this.fs.signalAll("SIGKILL");
      await sleep(20);
    }
    let stopError: unknown;
    try {
      const client = await this.connect();
      try {
        await client.stopUnit(this.unit);
      } finally {
        client.close();
      }
    } catch (err) {
      stopError = err;
    }
    await this.fs.destroy();
    if (stopError !== undefined && Object.values(this.state.paths).some((d) => existsSync(d))) {
      throw BerthError.fromSys("stop systemd unit", this.unit, stopError);
    }
  }
}

/** Driver names by major number from /proc/devices (for DeviceAllow "char-<name>" entries). */
function deviceNames(
  parseProcDevices: (text: string) => (type: "c" | "b", major: number) => string | undefined,
): (type: "c" | "b", major: number) => string | undefined {
  let lookup: ((type: "c" | "b", major: number) => string | undefined) | undefined;
  return (type, major) => {
    if (lookup === undefined) {
      try {
        lookup = parseProcDevices(readFileSync("/proc/devices", "utf8"));
      } catch {
        lookup = () => undefined;
      }
    }
    return lookup(type, major);
  };
}
