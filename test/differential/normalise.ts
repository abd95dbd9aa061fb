// Turning what a container printed into something two runtimes can be compared
// on: numbers that differ from run to run (mount ids, peer group ids, inode
// numbers of namespaces) are dropped or mapped to stable words.

import { readdirSync, readlinkSync } from "node:fs";

/**
 * One /proc/self/mountinfo line → "<mount point> <fs type> <source> <root>
 * <mount options> [<propagation>] <super options>". Mount and parent ids and
 * the device number are dropped; "shared:12" becomes "shared" (the peer group
 * number is arbitrary), "master:7" becomes "master".
 */
export function normaliseMountLine(line: string): string {
  const dash = line.indexOf(" - ");
  if (dash < 0) return line.trim();
  const left = line.slice(0, dash).trim().split(/\s+/);
  const right = line
    .slice(dash + 3)
    .trim()
    .split(/\s+/);
  const [, , , root = "", mountPoint = "", mountOpts = "", ...optional] = left;
  const [fstype = "", source = "", superOpts = ""] = right;
  const prop = optional
    .map((o) => o.replace(/:\d+$/, ""))
    .sort()
    .join(",");
  return [mountPoint, fstype, source, root, mountOpts, prop === "" ? "-" : prop, superOpts].join(" ");
}

/** A whole mount table, in order. */
export function normaliseMountinfo(lines: string[]): string[] {
  return lines.filter((l) => l.trim() !== "").map(normaliseMountLine);
}

/**
 * cgroup v1 controllers runc 1.1 does not know (misc): it leaves the container in the
 * hierarchy's root there, where berth gives it its own cgroup as in every other one.
 * On normalised lines, the cgroup path of such a hierarchy becomes "<not compared>".
 */
export const CONTROLLERS_UNKNOWN_TO_RUNC_1_1 = ["misc"];

export function maskControllersUnknownToRunc(lines: string[]): string[] {
  return lines.map((l) => {
    const f = l.split(" ");
    const controllers = (f[6] ?? "").split(",");
    if (f[1] !== "cgroup" || !controllers.some((c) => CONTROLLERS_UNKNOWN_TO_RUNC_1_1.includes(c))) return l;
    f[3] = "<not compared>";
    return f.join(" ");
  });
}

/** Only the mount points of a table, in order. */
export function mountPoints(lines: string[]): string[] {
  return normaliseMountinfo(lines).map((l) => l.split(" ")[0] ?? "");
}

/** "<name> <link target>" lines (probe output) → name → link target. */
export function parseNsLinks(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const sp = l.indexOf(" ");
    if (sp > 0) out[l.slice(0, sp)] = l.slice(sp + 1).trim();
  }
  return out;
}

/** The namespace links of a host process (default: this one). */
export function hostNsLinks(pid: number | "self" = "self"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of readdirSync(`/proc/${pid}/ns`)) {
    try {
      out[n] = readlinkSync(`/proc/${pid}/ns/${n}`);
    } catch {
      /* not readable */
    }
  }
  return out;
}

/** For each namespace: "host" when the container shares the host's, "new" otherwise. */
export function nsDisposition(container: Record<string, string>, host: Record<string, string>): Record<string, "host" | "new"> {
  const out: Record<string, "host" | "new"> = {};
  for (const [name, link] of Object.entries(container)) out[name] = host[name] === link ? "host" : "new";
  return out;
}

/** Lines "Key:\tvalue" of /proc/<pid>/status → key → value. */
export function parseStatus(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const m = /^([A-Za-z_]+):\s*(.*)$/.exec(l);
    if (m !== null) out[m[1] as string] = (m[2] as string).trim();
  }
  return out;
}

/**
 * busybox `ulimit -a` lines ("open files    (-n) 1024") → flag → value
 * ("-n" → "1024"). Lines in another format are kept under their full text.
 */
export function parseUlimit(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const m = /^(.*?)\s*\((-[a-zA-Z])\)\s+(\S+)\s*$/.exec(l);
    if (m !== null) out[m[2] as string] = m[3] as string;
    else if (l.trim() !== "") out[l.trim()] = "";
  }
  return out;
}

/** Terminal output: CRLF → LF, trailing blank lines dropped. */
export function normaliseTty(text: string): string {
  return text.replaceAll("\r\n", "\n").replaceAll("\r", "\n").replace(/\n+$/, "");
}
