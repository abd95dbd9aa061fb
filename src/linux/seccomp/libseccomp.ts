// libseccomp through koffi: the one place that turns seccomp rules into a BPF
// program. Loaded only when a config has a seccomp section (koffi and
// libseccomp cost a few milliseconds to load). berth-init receives the program
// as bytes in the plan and loads it with seccomp(2); it never sees rules.

import { closeSync, fstatSync, readSync } from "node:fs";
import { constants } from "node:os";
import { BerthError } from "../../errors.js";
import { loadKoffi } from "../koffi.js";

/** One comparison of a rule, as libseccomp's struct scmp_arg_cmp. */
export interface ArgCmp {
  arg: number;
  op: number;
  a: bigint;
  b: bigint;
}

/** One rule: action, syscall number (native, as libseccomp resolves it), comparisons (ANDed). */
export interface RuleIn {
  action: number;
  syscall: number;
  args: ArgCmp[];
}

/** What to compile: the default action, the bad-architecture action, extra arches, rules. */
export interface FilterIn {
  defaultAction: number;
  badArchAction: number;
  arches: number[];
  rules: RuleIn[];
}

interface Lib {
  init(def: number): unknown;
  release(ctx: unknown): void;
  archAdd(ctx: unknown, arch: number): number;
  archExist(ctx: unknown, arch: number): number;
  archResolve(name: string): number;
  archNative(): number;
  attrSet(ctx: unknown, attr: number, value: number): number;
  ruleAdd(ctx: unknown, action: number, syscall: number, n: number, args: unknown): number;
  resolveSyscall(name: string): number;
  exportBpf(ctx: unknown, fd: number): number;
  version(): { major: number; minor: number; micro: number };
  memfd(name: string, flags: number): number;
  seccomp(op: number, flags: number, args: null): number;
  errno(): number;
}

let lib: Lib | undefined;
let loadError: string | undefined;

/** The library, loaded on first use; a BerthError naming `jsonPath` when it cannot be had. */
function load(jsonPath: string): Lib {
  if (lib !== undefined) return lib;
  if (loadError === undefined) {
    try {
      const koffi = loadKoffi();
      const so = koffi.load("libseccomp.so.2");
      const libc = koffi.load("libc.so.6");
      koffi.opaque("scmp_filter_ctx_t");
      const Cmp = koffi.struct("scmp_arg_cmp", { arg: "uint", op: "int", datum_a: "uint64", datum_b: "uint64" });
      const Ver = koffi.struct("scmp_version", { major: "uint", minor: "uint", micro: "uint" });
      const init = so.func("scmp_filter_ctx_t *seccomp_init(uint32_t def_action)");
      const release = so.func("void seccomp_release(scmp_filter_ctx_t *ctx)");
      const archAdd = so.func("int seccomp_arch_add(scmp_filter_ctx_t *ctx, uint32_t arch)");
      const archExist = so.func("int seccomp_arch_exist(scmp_filter_ctx_t *ctx, uint32_t arch)");
      const archResolve = so.func("uint32_t seccomp_arch_resolve_name(const char *name)");
      const archNative = so.func("uint32_t seccomp_arch_native()");
      const attrSet = so.func("int seccomp_attr_set(scmp_filter_ctx_t *ctx, int attr, uint32_t value)");
      const ruleAdd = so.func(
        "int seccomp_rule_add_array(scmp_filter_ctx_t *ctx, uint32_t action, int syscall, uint arg_cnt, const scmp_arg_cmp *arg_array)",
      );
      const resolve = so.func("int seccomp_syscall_resolve_name(const char *name)");
      const exportBpf = so.func("int seccomp_export_bpf(scmp_filter_ctx_t *ctx, int fd)");
      const version = so.func("const scmp_version *seccomp_version()");
      const memfd = libc.func("int memfd_create(const char *name, uint flags)");
      const sys = libc.func("long syscall(long nr, uint op, uint flags, void *args)");
      void Cmp;
      lib = {
        init: (d) => init(d) as unknown,
        release: (c) => release(c) as void,
        archAdd: (c, a) => archAdd(c, a) as number,
        archExist: (c, a) => archExist(c, a) as number,
        archResolve: (n) => archResolve(n) as number,
        archNative: () => archNative() as number,
        attrSet: (c, a, v) => attrSet(c, a, v) as number,
        ruleAdd: (c, act, sc, n, args) => ruleAdd(c, act, sc, n, args) as number,
        resolveSyscall: (n) => resolve(n) as number,
        exportBpf: (c, fd) => exportBpf(c, fd) as number,
        version: () => koffi.decode(version(), Ver) as { major: number; minor: number; micro: number },
        memfd: (n, f) => memfd(n, f) as number,
        seccomp: (op, f, a) => sys(SYS_SECCOMP, op, f, a) as number,
        errno: () => koffi.errno(),
      };
      return lib;
    } catch (err) {
      loadError = err instanceof Error ? err.message : String(err);
    }
  }
  throw new BerthError(`libseccomp cannot be loaded: ${loadError}`, {
    op: "seccomp",
    path: jsonPath,
    hint: "install libseccomp2 (Debian: apt-get install libseccomp2), or remove linux.seccomp",
  });
}

/** Whether libseccomp can be loaded here. */
export function libseccompAvailable(): boolean {
  try {
    load("linux.seccomp");
    return true;
  } catch {
    return false;
  }
}

/** "2.5.4", or undefined when libseccomp cannot be loaded. */
export function libseccompVersion(): string | undefined {
  if (!libseccompAvailable()) return undefined;
  const v = lib!.version();
  return `${v.major}.${v.minor}.${v.micro}`;
}

/** libseccomp's token for an architecture name ("x86_64"), or 0 when it knows none. */
export function archToken(name: string): number {
  return load("linux.seccomp.architectures").archResolve(name);
}

/** The native syscall number of `name`, or undefined when libseccomp does not know it. */
export function syscallNumber(name: string): number | undefined {
  const n = load("linux.seccomp.syscalls").resolveSyscall(name);
  return n === -1 ? undefined : n;
}

const SYS_SECCOMP = 317; // x86-64
const SECCOMP_SET_MODE_FILTER = 1;
const EFAULT = constants.errno.EFAULT;

/**
 * Whether the kernel accepts seccomp filter flag `flag`: with no program, seccomp(2) answers
 * EFAULT when it knows the flags and EINVAL when it does not (nothing is loaded either way).
 */
export function kernelSupportsFilterFlag(flag: number): boolean {
  const l = load("linux.seccomp.flags");
  return l.seccomp(SECCOMP_SET_MODE_FILTER, flag, null) === -1 && l.errno() === EFAULT;
}

const SCMP_FLTATR_ACT_BADARCH = 2;
const SCMP_FLTATR_CTL_NNP = 3;
const MFD_CLOEXEC = 1;

function check(rc: number, what: string, path: string): void {
  if (rc < 0) {
    throw new BerthError(`libseccomp: ${what} failed (errno ${-rc})`, { op: "seccomp", path, errno: String(-rc) });
  }
}

/** Compile `f` into a classic BPF program (struct sock_filter[]). */
export function compileFilter(f: FilterIn, rulePath: (i: number) => string): Buffer {
  const l = load("linux.seccomp");
  const ctx = l.init(f.defaultAction);
  if (ctx === null)
    throw new BerthError("libseccomp: seccomp_init refused the default action", { op: "seccomp", path: "linux.seccomp.defaultAction" });
  try {
    // berth-init sets no_new_privs itself, as the config says.
    check(l.attrSet(ctx, SCMP_FLTATR_CTL_NNP, 0), "clearing the no_new_privs attribute", "linux.seccomp");
    check(l.attrSet(ctx, SCMP_FLTATR_ACT_BADARCH, f.badArchAction >>> 0), "setting the bad-architecture action", "linux.seccomp");
    for (const a of f.arches) {
      if (l.archExist(ctx, a) === 0) continue;
      check(l.archAdd(ctx, a), `adding architecture ${a}`, "linux.seccomp.architectures");
    }
    f.rules.forEach((r, i) => {
      const args = r.args.map((c) => ({ arg: c.arg, op: c.op, datum_a: c.a, datum_b: c.b }));
      check(l.ruleAdd(ctx, r.action >>> 0, r.syscall, args.length, args.length === 0 ? null : args), "adding a rule", rulePath(i));
    });
    const fd = l.memfd("berth-seccomp", MFD_CLOEXEC);
    if (fd < 0) throw new BerthError("memfd_create failed", { op: "seccomp", path: "linux.seccomp", errno: String(l.errno()) });
    try {
      check(l.exportBpf(ctx, fd), "exporting the BPF program", "linux.seccomp");
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(size);
      let off = 0;
      while (off < size) off += readSync(fd, buf, off, size - off, off);
      return buf;
    } finally {
      closeSync(fd);
    }
  } finally {
    l.release(ctx);
  }
}
