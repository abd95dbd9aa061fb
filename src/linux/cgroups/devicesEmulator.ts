// A model of the cgroup v1 devices controller: a default policy (allow or deny
// everything) plus a set of exceptions keyed by (type, major, minor). The same
// model drives both enforcement paths, so a rule list means the same thing on
// cgroup v1 and v2:
//  - v1: the current state is parsed from devices.list and the smallest list of
//    devices.allow / devices.deny writes that reaches the target is computed;
//  - v2: the exceptions become the blocks of the eBPF device program.
// Like the kernel, an "a" rule resets the policy and drops every exception, and
// exceptions with the same key merge their access. Unlike the kernel (which
// ignores it silently), removing access that a wider wildcard exception still
// grants is an error, because the result would not be what the rule says.

import { BerthError } from "../../errors.js";

/** Device type in a device cgroup rule: "a" (all), "b" (block) or "c" (char). */
export type DevType = "a" | "b" | "c";

/** Access bits: r, w and m as a mask. */
export const ACC_R = 1;
export const ACC_W = 2;
export const ACC_M = 4;
export const ACC_ALL = ACC_R | ACC_W | ACC_M;

/** A normalised rule: -1 is the wildcard for major and minor. */
export interface DevRule {
  type: DevType;
  major: number;
  minor: number;
  access: number;
  allow: boolean;
}

export const WILDCARD = -1;

export function accessMask(access: string): number {
  let m = 0;
  for (const ch of access) {
    if (ch === "r") m |= ACC_R;
    else if (ch === "w") m |= ACC_W;
    else if (ch === "m") m |= ACC_M;
  }
  return m;
}

export function accessString(mask: number): string {
  return (mask & ACC_R ? "r" : "") + (mask & ACC_W ? "w" : "") + (mask & ACC_M ? "m" : "");
}

/** The rule as the kernel spells it in devices.allow/deny/list: "c 1:3 rwm", "b *:* m". */
export function ruleString(r: DevRule): string {
  const num = (n: number): string => (n === WILDCARD ? "*" : String(n));
  return `${r.type} ${num(r.major)}:${num(r.minor)} ${accessString(r.access)}`;
}

interface Exception {
  type: "b" | "c";
  major: number;
  minor: number;
  access: number;
}

function key(type: string, major: number, minor: number): string {
  return `${type} ${major} ${minor}`;
}

/** Order in which exceptions are written and listed: by major, then minor, then type (wildcards first). */
function compareExceptions(a: Exception, b: Exception): number {
  return a.major - b.major || a.minor - b.minor || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0);
}

/** A device rule the cgroup cannot express, or a devices.list line berth cannot read. */
export class DeviceRuleError extends BerthError {
  constructor(detail: string) {
    super(detail, { op: "device rules" });
  }
}

export class DeviceEmulator {
  /** true: everything is allowed except the exceptions (v1 "blacklist" mode). */
  defaultAllow = false;
  private exceptions = new Map<string, Exception>();

  /** The state a rule list produces, starting from deny-all (runc's starting point). */
  static fromRules(rules: readonly DevRule[]): DeviceEmulator {
    const e = new DeviceEmulator();
    rules.forEach((r) => e.apply(r));
    return e;
  }

  /**
   * The state devices.list describes. A list containing "a *:* rwm" means the
   * cgroup allows everything by default; its deny exceptions cannot be read
   * back, which transition() accounts for.
   */
  static fromList(text: string): DeviceEmulator {
    const e = new DeviceEmulator();
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (line === "") continue;
      const f = line.split(/[ :]/);
      if (f.length !== 4) throw new DeviceRuleError(`malformed devices.list line "${line}"`);
      const [t, maj, min, acc] = f as [string, string, string, string];
      if (t === "a") {
        e.reset(true);
        continue;
      }
      if (t !== "b" && t !== "c") throw new DeviceRuleError(`unknown device type in devices.list line "${line}"`);
      const num = (s: string): number => {
        if (s === "*") return WILDCARD;
        if (!/^\d+$/.test(s)) throw new DeviceRuleError(`bad device number in devices.list line "${line}"`);
        return Number(s);
      };
      const access = accessMask(acc);
      if (access === 0 || accessString(access).length !== acc.length) {
        throw new DeviceRuleError(`bad access in devices.list line "${line}"`);
      }
      e.apply({ type: t, major: num(maj), minor: num(min), access, allow: true });
    }
    return e;
  }

  private reset(defaultAllow: boolean): void {
    this.defaultAllow = defaultAllow;
    this.exceptions.clear();
  }

  private add(x: Exception): void {
    const k = key(x.type, x.major, x.minor);
    const old = this.exceptions.get(k);
    this.exceptions.set(k, { ...x, access: x.access | (old?.access ?? 0) });
  }

  private remove(x: Exception): void {
    const partials: [number, number][] = [
      [WILDCARD, x.minor],
      [x.major, WILDCARD],
      [WILDCARD, WILDCARD],
    ];
    for (const [maj, min] of partials) {
      if (maj === x.major && min === x.minor) continue;
      const wide = this.exceptions.get(key(x.type, maj, min));
      if (wide !== undefined && (wide.access & x.access) !== 0) {
        throw new DeviceRuleError(
          `"${ruleString({ ...x, allow: false })}" cannot take access away from the wider rule "${ruleString({ ...wide, allow: false })}"`,
        );
      }
    }
    const k = key(x.type, x.major, x.minor);
    const old = this.exceptions.get(k);
    if (old === undefined) return;
    const left = old.access & ~x.access;
    if (left === 0) this.exceptions.delete(k);
    else this.exceptions.set(k, { ...old, access: left });
  }

  /** Apply one rule as the v1 controller would (with the wildcard-hole check described above). */
  apply(r: DevRule): void {
    if (r.type === "a") {
      this.reset(r.allow);
      return;
    }
    const x: Exception = { type: r.type, major: r.major, minor: r.minor, access: r.access };
    // An allow rule adds an exception to a deny-all policy and removes one from allow-all.
    if (r.allow === this.defaultAllow) this.remove(x);
    else this.add(x);
  }

  /** Exceptions in listing order. */
  entries(): DevRule[] {
    return [...this.exceptions.values()].sort(compareExceptions).map((x) => ({ ...x, allow: !this.defaultAllow }));
  }

  equals(o: DeviceEmulator): boolean {
    if (this.defaultAllow !== o.defaultAllow || this.exceptions.size !== o.exceptions.size) return false;
    for (const [k, x] of this.exceptions) if (o.exceptions.get(k)?.access !== x.access) return false;
    return true;
  }

  /**
   * The shortest rule list that turns this state into `target`: a reset ("a")
   * only when the default policy changes or the current state allows by default
   * (its deny exceptions are unknown), then access to take away, then access to add.
   */
  transition(target: DeviceEmulator): DevRule[] {
    const out: DevRule[] = [];
    let old = this.exceptions;
    if (this.defaultAllow || this.defaultAllow !== target.defaultAllow) {
      out.push({ type: "a", major: WILDCARD, minor: WILDCARD, access: ACC_ALL, allow: target.defaultAllow });
      old = new Map();
    }
    for (const x of [...old.values()].sort(compareExceptions)) {
      const dropped = x.access & ~(target.exceptions.get(key(x.type, x.major, x.minor))?.access ?? 0);
      if (dropped !== 0) out.push({ ...x, access: dropped, allow: target.defaultAllow });
    }
    // In the rules' own order (runtime-spec: "apply entries in the listed order"):
    // the kernel lists exceptions in the order they were added.
    for (const x of target.exceptions.values()) {
      const gained = x.access & ~(old.get(key(x.type, x.major, x.minor))?.access ?? 0);
      if (gained !== 0) out.push({ ...x, access: gained, allow: !target.defaultAllow });
    }
    return out;
  }

  /** Whether the modelled cgroup lets a process use a device (an exception must cover every requested bit). */
  permits(type: "b" | "c", major: number, minor: number, access: number): boolean {
    const hit = [...this.exceptions.values()].some(
      (x) =>
        x.type === type &&
        (x.major === WILDCARD || x.major === major) &&
        (x.minor === WILDCARD || x.minor === minor) &&
        (access & ~x.access) === 0,
    );
    return hit !== this.defaultAllow;
  }
}
