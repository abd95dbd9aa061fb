// linux.netDevices (runtime-spec 1.3 "Network Devices"): host network devices moved
// into the container's network namespace, renamed when an entry has a `name`. As runc
// 1.3 does it, berth moves them from the host side once the container process has its
// namespaces and before the prestart and createRuntime hooks: each device's permanent
// global addresses are read, it is set down, moved and renamed in one request, the
// addresses are added again in the container's namespace (the kernel drops them on the
// move) and it is set up. Nothing is moved back at delete: when the namespace goes, the
// kernel returns physical devices to the host and destroys virtual ones (the spec says so).

import { closeSync, openSync, statSync } from "node:fs";
import { BerthError } from "../errors.js";
import type { Spec } from "../spec/types.js";
import {
  IFA_F_PERMANENT,
  IFF_UP,
  NetlinkError,
  RT_SCOPE_UNIVERSE,
  RouteSocket,
  formatAddress,
  type Address,
  type Link,
} from "../linux/netlink.js";

export interface NetDeviceMove {
  /** The device's name on the host (the entry's key). */
  host: string;
  /** Its name in the container: `name`, or the host name. May hold one %d, which the kernel fills in. */
  name: string;
  /** The JSON path errors name: linux.netDevices["eth0"] */
  what: string;
}

const OP = "move network device";
const IFNAMSIZ = 16;

/** The kernel's rule for a device name (dev_valid_name): 1 to 15 bytes, not . or .., no /, : or white space. */
export function validDeviceName(name: string): boolean {
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes >= IFNAMSIZ) return false;
  if (name === "." || name === "..") return false;
  return !/[/:\s]/.test(name);
}

/**
 * The moves linux.netDevices asks for, checked: valid names, a network namespace of the
 * container's own (new, or joined by a path that is not berth's own), root. Throws naming
 * the entry.
 */
export function netDeviceMoves(spec: Spec, euid: number): NetDeviceMove[] {
  const entries = Object.entries(spec.linux?.netDevices ?? {});
  if (entries.length === 0) return [];
  const net = (spec.linux?.namespaces ?? []).find((n) => n.type === "network");
  if (net === undefined) {
    throw new BerthError("network devices can only be moved into a network namespace of the container's own", {
      op: "build plan",
      path: "linux.netDevices",
      hint: 'add {"type": "network"} to linux.namespaces',
    });
  }
  if (net.path !== undefined && net.path !== "" && sameNamespace(net.path, "/proc/self/ns/net")) {
    throw new BerthError(
      `the network namespace ${JSON.stringify(net.path)} is berth's own (the host's): the devices would stay where they are`,
      {
        op: "build plan",
        path: "linux.netDevices",
        hint: "give the container a network namespace of its own",
      },
    );
  }
  if (euid !== 0) {
    throw new BerthError("moving network devices needs root", {
      op: "build plan",
      path: "linux.netDevices",
      hint: "run berth as root, or remove linux.netDevices",
    });
  }
  const targets = new Map<string, string>();
  return entries.map(([host, dev]) => {
    const what = `linux.netDevices[${JSON.stringify(host)}]`;
    if (!validDeviceName(host)) {
      throw new BerthError(`invalid network device name ${JSON.stringify(host)}`, {
        op: "build plan",
        path: what,
        hint: "a device name has 1 to 15 bytes, is not . or .., and has no /, : or white space",
      });
    }
    const name = dev?.name === undefined || dev.name === "" ? host : dev.name;
    if (!validDeviceName(name)) {
      throw new BerthError(`invalid network device name ${JSON.stringify(name)}`, {
        op: "build plan",
        path: `${what}.name`,
        hint: "a device name has 1 to 15 bytes, is not . or .., and has no /, : or white space",
      });
    }
    const other = targets.get(name);
    if (other !== undefined && !name.includes("%d")) {
      throw new BerthError(`${JSON.stringify(other)} has the same name in the container, ${JSON.stringify(name)}`, {
        op: "build plan",
        path: `${what}.name`,
        hint: "give each device its own name, or a template with %d",
      });
    }
    targets.set(name, host);
    return { host, name, what };
  });
}

function sameNamespace(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false; // a path that cannot be read fails where the namespace is joined, naming it
  }
}

/** Every device must exist on the host: checked before anything is made. */
export function checkHostDevices(moves: NetDeviceMove[]): void {
  if (moves.length === 0) return;
  const host = openHost();
  try {
    for (const m of moves) {
      if (host.linkByName(m.host) === undefined) {
        throw new BerthError(`no network device ${JSON.stringify(m.host)} on the host`, {
          op: OP,
          path: m.what,
          errno: "ENODEV",
          hint: "name an existing host device (ip link), or remove the entry",
        });
      }
    }
  } finally {
    host.close();
  }
}

/** Move the devices into the network namespace of process `pid` (the container's init). */
export function moveNetDevices(moves: NetDeviceMove[], pid: number): void {
  if (moves.length === 0) return;
  const nsPath = `/proc/${pid}/ns/net`;
  const host = openHost();
  let inside: RouteSocket | undefined;
  let nsFd: number | undefined;
  try {
    nsFd = openNs(nsPath);
    inside = wrap(
      () => RouteSocket.openIn(nsPath),
      "linux.netDevices",
      `open a netlink socket in the container's network namespace ${nsPath}`,
    );
    for (const m of moves) moveOne(host, inside, nsFd, m);
  } finally {
    inside?.close();
    host.close();
    if (nsFd !== undefined) closeFd(nsFd);
  }
}

function moveOne(host: RouteSocket, inside: RouteSocket, nsFd: number, m: NetDeviceMove): void {
  const link = wrap(() => host.linkByName(m.host), m.what, "look it up on the host");
  if (link === undefined) {
    throw new BerthError(`no network device ${JSON.stringify(m.host)} on the host`, {
      op: OP,
      path: m.what,
      errno: "ENODEV",
      hint: "name an existing host device (ip link), or remove the entry",
    });
  }
  // The spec's check that the move is possible. The kernel refuses a taken name too, but
  // only once the device has left the host (it renames after the move), and a device that
  // fails there is lost with the namespace: so look first, while it is still untouched.
  if (!m.name.includes("%d") && wrap(() => inside.linkByName(m.name), m.what, "look for its name in the container") !== undefined) {
    throw new BerthError(`the container's network namespace has a device called ${JSON.stringify(m.name)} already`, {
      op: OP,
      path: m.what,
      errno: "EEXIST",
      hint: HINTS.EEXIST,
    });
  }
  // The addresses first: setting a device down flushes its IPv6 ones (unless the host
  // has keep_addr_on_down), which runc, reading them after, loses.
  const addresses = wrap(() => host.addresses(link.index), m.what, "read its addresses").filter(keepAddress);
  // Down while it changes namespace and name, so nothing on the host uses it half-way.
  try {
    wrap(() => host.setUp(link.index, false), m.what, "set it down on the host");
    wrap(
      () => host.moveTo(link.index, nsFd, m.name),
      m.what,
      `move it into the container's network namespace as ${JSON.stringify(m.name)}`,
    );
  } catch (err) {
    restore(host, link, addresses);
    throw err;
  }
  // The kernel keeps the ifindex unless the namespace has it taken already; then only a
  // name without a template finds the device.
  let moved = wrap(() => inside.linkByIndex(link.index), m.what, "find it in the container");
  if (moved !== undefined && !nameMatches(moved.name, m.name)) moved = undefined;
  if (moved === undefined && !m.name.includes("%d")) moved = wrap(() => inside.linkByName(m.name), m.what, "find it in the container");
  if (moved === undefined) {
    throw new BerthError(`moved, but not found in the container's network namespace as ${JSON.stringify(m.name)}`, {
      op: OP,
      path: m.what,
    });
  }
  const index = moved.index;
  for (const a of addresses) wrap(() => inside.addAddress(index, a), m.what, `add its address ${formatAddress(a)} in the container`);
  wrap(() => inside.setUp(index, true), m.what, "set it up in the container");
}

/** A device the move failed for is still on the host: leave it as it was, up and with its addresses. */
function restore(host: RouteSocket, link: Link, addresses: Address[]): void {
  if ((link.flags & IFF_UP) === 0) return;
  try {
    host.setUp(link.index, true);
    for (const a of addresses) {
      try {
        host.addAddress(link.index, a);
      } catch (e) {
        if (!(e instanceof NetlinkError && e.code === "EEXIST")) throw e;
      }
    }
  } catch {
    /* the move's error is the one to report */
  }
}

/** Whether `name` is `wanted`, or what the kernel makes of the template `wanted` (eth%d → eth0, eth1, …). */
export function nameMatches(name: string, wanted: string): boolean {
  if (!wanted.includes("%d")) return name === wanted;
  const [before, ...after] = wanted.split("%d");
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${esc(before ?? "")}\\d+${esc(after.join("%d"))}$`).test(name);
}

/** As the spec and runc: permanent addresses of global scope move with the device; others are the host's. */
function keepAddress(a: Address): boolean {
  return (a.flags & IFA_F_PERMANENT) !== 0 && a.scope === RT_SCOPE_UNIVERSE;
}

const HINTS: Record<string, string> = {
  EEXIST: "the container's network namespace has a device of that name already: choose another `name`, or a template such as eth%d",
  EINVAL: "the kernel cannot move this device to another network namespace (the loopback device, for one)",
  EOPNOTSUPP: "the kernel cannot move this device to another network namespace",
  EPERM: "berth needs CAP_NET_ADMIN on the host",
};

function wrap<T>(fn: () => T, path: string, doing: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NetlinkError) {
      throw new BerthError(`${doing}: ${err.message}`, { op: OP, path, errno: err.code, cause: err, hint: HINTS[err.code] });
    }
    throw err;
  }
}

function openHost(): RouteSocket {
  return wrap(() => RouteSocket.open(), "linux.netDevices", "open a netlink socket");
}

/** The container's network namespace, as the fd IFLA_NET_NS_FD names. */
function openNs(path: string): number {
  try {
    return openSync(path, "r");
  } catch (err) {
    throw BerthError.fromSys(OP, path, err, "the container process has gone");
  }
}

function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* closed */
  }
}
