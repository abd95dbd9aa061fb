// Compiled seccomp programs, cached by profile. Loading koffi to reach
// libseccomp costs about 35 ms, most of a create, so the program compiled for a
// profile is kept in a root-only directory (the state root's @seccomp-cache;
// "@" cannot be in a container id) and reused while the profile, libseccomp and
// berth's compiler are the same. A cache file not owned by this user or
// writable by others is never trusted.

import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, constants } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "../../hash.js";
import { compileProfile, type Seccomp } from "./profile.js";

/** Bump when the compiler's output for the same profile changes. */
const COMPILER_VERSION = "2";
const MAGIC = "BSC1";
const LIBSECCOMP = "/usr/lib/x86_64-linux-gnu/libseccomp.so.2";

export interface SeccompProgram {
  bpf: Buffer;
  flags: number;
}

function libIdentity(): string {
  try {
    const st = statSync(LIBSECCOMP);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return "none";
  }
}

function cacheKey(s: Seccomp, base: string): string {
  return sha256Hex(JSON.stringify([COMPILER_VERSION, process.arch, libIdentity(), base, s]));
}

function readCached(file: string): { prog: SeccompProgram; warnings: string[] } | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const uid = process.geteuid?.() ?? 0;
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o022) !== 0 || st.size < 12 || st.size > 1 << 22) return undefined;
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) return undefined;
      off += n;
    }
    if (buf.toString("latin1", 0, 4) !== MAGIC) return undefined;
    const flags = buf.readUInt32LE(4);
    const wlen = buf.readUInt32LE(8);
    if (12 + wlen > buf.length) return undefined;
    const warnText = buf.toString("utf8", 12, 12 + wlen);
    const bpf = buf.subarray(12 + wlen);
    if (bpf.length === 0 || bpf.length % 8 !== 0) return undefined;
    return { prog: { bpf, flags }, warnings: warnText === "" ? [] : warnText.split("\n") };
  } finally {
    closeSync(fd);
  }
}

function writeCached(dir: string, file: string, prog: SeccompProgram, warnings: string[]): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const w = Buffer.from(warnings.join("\n"), "utf8");
    const head = Buffer.alloc(12);
    head.write(MAGIC, 0, "latin1");
    head.writeUInt32LE(prog.flags >>> 0, 4);
    head.writeUInt32LE(w.length, 8);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.concat([head, w, prog.bpf]), { mode: 0o600 });
    try {
      renameSync(tmp, file);
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        /* gone */
      }
    }
  } catch {
    // A cache that cannot be written only costs the next create a compile.
  }
}

/**
 * The BPF program for profile `s` (at JSON path `base`), from the cache in `cacheDir` when
 * there, else compiled by libseccomp and stored. Warnings (syscalls libseccomp does not
 * know) go to `warn` either way.
 */
export function seccompProgram(s: Seccomp, warn: (msg: string) => void, opts: { cacheDir?: string; base?: string } = {}): SeccompProgram {
  const base = opts.base ?? "linux.seccomp";
  const file = opts.cacheDir === undefined ? undefined : join(opts.cacheDir, `${cacheKey(s, base)}.bpf`);
  if (file !== undefined) {
    const hit = readCached(file);
    if (hit !== undefined) {
      for (const w of hit.warnings) warn(w);
      return hit.prog;
    }
  }
  const warnings: string[] = [];
  const prog = compileProfile(
    s,
    (m) => {
      warnings.push(m);
      warn(m);
    },
    base,
  );
  if (file !== undefined) writeCached(opts.cacheDir!, file, prog, warnings);
  return prog;
}
