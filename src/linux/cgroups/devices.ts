// Device cgroup rules: what the container may open (linux.resources.devices),
// enforced through the v1 devices controller or a cgroup v2 eBPF program.
//
// The rule list follows runc: everything starts denied, the config's rules
// apply in order, and then runc's default rules are appended (mknod of any
// char/block device, null, random, full, tty, zero, urandom, /dev/pts/*,
// /dev/ptmx and tun). A default device whose path linux.devices also lists
// loses its default rule, and linux.devices entries add no rules of their own:
// access to them comes from linux.resources.devices, as with runc.

import { BerthError } from "../../errors.js";
import type { DeviceCgroup, Linux } from "../../spec/types.js";
import type { CgroupState } from "./types.js";
import { runningInUserNs } from "../userns.js";
import {
  accessMask,
  accessString,
  DeviceEmulator,
  DeviceRuleError,
  ruleString,
  WILDCARD,
  type DevRule,
  type DevType,
} from "./devicesEmulator.js";
import { applyDevicesV1 } from "./devicesV1.js";
import { applyDevicesV2 } from "./devicesV2.js";

export type { DevRule } from "./devicesEmulator.js";

interface DefaultRule {
  path?: string;
  rule: DeviceCgroup;
}

const rwm = (major: number, minor?: number): DeviceCgroup =>
  minor === undefined ? { allow: true, type: "c", major, access: "rwm" } : { allow: true, type: "c", major, minor, access: "rwm" };

/** runc's default rules, in runc's order. Those with a path give way to a linux.devices entry at that path. */
const DEFAULT_RULES: readonly DefaultRule[] = Object.freeze([
  { rule: { allow: true, type: "c", access: "m" } },
  { rule: { allow: true, type: "b", access: "m" } },
  { path: "/dev/null", rule: rwm(1, 3) },
  { path: "/dev/random", rule: rwm(1, 8) },
  { path: "/dev/full", rule: rwm(1, 7) },
  { path: "/dev/tty", rule: rwm(5, 0) },
  { path: "/dev/zero", rule: rwm(1, 5) },
  { path: "/dev/urandom", rule: rwm(1, 9) },
  { rule: rwm(136) }, // /dev/pts/*
  { rule: rwm(5, 2) }, // /dev/ptmx
  { rule: rwm(10, 200) }, // /dev/net/tun
]);

const MAX_DEV = 0xffffffff;

/**
 * Throw a BerthError naming `linux.resources.devices[i].<field>` for the first
 * rule runc would refuse: a type other than "a", "b" or "c", an access with none
 * of the letters r, w and m (others are ignored, as runc ignores them), or a
 * major/minor that is not a device number (-1 is accepted as "any", as runc reads it).
 */
export function checkDeviceRules(rules: readonly DeviceCgroup[] | undefined, base = "linux.resources.devices"): void {
  (rules ?? []).forEach((r, i) => {
    const at = `${base}[${i}]`;
    const bad = (field: string, detail: string, hint: string): never => {
      throw new BerthError(detail, { op: "validate", path: `${at}${field}`, hint });
    };
    if (r === null || typeof r !== "object")
      bad("", "a device rule must be an object", 'use {"allow": false, "access": "rwm"} and the like');
    if (typeof r.allow !== "boolean") bad(".allow", "must be true or false", "say whether the rule allows or denies access");
    if (r.type !== undefined && r.type !== "a" && r.type !== "b" && r.type !== "c") {
      bad(".type", `unknown device cgroup type ${JSON.stringify(r.type)}`, 'use "a" (all devices), "c" (character) or "b" (block)');
    }
    for (const f of ["major", "minor"] as const) {
      const v = r[f];
      if (v === undefined || v === null) continue;
      if (typeof v !== "number" || !Number.isInteger(v) || v < WILDCARD || v > MAX_DEV) {
        bad(
          `.${f}`,
          `${JSON.stringify(v)} is not a device ${f} number`,
          `use a number from 0 to ${MAX_DEV}, or leave ${f} out to match any`,
        );
      }
    }
    if (typeof r.access !== "string" || r.access === "") {
      bad(".access", "device access must not be empty", 'use a combination of "r" (read), "w" (write) and "m" (mknod)');
    } else if (accessMask(r.access) === 0) {
      bad(".access", `access ${JSON.stringify(r.access)} has none of r, w and m`, 'use "r" (read), "w" (write) and "m" (mknod)');
    }
  });
}

/**
 * The complete rule list berth enforces for a container: the config's rules
 * followed by runc's defaults (minus those for paths linux.devices redefines).
 * Validates the config's rules (checkDeviceRules) and that the list can be
 * enforced as written.
 */
export function effectiveDeviceRules(linux: Linux | undefined): DeviceCgroup[] {
  const own = linux?.resources?.devices ?? [];
  checkDeviceRules(own);
  const redefined = new Set((linux?.devices ?? []).map((d) => d?.path));
  // Letters other than r, w and m are dropped, as runc does ("rwa" is "rw").
  const out: DeviceCgroup[] = own.map((r) => ({ ...r, type: r.type ?? "a", access: accessString(accessMask(r.access ?? "")) }));
  for (const d of DEFAULT_RULES) {
    if (d.path === undefined || !redefined.has(d.path)) out.push({ ...d.rule });
  }
  const emu = new DeviceEmulator();
  toDevRules(out).forEach((r, i) => {
    try {
      emu.apply(r);
    } catch (err) {
      if (!(err instanceof DeviceRuleError)) throw err;
      throw new BerthError(err.detail, {
        op: "validate",
        path: i < own.length ? `linux.resources.devices[${i}]` : `linux.resources.devices (default rule ${ruleString(r)})`,
        hint: "the devices cgroup cannot deny part of what a wildcard rule allows; narrow the wildcard rule instead",
      });
    }
  });
  return out;
}

function num(v: number | undefined | null): number {
  return v === undefined || v === null || v < 0 ? WILDCARD : v;
}

/** Spec rules → the normalised form (absent type is "a", absent major/minor the wildcard). */
export function toDevRules(rules: readonly DeviceCgroup[]): DevRule[] {
  return rules.map((r) => ({
    type: (r.type ?? "a") as DevType,
    major: num(r.major),
    minor: num(r.minor),
    access: accessMask(r.access ?? ""),
    allow: r.allow,
  }));
}

let inUserNs: boolean | undefined;

/** Whether berth itself runs in a user namespace (then, as with runc, device rules are left to the parent). */
function berthInUserNs(): boolean {
  inUserNs ??= runningInUserNs();
  return inUserNs;
}

/**
 * Enforce `rules` (normally effectiveDeviceRules(spec.linux)) on a container's
 * cgroup: through the v1 devices controller where it is mounted (v1 and hybrid
 * layouts), or by attaching an eBPF device program to the cgroup2 directory on
 * a pure v2 host, replacing the program attached before (so `update` swaps it).
 */
export function applyDevices(state: CgroupState, rules: readonly DeviceCgroup[], _opts: { update?: boolean } = {}): void {
  if (berthInUserNs()) return;
  const normalised = toDevRules(rules);
  if (state.layout === "v2") {
    const dir = state.paths["unified"];
    if (dir === undefined) throw missing("unified", "cgroup2");
    applyDevicesV2(dir, normalised);
    return;
  }
  const dir = state.paths["devices"];
  if (dir === undefined) throw missing("devices", "the v1 devices controller");
  applyDevicesV1(dir, normalised);
}

function missing(key: string, what: string): BerthError {
  return new BerthError(`the container has no ${key} cgroup, so its device rules cannot be enforced`, {
    op: "set device rules",
    path: "linux.resources.devices",
    hint: `mount ${what} under /sys/fs/cgroup`,
  });
}
