// Writing a new user namespace's uid and gid maps (/proc/<pid>/uid_map, gid_map),
// as runc does:
//
// - root writes them directly, any mapping;
// - a rootless caller may write a single mapping of its own effective id directly;
//   for gid_map the kernel then wants setgroups(2) denied first, which berth does
//   when the gid mapping is exactly "0 <egid> 1" (runc's rule);
// - anything else (several ids: ranges from /etc/subuid and /etc/subgid) is refused
//   by the kernel with EPERM, and then goes through the setuid helpers newuidmap
//   and newgidmap (Debian package uidmap), which check the ranges.

import { accessSync, constants, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { BerthError, isErrno } from "../errors.js";
import { childProcess } from "../lazy.js";
import type { IDMapping as IdMapping } from "../spec/types.js";

export interface IdMapWriter {
  /** Write `text` to `file` (a /proc/<pid> file); throws a Node errno error. */
  write(file: string, text: string): void;
  /** Run a mapping tool (newuidmap/newgidmap) with `args`; returns its exit status and stderr. */
  run(tool: string, args: string[]): { status: number | null; stderr: string; error?: Error };
  /** The absolute path of `name` on PATH, or undefined. */
  which(name: string): string | undefined;
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(delimiter)) {
    if (dir === "") continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

export const realIdMapWriter: IdMapWriter = {
  write: (file, text) => writeFileSync(file, text),
  run: (tool, args) => {
    // The helpers get an empty environment, as runc gives them.
    const r = childProcess().spawnSync(tool, args, { encoding: "utf8", env: {}, stdio: ["ignore", "ignore", "pipe"] });
    return { status: r.status, stderr: r.stderr ?? "", error: r.error };
  },
  which,
};

export function mapText(maps: readonly IdMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");
}

/** runc's requiresRootOrMappingTool, negated: the gid map a rootless caller may write itself. */
export function isSelfGidMap(maps: readonly IdMapping[] | undefined, egid: number): boolean {
  return maps !== undefined && maps.length === 1 && maps[0]!.containerID === 0 && maps[0]!.hostID === egid && maps[0]!.size === 1;
}

export interface WriteIdMapsOptions {
  /** berth's euid is not 0 (runc's RootlessEUID). */
  rootlessEuid: boolean;
  egid: number;
  io?: IdMapWriter;
}

/** Write the maps of the user namespace process `pid` made (setgroups first where needed). */
export function writeIdMaps(
  pid: number,
  uid: readonly IdMapping[] | undefined,
  gid: readonly IdMapping[] | undefined,
  opts: WriteIdMapsOptions,
): void {
  const io = opts.io ?? realIdMapWriter;
  if (opts.rootlessEuid && isSelfGidMap(gid, opts.egid)) {
    try {
      io.write(`/proc/${pid}/setgroups`, "deny");
    } catch (err) {
      // Kernels before 3.19 have no setgroups file, and need none.
      if (!isErrno(err, "ENOENT")) throw BerthError.fromSys("write setgroups", `/proc/${pid}/setgroups`, err);
    }
  }
  writeOne(pid, "uid", uid, opts.rootlessEuid, io);
  writeOne(pid, "gid", gid, opts.rootlessEuid, io);
}

function writeOne(pid: number, kind: "uid" | "gid", maps: readonly IdMapping[] | undefined, rootless: boolean, io: IdMapWriter): void {
  if (maps === undefined || maps.length === 0) return;
  const file = `/proc/${pid}/${kind}_map`;
  const jsonPath = `linux.${kind}Mappings`;
  try {
    io.write(file, mapText(maps));
    return;
  } catch (err) {
    if (!rootless || !isErrno(err, "EPERM")) {
      throw BerthError.fromSys("write id map", file, err, `check ${jsonPath}`);
    }
  }
  const name = `new${kind}map`;
  const tool = io.which(name);
  if (tool === undefined) {
    throw new BerthError(`${jsonPath} maps more than this user's own ${kind}, which needs ${name}, and it is not installed`, {
      op: "write id map",
      path: jsonPath,
      errno: "EPERM",
      hint: `install ${name} (Debian package uidmap) and give this user a range in /etc/sub${kind}; or map only the user's own ${kind} (size 1)`,
    });
  }
  const args = [String(pid), ...maps.flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)])];
  const r = io.run(tool, args);
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error !== undefined ? r.error.message : (r.stderr.trim().split("\n").pop() ?? `exit status ${r.status}`);
    throw new BerthError(`${name} ${args.join(" ")} failed: ${why}`, {
      op: "write id map",
      path: jsonPath,
      errno: "EPERM",
      hint: `the host ids in ${jsonPath} must be the user's own ${kind} or lie in its ranges in /etc/sub${kind}`,
    });
  }
}
