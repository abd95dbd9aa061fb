// The systemd cgroup driver's naming and resource translation, as pure functions:
//
//   linux.cgroupsPath "slice:prefix:name" → a transient unit "<prefix>-<name>.scope"
//   (just "<name>.scope" without a prefix; "<name>" itself when it ends in ".slice",
//   which makes a slice instead) placed in `slice`. An empty slice means
//   "system.slice" ("user.slice" when rootless); an absent cgroupsPath means
//   ":berth:<id>". Slice names expand to nested cgroup directories
//   ("a-b.slice" → /a.slice/a-b.slice; "-.slice" is the root).
//
//   linux.resources → unit properties (systemd.resource-control(5)), with the
//   cgroup v1 names on v1/hybrid hosts (MemoryLimit, CPUShares, BlockIOWeight)
//   and the v2 names on v2 (MemoryMax, MemoryLow, MemorySwapMax, CPUWeight,
//   IOWeight). Properties newer systemd versions introduced are only sent when
//   the running systemd knows them. The cgroupfs files are written afterwards
//   as with the cgroupfs driver, which covers what systemd cannot express.

import { posix } from "node:path";
import { BerthError } from "../../errors.js";
import type { DeviceCgroup, Resources } from "../../spec/types.js";
import type { Variant } from "./dbusWire.js";

export const DEFAULT_SCOPE_PREFIX = "berth";
/** USEC_INFINITY / CGROUP_LIMIT_MAX in systemd: "no limit". */
export const UINT64_MAX = 0xffffffffffffffffn;
/** The CFS period the kernel and systemd assume when none is given. */
const DEFAULT_CPU_PERIOD_US = 100_000n;

export interface SystemdUnitPlace {
  /** The parent slice, e.g. "system.slice". */
  slice: string;
  /** The transient unit, e.g. "berth-abc.scope" (or "x.slice"). */
  unit: string;
  /** The unit's cgroup path relative to the hierarchy root, e.g. "/system.slice/berth-abc.scope". */
  cgroup: string;
}

/** A unit property as StartTransientUnit takes it: (name, variant). */
export type UnitProperty = [string, Variant];

function pathError(detail: string, hint: string): BerthError {
  return new BerthError(detail, { op: "validate", path: "linux.cgroupsPath", hint });
}

/** Unit names: letters, digits and ":-_.\" (systemd's unit_name_is_valid), at most 255 bytes. */
const UNIT_CHARS = /^[A-Za-z0-9:_.\\@-]+$/;

/** "a-b.slice" → "/a.slice/a-b.slice"; "-.slice" → "/". Throws for names systemd would not accept. */
export function expandSlice(slice: string): string {
  const hint = 'a slice is named like "system.slice" or "machine-app.slice" (dashes nest, no slashes)';
  if (!slice.endsWith(".slice") || slice.length <= ".slice".length || slice.includes("/") || !UNIT_CHARS.test(slice)) {
    throw pathError(`"${slice}" is not a valid systemd slice name`, hint);
  }
  const base = slice.slice(0, -".slice".length);
  if (base === "-") return "/";
  let path = "";
  let prefix = "";
  for (const part of base.split("-")) {
    if (part === "") throw pathError(`"${slice}" has an empty component between dashes`, hint);
    path += `/${prefix}${part}.slice`;
    prefix += `${part}-`;
  }
  return path;
}

/** The unit a container gets for `prefix` and `name`. */
export function unitNameFor(prefix: string, name: string): string {
  if (name.endsWith(".slice")) return name;
  return prefix === "" ? `${name}.scope` : `${prefix}-${name}.scope`;
}

/** Where a container goes for linux.cgroupsPath (systemd form, or absent) and its id. */
export function systemdPlace(cgroupsPath: string | undefined, id: string, rootless = false): SystemdUnitPlace {
  let slice = "";
  let prefix = DEFAULT_SCOPE_PREFIX;
  let name = id;
  if (cgroupsPath !== undefined && cgroupsPath !== "") {
    const parts = cgroupsPath.split(":");
    if (parts.length !== 3) {
      throw pathError(
        `"${cgroupsPath}" is not of the form "slice:prefix:name" the systemd driver expects`,
        'use e.g. "system.slice:berth:<id>", or drop --systemd-cgroup to use it as a cgroupfs path',
      );
    }
    [slice, prefix, name] = parts as [string, string, string];
  }
  if (slice === "") slice = rootless ? "user.slice" : "system.slice";
  if (name === "") throw pathError(`"${cgroupsPath}" has an empty name`, "the part after the last colon names the unit");
  const unit = unitNameFor(prefix, name);
  if (!UNIT_CHARS.test(unit) || Buffer.byteLength(unit) > 255) {
    throw pathError(`"${unit}" is not a valid systemd unit name`, 'use letters, digits and ":-_." in the prefix and name');
  }
  return { slice, unit, cgroup: posix.join(expandSlice(slice), unit) };
}

/** The leading number of systemd's Version property ("252.22-1~deb12u1" → 252; 0 when unknown). */
export function parseSystemdVersion(v: string): number {
  const m = /^v?(\d+)/.exec(v.trim().replace(/^"|"$/g, ""));
  return m === null ? 0 : Number(m[1]);
}

/**
 * A cpuset list ("0-3,8") as the byte array systemd takes for AllowedCPUs and
 * AllowedMemoryNodes: bit n of byte n/8 is set for each listed number, lowest
 * byte first, no trailing zero bytes.
 */
export function cpusetBitmask(list: string, field: string): number[] {
  const bytes: number[] = [];
  const set = (n: number) => {
    const i = n >> 3;
    while (bytes.length <= i) bytes.push(0);
    bytes[i]! |= 1 << (n & 7);
  };
  const bad = () => new BerthError(`"${list}" is not a list of numbers and ranges such as "0-3,8"`, { op: "validate", path: field });
  for (const raw of list.split(",")) {
    const part = raw.trim();
    if (part === "") continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) throw bad();
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (hi < lo || hi > 65535) throw bad();
    for (let n = lo; n <= hi; n++) set(n);
  }
  while (bytes.length > 0 && bytes[bytes.length - 1] === 0) bytes.pop();
  return bytes;
}

/** cpu.shares (2..262144) → cpu.weight (1..10000), the conversion the cgroupfs driver uses too. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** blkio.weight (10..1000) → io.weight (1..10000). */
export function blkioToIoWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/** Bytes as systemd's uint64 limit: -1 means no limit. */
function limit(n: number): bigint {
  return n < 0 ? UINT64_MAX : BigInt(Math.trunc(n));
}

/** linux.resources.memory.swap (memory+swap) → the swap-only value cgroup v2 takes; undefined to leave unset. */
export function swapOnlyV2(swap: number | undefined, memory: number | undefined): bigint | undefined {
  const mem = memory ?? 0;
  const sw = swap ?? 0;
  if (mem === -1 && sw === 0) return UINT64_MAX;
  if (sw === -1) return UINT64_MAX;
  if (sw === 0) return undefined;
  const path = "linux.resources.memory.swap";
  if (mem === 0 || mem === -1)
    throw new BerthError("a swap limit needs a memory limit", { op: "validate", path, hint: "set linux.resources.memory.limit too" });
  if (sw < mem) throw new BerthError(`${sw} is below the memory limit ${mem}; it counts memory plus swap`, { op: "validate", path });
  return BigInt(sw - mem);
}

/** CPUQuotaPerSecUSec for quota/period as runc computes it (rounded up to whole percent), or undefined. */
export function cpuQuotaPerSec(quota: number | undefined, period: number | undefined): bigint | undefined {
  if ((quota ?? 0) === 0 && (period ?? 0) === 0) return undefined;
  if (quota === undefined || quota <= 0) return UINT64_MAX;
  const p = period !== undefined && period > 0 ? BigInt(period) : DEFAULT_CPU_PERIOD_US;
  let perSec = (BigInt(quota) * 1_000_000n) / p;
  if (perSec % 10_000n !== 0n) perSec = (perSec / 10_000n + 1n) * 10_000n;
  return perSec;
}

const t = (v: bigint | number): Variant => ({ type: "t", value: typeof v === "bigint" ? v : BigInt(v) });
const b = (v: boolean): Variant => ({ type: "b", value: v });
const s = (v: string): Variant => ({ type: "s", value: v });

/**
 * Device rules as DevicePolicy/DeviceAllow. Everything starts denied, as for
 * the cgroupfs driver. A list that ends up allowing everything by default (an
 * "a" allow rule) cannot be expressed with DeviceAllow, so systemd is told
 * "auto" and the cgroupfs rules do the restricting; otherwise "strict" with one
 * DeviceAllow entry per allowed device or class. `nameOf`
 * gives the /proc/devices name of a major number (for "char-<name>" entries).
 */
export function deviceProperties(
  rules: DeviceCgroup[] | undefined,
  nameOf: (type: "c" | "b", major: number) => string | undefined,
  warn: (msg: string) => void = () => undefined,
): UnitProperty[] {
  if (rules === undefined || rules.length === 0) return [];
  let defaultAllow = false;
  let allow: [string, string][] = [];
  const entryFor = (type: "c" | "b", r: DeviceCgroup): string | undefined => {
    const kind = type === "c" ? "char" : "block";
    const major = r.major ?? -1;
    const minor = r.minor ?? -1;
    if (major < 0) return `${kind}-*`;
    if (minor < 0) {
      const name = nameOf(type, major);
      if (name === undefined) {
        warn(`device rule ${type} ${major}:* is not passed to systemd: no ${kind} driver with major ${major} in /proc/devices`);
        return undefined;
      }
      return `${kind}-${name}`;
    }
    return `/dev/${kind}/${major}:${minor}`;
  };
  for (const r of rules) {
    const type = r.type ?? "a";
    const access = r.access ?? "rwm";
    const everything = type === "a" && (r.major ?? -1) < 0 && (r.minor ?? -1) < 0;
    if (everything) {
      defaultAllow = r.allow;
      allow = [];
      continue;
    }
    const types: ("c" | "b")[] = type === "a" ? ["c", "b"] : type === "c" || type === "b" ? [type] : [];
    for (const ty of types) {
      const entry = entryFor(ty, r);
      if (entry === undefined) continue;
      if (r.allow) {
        if (!defaultAllow) allow.push([entry, access]);
      } else if (!defaultAllow) {
        allow = allow.filter(([e, a]) => !(e === entry && a === access));
      }
    }
  }
  if (defaultAllow) return [["DevicePolicy", s("auto")]];
  return [
    ["DevicePolicy", s("strict")],
    ["DeviceAllow", { type: "a(ss)", value: allow }],
  ];
}

export interface UnitRequest {
  place: SystemdUnitPlace;
  /** Description= of the unit. */
  description: string;
  /** The process to put in a scope (ignored for a slice). */
  pid?: number;
  /** The host's cgroup version: 1 for v1 and hybrid, 2 for pure v2. */
  cgroupVersion: 1 | 2;
  /** Running systemd's version (0: unknown, only the oldest properties are sent). */
  systemdVersion: number;
  resources?: Resources;
  deviceName?: (type: "c" | "b", major: number) => string | undefined;
  warn?: (msg: string) => void;
}

/** The properties of the transient unit: placement, accounting and the resource limits. */
export function unitProperties(req: UnitRequest): UnitProperty[] {
  const props: UnitProperty[] = [["Description", s(req.description)]];
  const isSlice = req.place.unit.endsWith(".slice");
  if (isSlice) {
    props.push(["Wants", { type: "as", value: [req.place.slice] }]);
  } else {
    props.push(["Slice", s(req.place.slice)]);
    props.push(["Delegate", b(true)]);
    if (req.pid !== undefined) props.push(["PIDs", { type: "au", value: [req.pid] }]);
  }
  props.push(
    ["MemoryAccounting", b(true)],
    ["CPUAccounting", b(true)],
    [req.cgroupVersion === 2 ? "IOAccounting" : "BlockIOAccounting", b(true)],
    ["TasksAccounting", b(true)],
    ["DefaultDependencies", b(false)],
  );
  props.push(...resourceProperties(req));
  return props;
}

/** Only the resource-limit properties (also what an update would set). */
export function resourceProperties(req: Omit<UnitRequest, "place" | "description" | "pid">): UnitProperty[] {
  const r = req.resources;
  const out: UnitProperty[] = [];
  if (r === undefined || r === null) return out;
  const v2 = req.cgroupVersion === 2;
  const mem = r.memory;
  if (mem?.limit !== undefined && mem.limit !== 0) out.push([v2 ? "MemoryMax" : "MemoryLimit", t(limit(mem.limit))]);
  if (v2) {
    if (mem?.reservation !== undefined && mem.reservation !== 0) out.push(["MemoryLow", t(limit(mem.reservation))]);
    const swap = swapOnlyV2(mem?.swap, mem?.limit);
    if (swap !== undefined) out.push(["MemorySwapMax", t(swap)]);
  }
  const cpu = r.cpu;
  if (cpu?.shares !== undefined && cpu.shares !== 0) {
    out.push(v2 ? ["CPUWeight", t(sharesToWeight(cpu.shares))] : ["CPUShares", t(cpu.shares)]);
  }
  if (cpu?.period !== undefined && cpu.period !== 0 && req.systemdVersion >= 242) out.push(["CPUQuotaPeriodUSec", t(cpu.period)]);
  const perSec = cpuQuotaPerSec(cpu?.quota, cpu?.period);
  if (perSec !== undefined) out.push(["CPUQuotaPerSecUSec", t(perSec)]);
  if (req.systemdVersion >= 244) {
    if (cpu?.cpus !== undefined && cpu.cpus !== "") {
      out.push(["AllowedCPUs", { type: "ay", value: cpusetBitmask(cpu.cpus, "linux.resources.cpu.cpus") }]);
    }
    if (cpu?.mems !== undefined && cpu.mems !== "") {
      out.push(["AllowedMemoryNodes", { type: "ay", value: cpusetBitmask(cpu.mems, "linux.resources.cpu.mems") }]);
    }
  }
  const weight = r.blockIO?.weight;
  if (weight !== undefined && weight !== 0) {
    out.push(v2 ? ["IOWeight", t(blkioToIoWeight(weight))] : ["BlockIOWeight", t(weight)]);
  }
  const pids = r.pids?.limit;
  if (pids !== undefined && (pids > 0 || pids === -1)) out.push(["TasksMax", t(limit(pids))]);
  out.push(...deviceProperties(r.devices, req.deviceName ?? (() => undefined), req.warn));
  return out;
}

/** Parse /proc/devices text into a lookup of driver names by type and major. */
export function parseProcDevices(text: string): (type: "c" | "b", major: number) => string | undefined {
  const table = { c: new Map<number, string>(), b: new Map<number, string>() };
  let cur: Map<number, string> | undefined;
  for (const line of text.split("\n")) {
    if (/^Character devices:/.test(line)) cur = table.c;
    else if (/^Block devices:/.test(line)) cur = table.b;
    else {
      const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(line);
      if (m !== null && cur !== undefined && !cur.has(Number(m[1]))) cur.set(Number(m[1]), m[2]!);
    }
  }
  return (type, major) => table[type].get(major);
}

const ANNOTATION_PREFIX = "org.systemd.property.";

/** Integer types of the GVariant text format by keyword, with their D-Bus type and range. */
const GVARIANT_INTS: Record<string, { type: string; min: bigint; max: bigint }> = {
  byte: { type: "y", min: 0n, max: 0xffn },
  int16: { type: "n", min: -0x8000n, max: 0x7fffn },
  uint16: { type: "q", min: 0n, max: 0xffffn },
  int32: { type: "i", min: -0x80000000n, max: 0x7fffffffn },
  uint32: { type: "u", min: 0n, max: 0xffffffffn },
  int64: { type: "x", min: -(1n << 63n), max: (1n << 63n) - 1n },
  uint64: { type: "t", min: 0n, max: UINT64_MAX },
};
const GVARIANT_TYPE_KEYWORD: Record<string, string> = {
  y: "byte",
  n: "int16",
  q: "uint16",
  i: "int32",
  u: "uint32",
  x: "int64",
  t: "uint64",
};

/** One value of the GVariant text format: the forms unit properties use (numbers with or without a type keyword, booleans, strings, string arrays). */
export function parseGVariantText(text: string): Variant | undefined {
  const v = text.trim();
  if (v === "true" || v === "false") return { type: "b", value: v === "true" };
  const typed = /^(?:(byte|int16|uint16|int32|uint32|int64|uint64|double)|@([ynqiuxtd]))\s+(\S+)$/.exec(v);
  if (typed !== null) {
    const keyword = typed[1] ?? GVARIANT_TYPE_KEYWORD[typed[2]!] ?? "double";
    return numberOf(keyword, typed[3]!);
  }
  const str = quoted(v);
  if (str !== undefined) return { type: "s", value: str };
  if (/^-?\d+$/.test(v)) return numberOf("int32", v);
  if (/^-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(v)) return { type: "d", value: Number(v) };
  const arr = /^(?:@as\s*)?\[(.*)\]$/s.exec(v);
  if (arr !== null) {
    const items: string[] = [];
    let rest = arr[1]!.trim();
    while (rest !== "") {
      const m = /^('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*(?:,\s*|$)/.exec(rest);
      if (m === null) return undefined;
      items.push(quoted(m[1]!)!);
      rest = rest.slice(m[0].length);
    }
    return { type: "as", value: items };
  }
  return undefined;
}

function numberOf(keyword: string, text: string): Variant | undefined {
  if (keyword === "double") {
    const n = Number(text);
    return Number.isFinite(n) ? { type: "d", value: n } : undefined;
  }
  const spec = GVARIANT_INTS[keyword]!;
  if (!/^-?\d+$/.test(text)) return undefined;
  const n = BigInt(text);
  if (n < spec.min || n > spec.max) return undefined;
  return { type: spec.type, value: spec.type === "x" || spec.type === "t" ? n : Number(n) };
}

function quoted(v: string): string | undefined {
  if (v.length < 2) return undefined;
  const q = v[0];
  if ((q !== "'" && q !== '"') || v[v.length - 1] !== q) return undefined;
  const body = v.slice(1, -1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "\\" && i + 1 < body.length) {
      const e = body[++i]!;
      out += e === "n" ? "\n" : e === "t" ? "\t" : e;
    } else if (c === q) {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

/** A "…Sec" property given in seconds becomes the "…USec" one in microseconds (as runc does). */
function secondsToUSec(name: string, v: Variant): UnitProperty | undefined {
  let us: bigint;
  if (v.type === "d") {
    if ((v.value as number) < 0) return undefined;
    us = BigInt(Math.round((v.value as number) * 1_000_000));
  } else if ("ynqiuxt".includes(v.type)) {
    const n = BigInt(v.value as number | bigint);
    if (n < 0n) return undefined;
    us = n * 1_000_000n;
  } else {
    return undefined;
  }
  return [`${name.slice(0, -"Sec".length)}USec`, { type: "t", value: us > UINT64_MAX ? UINT64_MAX : us }];
}

/**
 * Unit properties from annotations "org.systemd.property.<Name>": "<GVariant text>",
 * e.g. "org.systemd.property.TimeoutStopUSec": "uint64 123456789" or
 * "org.systemd.property.CollectMode": "'inactive-or-failed'". A name ending in
 * "Sec" takes seconds and is sent as the "USec" property.
 */
export function annotationProperties(annotations: Record<string, string> | undefined): UnitProperty[] {
  const out: UnitProperty[] = [];
  for (const [key, text] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    const name = key.slice(ANNOTATION_PREFIX.length);
    const path = `annotations["${key}"]`;
    if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) {
      throw new BerthError(`"${name}" is not a systemd property name`, {
        op: "validate",
        path,
        hint: "property names are letters and digits starting with a capital, e.g. TimeoutStopUSec",
      });
    }
    const value = typeof text === "string" ? parseGVariantText(text) : undefined;
    if (value === undefined) {
      throw new BerthError(`${JSON.stringify(text)} is not a value berth can pass to systemd`, {
        op: "validate",
        path,
        hint: "use the GVariant text form: uint64 5, true, 'text', ['a', 'b']",
      });
    }
    if (name.endsWith("Sec") && !name.endsWith("USec")) {
      const converted = secondsToUSec(name, value);
      if (converted === undefined) {
        throw new BerthError(`${name} takes a non-negative number of seconds`, { op: "validate", path });
      }
      out.push(converted);
    } else {
      out.push([name, value]);
    }
  }
  return out;
}
