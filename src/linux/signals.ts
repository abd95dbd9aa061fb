// Signal names and numbers for x86-64/arm64 Linux, and parsing with runc's rules:
// a decimal number is taken as is, otherwise the name is matched case-insensitively
// with or without the "SIG" prefix. Real-time signals are written SIGRTMIN+n / SIGRTMAX-n.
import { BerthError } from "../errors.js";

/** Standard signal names → numbers (the first name for a number is its canonical name). */
export const SIGNALS: Readonly<Record<string, number>> = Object.freeze({
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
});

/** SIGRTMIN as seen by C programs (glibc reserves the kernel's 32 and 33). */
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

function bad(raw: string, detail: string): BerthError {
  return new BerthError(detail, {
    op: "parse signal",
    path: raw,
    hint: "use a name such as TERM, SIGKILL or SIGRTMIN+3, or a number from 0 to 64",
  });
}

/** Signal number for "9", "KILL", "sigkill", "SIGRTMIN+2", "RTMAX-1" …; throws a BerthError. */
export function parseSignal(raw: string): number {
  const s = raw.trim();
  if (/^[0-9]+$/.test(s)) {
    const n = Number.parseInt(s, 10);
    if (n > SIGRTMAX) throw bad(raw, `invalid signal number ${s}`);
    return n;
  }
  let name = s.toUpperCase();
  if (!name.startsWith("SIG")) name = `SIG${name}`;
  if (Object.hasOwn(SIGNALS, name)) return SIGNALS[name]!;
  const rt = /^SIGRT(MIN|MAX)(?:([+-])([0-9]+))?$/.exec(name);
  if (rt !== null) {
    const base = rt[1] === "MIN" ? SIGRTMIN : SIGRTMAX;
    const off = rt[3] === undefined ? 0 : Number.parseInt(rt[3], 10);
    const n = rt[2] === "-" ? base - off : base + off;
    if ((rt[1] === "MIN" && rt[2] === "-") || (rt[1] === "MAX" && rt[2] === "+") || n < SIGRTMIN || n > SIGRTMAX) {
      throw bad(raw, `real-time signal "${raw}" is out of range`);
    }
    return n;
  }
  throw bad(raw, `unknown signal "${raw}"`);
}

export function isSignalKnown(raw: string): boolean {
  try {
    parseSignal(raw);
    return true;
  } catch {
    return false;
  }
}

/** Canonical name of a signal number ("SIGTERM", "SIGRTMIN+2"), or undefined. */
export function signalName(n: number): string | undefined {
  for (const [name, num] of Object.entries(SIGNALS)) if (num === n) return name;
  if (n === SIGRTMIN) return "SIGRTMIN";
  if (n === SIGRTMAX) return "SIGRTMAX";
  if (n > SIGRTMIN && n < SIGRTMAX) return `SIGRTMIN+${n - SIGRTMIN}`;
  return undefined;
}
