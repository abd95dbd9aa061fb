// linux.seccomp → the rules libseccomp compiles, with runc's semantics where
// the spec leaves room: ERRNO and TRACE without errnoRet return EPERM; a rule
// whose action is the default action is left out (it changes nothing); several
// comparisons on one argument become one rule each (libseccomp allows one
// comparison per argument in a rule); a syscall name libseccomp does not know
// is skipped with a warning (it does not exist on this kernel's architectures).
// A profile that uses SCMP_ACT_NOTIFY gets SECCOMP_FILTER_FLAG_NEW_LISTENER, and its
// listener goes to the agent at listenerPath (src/runtime/seccompAgent.ts,
// native/listener.c); as with runc, NOTIFY without listenerPath is an error and a
// listenerPath without NOTIFY is ignored (runtime-spec says so). Unlike runc, berth
// allows NOTIFY on write and as the default action: berth-init makes no syscall between
// loading the filter and handing on the listener, so none can wait on an agent that does
// not have it yet.

import { constants } from "node:os";
import { BerthError } from "../../errors.js";
import { archToken, compileFilter, syscallNumber, type ArgCmp, type FilterIn, type RuleIn } from "./libseccomp.js";

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}
export interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}
export interface Seccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompRule[];
}

const EPERM = constants.errno.EPERM;
const SCMP_ACT_KILL_PROCESS = 0x80000000;
const SCMP_ACT_KILL_THREAD = 0x00000000;
const SCMP_ACT_TRAP = 0x00030000;
const SCMP_ACT_LOG = 0x7ffc0000;
const SCMP_ACT_ALLOW = 0x7fff0000;
const SCMP_ACT_NOTIFY = 0x7fc00000;
const errnoAction = (e: number): number => (0x00050000 | (e & 0xffff)) >>> 0;
const traceAction = (e: number): number => (0x7ff00000 | (e & 0xffff)) >>> 0;

/** The actions berth carries out (features lists them). */
export const SECCOMP_ACTIONS = [
  "SCMP_ACT_ALLOW",
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_KILL",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_LOG",
  "SCMP_ACT_NOTIFY",
  "SCMP_ACT_TRACE",
  "SCMP_ACT_TRAP",
] as const;

export const SECCOMP_OPERATORS: Record<string, number> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

/** seccomp(2) filter flags by their spec names. */
export const SECCOMP_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

/** Not a spec flag: added by berth when the profile uses SCMP_ACT_NOTIFY. */
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;
const SECCOMP_FILTER_FLAG_TSYNC = 1;
/** TSYNC and NEW_LISTENER together need this one too (seccomp(2)). */
const SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 16;

/** Whether the profile sends syscalls to a seccomp agent (its default action or any rule). */
export function usesNotify(s: Seccomp): boolean {
  return s.defaultAction === "SCMP_ACT_NOTIFY" || (s.syscalls ?? []).some((r) => r.action === "SCMP_ACT_NOTIFY");
}

/** libseccomp's name for a spec architecture: SCMP_ARCH_X86_64 → x86_64. */
export function archName(specName: string): string {
  return specName.replace(/^SCMP_ARCH_/, "").toLowerCase();
}

function fail(path: string, detail: string, hint?: string): never {
  throw new BerthError(detail, { op: "invalid seccomp profile", path, hint });
}

/** The libseccomp action value of a spec action; `errnoRet` applies to ERRNO and TRACE. */
export function actionValue(action: string, errnoRet: number | undefined, path: string): number {
  switch (action) {
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return SCMP_ACT_KILL_THREAD;
    case "SCMP_ACT_KILL_PROCESS":
      return SCMP_ACT_KILL_PROCESS;
    case "SCMP_ACT_TRAP":
      return SCMP_ACT_TRAP;
    case "SCMP_ACT_ERRNO":
      return errnoAction(errnoRet ?? EPERM);
    case "SCMP_ACT_TRACE":
      return traceAction(errnoRet ?? EPERM);
    case "SCMP_ACT_ALLOW":
      return SCMP_ACT_ALLOW;
    case "SCMP_ACT_LOG":
      return SCMP_ACT_LOG;
    case "SCMP_ACT_NOTIFY":
      return SCMP_ACT_NOTIFY;
    default:
      return fail(path, `unknown action "${action}"`, `use one of ${SECCOMP_ACTIONS.join(", ")}`);
  }
}

function errnoIn(v: number | undefined, path: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) fail(path, `errno ${v} is out of range (0..65535)`);
  return v;
}

function u64(v: number | undefined, path: string): bigint {
  if (v === undefined) return 0n;
  if (!Number.isInteger(v) || v < 0) fail(path, `${v} is not an unsigned 64-bit integer`);
  return BigInt(v);
}

export interface ResolvedFilter {
  filter: FilterIn;
  flags: number;
  rulePaths: string[];
}

/** Check `s` and turn it into libseccomp input; `warn` gets the syscall names skipped. */
export function resolveProfile(s: Seccomp, warn: (msg: string) => void, base = "linux.seccomp"): ResolvedFilter {
  const hasListenerPath = s.listenerPath !== undefined && s.listenerPath !== "";
  if (s.listenerMetadata !== undefined && s.listenerMetadata !== "" && !hasListenerPath) {
    fail(
      `${base}.listenerMetadata`,
      "listenerMetadata is set without listenerPath (runtime-spec: it must not be)",
      "set listenerPath to the seccomp agent's socket, or remove listenerMetadata",
    );
  }
  const notify = usesNotify(s);
  if (notify && !hasListenerPath) {
    fail(
      `${base}.listenerPath`,
      "SCMP_ACT_NOTIFY is used but listenerPath is not set: nobody would answer the notifications",
      "set listenerPath to the unix socket of the seccomp agent",
    );
  }
  const defErrno = errnoIn(s.defaultErrnoRet, `${base}.defaultErrnoRet`);
  if (defErrno !== undefined && s.defaultAction !== "SCMP_ACT_ERRNO" && s.defaultAction !== "SCMP_ACT_TRACE") {
    fail(`${base}.defaultErrnoRet`, `defaultErrnoRet is only meaningful with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${s.defaultAction}`);
  }
  const defaultAction = actionValue(s.defaultAction, defErrno, `${base}.defaultAction`);

  const arches: number[] = [];
  (s.architectures ?? []).forEach((a, i) => {
    const token = archToken(archName(a));
    if (token === 0) fail(`${base}.architectures[${i}]`, `libseccomp does not know the architecture "${a}"`);
    arches.push(token);
  });

  let flags = 0;
  (s.flags ?? []).forEach((f, i) => {
    const bit = SECCOMP_FLAGS[f];
    if (bit === undefined) fail(`${base}.flags[${i}]`, `unknown flag "${f}"`, `use one of ${Object.keys(SECCOMP_FLAGS).join(", ")}`);
    flags |= bit;
  });
  if (notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if ((flags & SECCOMP_FILTER_FLAG_TSYNC) !== 0) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  }

  const rules: RuleIn[] = [];
  const rulePaths: string[] = [];
  const unknown: string[] = [];
  (s.syscalls ?? []).forEach((r, i) => {
    const path = `${base}.syscalls[${i}]`;
    if (r.names.length === 0) fail(`${path}.names`, "a rule needs at least one syscall name");
    const errno = errnoIn(r.errnoRet, `${path}.errnoRet`);
    if (errno !== undefined && r.action !== "SCMP_ACT_ERRNO" && r.action !== "SCMP_ACT_TRACE") {
      fail(`${path}.errnoRet`, `errnoRet is only meaningful with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${r.action}`);
    }
    const action = actionValue(r.action, errno, `${path}.action`);
    const cmps: ArgCmp[] = (r.args ?? []).map((a, j) => {
      const ap = `${path}.args[${j}]`;
      if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) fail(`${ap}.index`, `argument index ${a.index} is out of range (0..5)`);
      const op = SECCOMP_OPERATORS[a.op];
      if (op === undefined) fail(`${ap}.op`, `unknown operator "${a.op}"`, `use one of ${Object.keys(SECCOMP_OPERATORS).join(", ")}`);
      return { arg: a.index, op, a: u64(a.value, `${ap}.value`), b: u64(a.valueTwo, `${ap}.valueTwo`) };
    });
    // Redundant with the default: runc leaves such rules out, and so does berth.
    if (action === defaultAction) return;
    const perArg = new Set(cmps.map((c) => c.arg)).size !== cmps.length;
    const groups = perArg ? cmps.map((c) => [c]) : [cmps];
    for (const name of r.names) {
      const nr = syscallNumber(name);
      if (nr === undefined) {
        unknown.push(name);
        continue;
      }
      for (const args of groups) {
        rules.push({ action, syscall: nr, args });
        rulePaths.push(path);
      }
    }
  });
  if (unknown.length > 0) {
    warn(
      `${base}.syscalls: libseccomp does not know ${[...new Set(unknown)].map((n) => `"${n}"`).join(", ")} on this system; rules for them are left out`,
    );
  }
  // A syscall on a foreign architecture in the filter kills the thread, as with runc.
  return { filter: { defaultAction, badArchAction: SCMP_ACT_KILL_THREAD, arches, rules }, flags, rulePaths };
}

/** The compiled BPF program and seccomp(2) flags for `s`. */
export function compileProfile(s: Seccomp, warn: (msg: string) => void, base = "linux.seccomp"): { bpf: Buffer; flags: number } {
  const r = resolveProfile(s, warn, base);
  const bpf = compileFilter(r.filter, (i) => r.rulePaths[i] ?? `${base}.syscalls`);
  return { bpf, flags: r.flags };
}
