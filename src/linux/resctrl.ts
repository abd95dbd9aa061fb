// linux.intelRdt: the container's group in the resctrl filesystem (Intel RDT: cache
// allocation, memory bandwidth allocation and monitoring), as runtime-spec 1.3's
// config-linux.md says:
// - closID unset: the group is <resctrl>/<container id>, made at create and removed at delete;
// - closID "/": the default group, the root of resctrl;
// - closID set with schemas: the group is made when missing, and when it exists its schemata
//   must already hold l3CacheSchema and memBwSchema; it is never removed;
// - closID set without schemas: the group must exist;
// - schemas go to the group's `schemata` in the spec's order (l3CacheSchema, memBwSchema,
//   then each line of schemata);
// - enableMonitoring: a MON group mon_groups/<container id> under the group, removed at delete.
// Every process of the container (berth-init, so all it forks, and each exec'd process)
// is written to the group's tasks, then to the MON group's.

import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BerthError } from "../errors.js";
import type { IntelRdt } from "../spec/types.js";

export type { IntelRdt };

/** Where a container's processes go, as state.json keeps it for exec and delete. */
export interface RdtPlacement {
  /** The resctrl mount. */
  root: string;
  /** The CTRL_MON group's directory. */
  group: string;
  /** Whether berth made `group` (then delete removes it). */
  created: boolean;
  /** The MON group's directory (enableMonitoring), always berth's. */
  mon?: string;
}

/** The few file operations resctrl needs: the real filesystem, or a fake in unit tests. */
export interface ResctrlFs {
  mkdir(path: string): void;
  rmdir(path: string): void;
  read(path: string): string;
  /** Write to an existing file (resctrl's files cannot be created). */
  write(path: string, data: string): void;
}

export const realResctrlFs: ResctrlFs = {
  mkdir: (p) => mkdirSync(p, { mode: 0o755 }),
  rmdir: (p) => rmdirSync(p),
  read: (p) => readFileSync(p, "utf8"),
  write: (p, data) => writeFileSync(p, data, { flag: "r+" }),
};

const FIELD = "linux.intelRdt";
const OP = "intel RDT";

function fail(detail: string, path: string, hint: string, cause?: unknown, errno?: string): never {
  throw new BerthError(detail, { op: OP, path, hint, cause, errno });
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The mount point of the first resctrl filesystem in a mountinfo text, if any. */
export function resctrlMountPoint(mountinfo: string): string | undefined {
  for (const line of mountinfo.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    if (line.slice(sep + 3).split(" ")[0] !== "resctrl") continue;
    const mountPoint = line.slice(0, sep).split(" ")[4];
    if (mountPoint !== undefined) return mountPoint.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  }
  return undefined;
}

/** The resctrl mount of berth's mount namespace, or an error naming linux.intelRdt (the spec's MUST). */
export function requireResctrl(mountinfo = readFileSync("/proc/self/mountinfo", "utf8")): string {
  const root = resctrlMountPoint(mountinfo);
  if (root === undefined) {
    fail(
      "this host has no resctrl filesystem mounted",
      FIELD,
      "mount it (`mount -t resctrl resctrl /sys/fs/resctrl`, on a CPU and kernel with Intel RDT or AMD PQoS), or drop linux.intelRdt",
    );
  }
  return root;
}

/** Checks that need no host: the spec's rules on each value. */
export function validateIntelRdt(rdt: IntelRdt): void {
  const id = rdt.closID;
  if (id !== undefined && id !== "/" && (id === "" || id === "." || id === ".." || id.includes("/") || id.includes("\0"))) {
    fail(
      `closID ${JSON.stringify(id)} is not a resctrl group name`,
      `${FIELD}.closID`,
      'use a plain name (no "/"), or "/" for the default group',
    );
  }
  const lines: [string, string | undefined][] = [
    [`${FIELD}.l3CacheSchema`, rdt.l3CacheSchema],
    [`${FIELD}.memBwSchema`, rdt.memBwSchema],
    ...(rdt.schemata ?? []).map((s, i): [string, string] => [`${FIELD}.schemata[${i}]`, s]),
  ];
  for (const [path, v] of lines) {
    if (v !== undefined && /[\n\r]/.test(v))
      fail("a schema must be one line", path, "remove the newline; give each line as its own schemata element");
  }
  if (rdt.memBwSchema !== undefined && !rdt.memBwSchema.startsWith("MB:")) {
    fail(
      `memory bandwidth schema ${JSON.stringify(rdt.memBwSchema)} does not start with "MB:"`,
      `${FIELD}.memBwSchema`,
      'write it as "MB:<cache id>=<bandwidth>;…"',
    );
  }
}

/** The schema lines to write, in the spec's order. */
export function schemaLines(rdt: IntelRdt): string[] {
  const out: string[] = [];
  if (rdt.l3CacheSchema !== undefined && rdt.l3CacheSchema !== "") out.push(rdt.l3CacheSchema);
  if (rdt.memBwSchema !== undefined && rdt.memBwSchema !== "") out.push(rdt.memBwSchema);
  for (const s of rdt.schemata ?? []) if (s !== "") out.push(s);
  return out;
}

/** "L3:0=07f0;1=1F" → "L3:0=7f0;1=1f": leading zeros, case and spacing do not matter to the kernel. */
function normaliseSchema(line: string): string {
  const [res, domains = ""] = line.trim().split(":", 2) as [string, string?];
  const parts = domains
    .split(";")
    .map((d) => d.trim())
    .filter((d) => d !== "")
    .map((d) => {
      const [dom, val = ""] = d.split("=", 2) as [string, string?];
      return `${dom.trim()}=${val
        .trim()
        .toLowerCase()
        .replace(/^0+(?=.)/, "")}`;
    });
  return `${res.trim().toUpperCase()}:${parts.join(";")}`;
}

/** Whether each wanted line is among the schemata file's lines (kernel output is padded). */
function schemataHold(file: string, wanted: string[]): string | undefined {
  const have = new Set(
    file
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map(normaliseSchema),
  );
  return wanted.find((w) => !have.has(normaliseSchema(w)));
}

/** The kernel's reason for the last refused write (info/last_cmd_status), for the error message. */
function lastStatus(root: string, fs: ResctrlFs): string {
  try {
    const s = fs.read(join(root, "info", "last_cmd_status")).trim();
    return s === "" || s === "ok" ? "" : `: ${s}`;
  } catch {
    return "";
  }
}

function writeSchemata(root: string, group: string, lines: string[], fs: ResctrlFs, path: string): void {
  try {
    fs.write(join(group, "schemata"), `${lines.join("\n")}\n`);
  } catch (err) {
    fail(
      `the kernel refused the schemata for ${group}${lastStatus(root, fs)}`,
      path,
      "give schemas this host's resctrl accepts (see info/ under the resctrl mount for cache ids and masks)",
      err,
      errnoOf(err),
    );
  }
}

/**
 * Make (or check) the container's groups and write its schemata. On error, what this call
 * made is removed again.
 */
export function setupIntelRdt(rdt: IntelRdt, id: string, root: string, fs: ResctrlFs = realResctrlFs): RdtPlacement {
  validateIntelRdt(rdt);
  const lines = schemaLines(rdt);
  const closID = rdt.closID;
  const group = closID === undefined || closID === "/" ? (closID === "/" ? root : join(root, id)) : join(root, closID);
  let created = false;
  const undo = (): void => {
    if (created) removeQuiet(group, fs);
  };
  try {
    if (closID === undefined) {
      try {
        fs.mkdir(group);
      } catch (err) {
        const errno = errnoOf(err);
        fail(
          errno === "EEXIST" ? `resctrl group ${group} already exists` : `cannot make resctrl group ${group}${lastStatus(root, fs)}`,
          FIELD,
          errno === "EEXIST"
            ? "a container of this id (or a leftover group) has it; remove the directory, or set closID to share a group"
            : "resctrl may have no free CLOSID left (see info/*/num_closids); set closID to share a group",
          err,
          errno,
        );
      }
      created = true;
      if (lines.length > 0) writeSchemata(root, group, lines, fs, FIELD);
    } else if (closID !== "/" && lines.length > 0) {
      try {
        fs.mkdir(group);
        created = true;
      } catch (err) {
        if (errnoOf(err) !== "EEXIST")
          fail(
            `cannot make resctrl group ${group}${lastStatus(root, fs)}`,
            `${FIELD}.closID`,
            "check the resctrl mount",
            err,
            errnoOf(err),
          );
      }
      if (created) writeSchemata(root, group, lines, fs, FIELD);
      else {
        // An existing group is shared: its schemata must already be what this config asks.
        const wanted = [rdt.l3CacheSchema, rdt.memBwSchema].filter((s): s is string => s !== undefined && s !== "");
        const missing = schemataHold(readOrFail(join(group, "schemata"), fs), wanted);
        if (missing !== undefined) {
          fail(
            `the existing group ${group} has other schemata than ${JSON.stringify(missing)}`,
            missing === rdt.l3CacheSchema ? `${FIELD}.l3CacheSchema` : `${FIELD}.memBwSchema`,
            "give the schemata the group already has, or another closID",
          );
        }
        if (rdt.schemata !== undefined && rdt.schemata.length > 0) writeSchemata(root, group, rdt.schemata, fs, `${FIELD}.schemata`);
      }
    } else if (closID !== "/") {
      readOrFail(
        join(group, "tasks"),
        fs,
        `${FIELD}.closID`,
        `the resctrl group ${closID} does not exist`,
        "make the group first, or give schemas so that berth makes it",
      );
    }
    let mon: string | undefined;
    if (rdt.enableMonitoring === true) {
      mon = join(group, "mon_groups", id);
      try {
        fs.mkdir(mon);
      } catch (err) {
        fail(
          `cannot make the monitoring group ${mon}${lastStatus(root, fs)}`,
          `${FIELD}.enableMonitoring`,
          "resctrl may have no free RMID left, or no monitoring on this host (info/L3_MON)",
          err,
          errnoOf(err),
        );
      }
    }
    return { root, group, created, ...(mon === undefined ? {} : { mon }) };
  } catch (err) {
    undo();
    throw err;
  }
}

function readOrFail(path: string, fs: ResctrlFs, field = FIELD, detail?: string, hint = "check the resctrl mount"): string {
  try {
    return fs.read(path);
  } catch (err) {
    fail(detail ?? `cannot read ${path}`, field, hint, err, errnoOf(err));
  }
}

/** Put a process (and so all it forks later) into the container's groups. */
export function joinIntelRdt(p: RdtPlacement, pid: number, fs: ResctrlFs = realResctrlFs): void {
  for (const dir of p.mon === undefined ? [p.group] : [p.group, p.mon]) {
    try {
      fs.write(join(dir, "tasks"), String(pid));
    } catch (err) {
      fail(`cannot add process ${pid} to ${dir}`, FIELD, "check the resctrl mount", err, errnoOf(err));
    }
  }
}

/** Delete: the MON group, and the group when berth made it. A group already gone is fine. */
export function removeIntelRdt(p: RdtPlacement, fs: ResctrlFs = realResctrlFs): void {
  if (p.mon !== undefined) removeQuiet(p.mon, fs);
  if (p.created) removeQuiet(p.group, fs);
}

function removeQuiet(dir: string, fs: ResctrlFs): void {
  try {
    fs.rmdir(dir);
  } catch (err) {
    if (errnoOf(err) !== "ENOENT")
      throw BerthError.fromSys("remove resctrl group", dir, err, "remove the directory by hand once its tasks are gone");
  }
}

/** `update --l3-cache-schema/--mem-bw-schema`: the group's schemata for a running container. */
export function updateIntelRdt(p: RdtPlacement | undefined, lines: { l3?: string; mb?: string }, fs: ResctrlFs = realResctrlFs): void {
  const given: [string, string][] = [];
  if (lines.l3 !== undefined) given.push(["--l3-cache-schema", lines.l3]);
  if (lines.mb !== undefined) given.push(["--mem-bw-schema", lines.mb]);
  if (given.length === 0) return;
  if (p === undefined)
    fail("the container has no Intel RDT group", given[0]![0], "create the container with linux.intelRdt to change its schemata");
  for (const [flag, v] of given) {
    if (/[\n\r]/.test(v)) fail("a schema must be one line", flag, "remove the newline");
    if (flag === "--mem-bw-schema" && !v.startsWith("MB:"))
      fail(`memory bandwidth schema ${JSON.stringify(v)} does not start with "MB:"`, flag, 'write it as "MB:<cache id>=<bandwidth>;…"');
  }
  writeSchemata(
    p.root,
    p.group,
    given.map(([, v]) => v),
    fs,
    given.map(([f]) => f).join(" "),
  );
}
