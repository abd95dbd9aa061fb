// The calls the systemd cgroup driver makes to systemd's manager object over
// D-Bus: start a transient unit and wait for its job, stop a unit and wait,
// reset a failed unit, set properties on a live unit, read the version.
//
// The system instance: the system bus is tried first (/run/dbus/system_bus_socket,
// or the unix path in DBUS_SYSTEM_BUS_ADDRESS), then systemd's private socket
// /run/systemd/private, which root may use when no bus daemon runs.
//
// A user's own instance (user@<uid>.service, for a rootless caller, as runc's
// rootless systemd driver): the user's bus (the unix path in
// DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus), then that instance's
// private socket $XDG_RUNTIME_DIR/systemd/private, which `systemctl --user` uses
// when no user bus runs. Either way berth authenticates as its own uid, as the
// initial user namespace sees it (its uid outside a user namespace it runs in:
// rootless podman runs its runtime as root in one).

import { BerthError } from "../../errors.js";
import { outerUid } from "../userns.js";
import { DBusConnection, DBusError, type SignalQueue } from "./dbusConnection.js";
import type { Message } from "./dbusWire.js";
import { parseSystemdVersion, type UnitProperty } from "./properties.js";

export const SYSTEMD_NAME = "org.freedesktop.systemd1";
export const SYSTEMD_PATH = "/org/freedesktop/systemd1";
export const MANAGER_IFACE = "org.freedesktop.systemd1.Manager";
export const SYSTEM_BUS_SOCKET = "/run/dbus/system_bus_socket";
export const SYSTEMD_PRIVATE_SOCKET = "/run/systemd/private";

/** How long a start or stop job may take (runc waits as long). */
const JOB_TIMEOUT_MS = 30_000;

/** Socket paths to try, in order: the system bus (from the environment or the default), then the private socket. */
export function busCandidates(env: NodeJS.ProcessEnv = process.env): { path: string; bus: boolean }[] {
  const out: { path: string; bus: boolean }[] = [];
  for (const addr of (env.DBUS_SYSTEM_BUS_ADDRESS ?? "").split(";")) {
    const m = /^unix:(?:.*,)?path=([^,]+)/.exec(addr);
    if (m !== null) out.push({ path: decodeURIComponent(m[1]!), bus: true });
  }
  if (!out.some((c) => c.path === SYSTEM_BUS_SOCKET)) out.push({ path: SYSTEM_BUS_SOCKET, bus: true });
  out.push({ path: SYSTEMD_PRIVATE_SOCKET, bus: false });
  return out;
}

/** Sockets of the caller's own systemd instance, in order: the user's bus, then the instance's private socket. */
export function userBusCandidates(
  env: NodeJS.ProcessEnv = process.env,
  uid: number = process.getuid?.() ?? 0,
): { path: string; bus: boolean }[] {
  const out: { path: string; bus: boolean }[] = [];
  for (const addr of (env.DBUS_SESSION_BUS_ADDRESS ?? "").split(";")) {
    const m = /^unix:(?:.*,)?path=([^,]+)/.exec(addr);
    if (m !== null) out.push({ path: decodeURIComponent(m[1]!), bus: true });
  }
  const xdg = env.XDG_RUNTIME_DIR !== undefined && env.XDG_RUNTIME_DIR !== "" ? env.XDG_RUNTIME_DIR : `/run/user/${uid}`;
  const bus = `${xdg}/bus`;
  if (!out.some((c) => c.path === bus)) out.push({ path: bus, bus: true });
  out.push({ path: `${xdg}/systemd/private`, bus: false });
  return out;
}

/** Which systemd instance a container's unit lives in: the system's, or its (rootless) user's. */
export type SystemdInstance = "system" | "user";

const UNREACHABLE_HINT: Record<SystemdInstance, string> = {
  system: "start dbus (systemctl start dbus) or run as root so /run/systemd/private is usable",
  user:
    "a rootless --systemd-cgroup needs the user's systemd instance (log in, or `loginctl enable-linger <user>`), " +
    "with XDG_RUNTIME_DIR set (and its bus: apt-get install dbus-user-session); or drop --systemd-cgroup",
};

export class SystemdClient {
  private constructor(
    private readonly conn: DBusConnection,
    private readonly jobs: SignalQueue,
  ) {}

  /** Connect to the system instance, or to the caller's own user instance. */
  static async connectTo(instance: SystemdInstance): Promise<SystemdClient> {
    return SystemdClient.connect(instance === "user" ? userBusCandidates() : busCandidates(), instance);
  }

  /** Connect to the first of `candidates` (default: busCandidates()) that answers. */
  static async connect(
    candidates: { path: string; bus: boolean }[] = busCandidates(),
    instance: SystemdInstance = "system",
  ): Promise<SystemdClient> {
    const errors: string[] = [];
    for (const c of candidates) {
      let conn: DBusConnection;
      try {
        conn = await DBusConnection.connect({ path: c.path, bus: c.bus, timeoutMs: 10_000, uid: outerUid() });
      } catch (err) {
        errors.push(`${c.path}: ${(err as Error).message}`);
        continue;
      }
      const jobs = conn.signals((m) => m.interface === MANAGER_IFACE && m.member === "JobRemoved");
      try {
        if (c.bus) {
          await conn.addMatch(
            `type='signal',sender='${SYSTEMD_NAME}',path='${SYSTEMD_PATH}',interface='${MANAGER_IFACE}',member='JobRemoved'`,
          );
        }
        // systemd sends job signals only while some client is subscribed.
        await conn.call({ ...managerCall("Subscribe") }).catch((err: unknown) => {
          if (!(err instanceof DBusError)) throw err;
        });
      } catch (err) {
        conn.close();
        errors.push(`${c.path}: ${(err as Error).message}`);
        continue;
      }
      return new SystemdClient(conn, jobs);
    }
    const which = instance === "user" ? `the user's systemd instance (uid ${outerUid()})` : "systemd";
    throw new BerthError(`cannot reach ${which} over D-Bus (${errors.join("; ")})`, {
      op: "connect to systemd",
      path: "--systemd-cgroup",
      hint: UNREACHABLE_HINT[instance],
    });
  }

  close(): void {
    this.jobs.close();
    this.conn.close();
  }

  /** systemd's version number (0 when it cannot be read). */
  async version(): Promise<number> {
    try {
      const v = await this.managerProperty("Version");
      return typeof v === "string" ? parseSystemdVersion(v) : 0;
    } catch {
      return 0;
    }
  }

  /**
   * The cgroup the manager itself runs in ("/" for the system instance;
   * "/user.slice/user-1000.slice/user@1000.service" for a user's): its units'
   * cgroups lie below it.
   */
  async controlGroup(): Promise<string> {
    const v = await this.managerProperty("ControlGroup");
    if (typeof v !== "string" || !v.startsWith("/")) {
      throw new BerthError(`systemd reported no usable ControlGroup (${JSON.stringify(v)})`, {
        op: "connect to systemd",
        path: "--systemd-cgroup",
        hint: "systemd's manager must run on a cgroup2 hierarchy it owns",
      });
    }
    return v;
  }

  /**
   * Ask systemd to move `pids` into `unit`'s cgroup (AttachProcessesToUnit, systemd 238+). A
   * user's instance may do so where its user could not write cgroup.procs itself: it asks
   * the system instance in turn.
   */
  async attachProcesses(unit: string, pids: number[]): Promise<void> {
    await this.call("AttachProcessesToUnit", "ssau", [unit, "", pids], unit);
  }

  private async managerProperty(name: string): Promise<unknown> {
    const reply = await this.conn.call({
      destination: SYSTEMD_NAME,
      path: SYSTEMD_PATH,
      interface: "org.freedesktop.DBus.Properties",
      member: "Get",
      signature: "ss",
      body: [MANAGER_IFACE, name],
    });
    return (reply.body[0] as { value: unknown } | undefined)?.value;
  }

  /** Start a transient unit with `props` and wait until its start job is done. */
  async startTransientUnit(unit: string, props: UnitProperty[]): Promise<void> {
    let reply: Message;
    try {
      reply = await this.call("StartTransientUnit", "ssa(sv)a(sa(sv))", [unit, "replace", props, []], unit);
    } catch (err) {
      if (!(err instanceof DBusError) || err.errorName !== "org.freedesktop.systemd1.UnitExists") throw err;
      // A failed unit of the same name lingers until reset; an active one is someone else's.
      await this.resetFailedUnit(unit);
      try {
        reply = await this.call("StartTransientUnit", "ssa(sv)a(sa(sv))", [unit, "replace", props, []], unit);
      } catch (again) {
        if (again instanceof DBusError && again.errorName === "org.freedesktop.systemd1.UnitExists") {
          throw new BerthError(`systemd unit ${unit} already exists`, {
            op: "start systemd unit",
            path: unit,
            hint: `another container (or a leftover) uses it: delete that container or run \`systemctl stop ${unit}\``,
          });
        }
        throw again;
      }
    }
    const result = await this.waitJob(reply.body[0] as string, unit, "start");
    if (result !== "done") {
      await this.resetFailedUnit(unit);
      throw new BerthError(`systemd could not start ${unit}: job result "${result}"`, {
        op: "start systemd unit",
        path: unit,
        hint: `see \`journalctl -u ${unit}\``,
      });
    }
  }

  /** Stop a unit and wait for the stop job; a unit that no longer exists is already stopped. */
  async stopUnit(unit: string): Promise<void> {
    let reply: Message;
    try {
      reply = await this.call("StopUnit", "ss", [unit, "replace"], unit);
    } catch (err) {
      if (err instanceof DBusError && err.errorName === "org.freedesktop.systemd1.NoSuchUnit") return;
      throw err;
    }
    await this.waitJob(reply.body[0] as string, unit, "stop");
    await this.resetFailedUnit(unit);
  }

  /** Forget a failed unit so its name can be used again (errors are ignored: it may be gone). */
  async resetFailedUnit(unit: string): Promise<void> {
    try {
      await this.call("ResetFailedUnit", "s", [unit], unit);
    } catch {
      // not failed, or already gone
    }
  }

  /** Change properties of a live unit (runtime only, as runc does). */
  async setUnitProperties(unit: string, props: UnitProperty[]): Promise<void> {
    if (props.length === 0) return;
    await this.call("SetUnitProperties", "sba(sv)", [unit, true, props], unit);
  }

  private async waitJob(job: string, unit: string, what: string): Promise<string> {
    const m = await this.jobs.next((s) => s.body[1] === job, JOB_TIMEOUT_MS, `systemd to ${what} ${unit}`);
    return m.body[3] as string;
  }

  private call(member: string, signature: string, body: Message["body"], unit: string): Promise<Message> {
    return this.conn.call({ ...managerCall(member), signature, body }).catch((err: unknown) => {
      if (err instanceof DBusError) {
        throw new DBusError(err.errorName, err.text, `systemd ${member}`, unit);
      }
      throw err;
    });
  }
}

function managerCall(member: string) {
  return { destination: SYSTEMD_NAME, path: SYSTEMD_PATH, interface: MANAGER_IFACE, member };
}
