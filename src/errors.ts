// The one error type berth raises. It carries what was being done (op), what it
// was done to (path: a file path, a JSON path such as `linux.namespaces[2].type`,
// or a flag such as `--pid-file`), the errno or underlying cause, and a hint that
// tells the person what to change. `message` is the rendered, human sentence.

import { os, util } from "./lazy.js";

export interface BerthErrorInit {
  /** What berth was doing: "create", "mount", "validate", "open console socket" … */
  op: string;
  /** File path, JSON path or flag the error is about. */
  path?: string;
  /** errno name such as "ENOENT", when the cause is a syscall. */
  errno?: string;
  /** The underlying error, if any. */
  cause?: unknown;
  /** What to do about it. */
  hint?: string;
  /** Process exit status to use when this error ends the command (default 1). */
  exitCode?: number;
}

export class BerthError extends Error {
  /** The sentence about what went wrong, without op, path, errno and hint (those are in `message`). */
  readonly detail: string;
  readonly op: string;
  readonly path?: string;
  readonly errno?: string;
  readonly hint?: string;
  readonly exitCode: number;

  constructor(detail: string, init: BerthErrorInit) {
    super(BerthError.render(detail, init), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "BerthError";
    this.detail = detail;
    this.op = init.op;
    this.path = init.path;
    this.errno = init.errno;
    this.hint = init.hint;
    this.exitCode = init.exitCode ?? 1;
  }

  private static render(detail: string, init: BerthErrorInit): string {
    let msg = init.op;
    if (init.path !== undefined) msg += ` ${init.path}`;
    msg += `: ${detail}`;
    if (init.errno !== undefined && !detail.includes(init.errno)) msg += ` (${init.errno})`;
    if (init.hint !== undefined) msg += `; ${init.hint}`;
    return msg;
  }

  /** Wrap any thrown value from a syscall-ish Node API into a BerthError. */
  static fromSys(op: string, path: string | undefined, err: unknown, hint?: string): BerthError {
    if (err instanceof BerthError) return err;
    const e = err as NodeJS.ErrnoException;
    const code = typeof e?.code === "string" ? e.code : undefined;
    const text = code !== undefined ? describeErrno(code) : String((e as Error)?.message ?? err);
    return new BerthError(text, { op, path, errno: code, cause: err, hint });
  }

  /** The error of a failed system call that set errno `n` (a positive number, as libc's errno). */
  static fromErrno(op: string, path: string | undefined, n: number, hint?: string): BerthError {
    const errno = errnoName(n);
    return new BerthError(describeErrno(errno), { op, path, errno, hint });
  }
}

/**
 * Linux's own text for the errnos whose libuv wording (node:util's getSystemErrorMessage)
 * differs from it, or which libuv does not know. berth words an errno as Go, and so runc,
 * does: libc's strerror(3) with a lower-case first letter ("no such file or directory");
 * engines match that text case-sensitively. src/linux/errno.test.ts checks the result
 * against libc's strerror for every errno Node names.
 */
const LINUX_TEXT: Record<string, string> = {
  EADDRNOTAVAIL: "cannot assign requested address",
  EAFNOSUPPORT: "address family not supported by protocol",
  EALREADY: "operation already in progress",
  EBADMSG: "bad message",
  EBUSY: "device or resource busy",
  ECHILD: "no child processes",
  EDEADLK: "resource deadlock avoided",
  EDOM: "numerical argument out of domain",
  EDQUOT: "disk quota exceeded",
  EEXIST: "file exists",
  EFAULT: "bad address",
  EHOSTUNREACH: "no route to host",
  EIDRM: "identifier removed",
  EILSEQ: "invalid or incomplete multibyte or wide character",
  EINPROGRESS: "operation now in progress",
  EIO: "input/output error",
  EISCONN: "transport endpoint is already connected",
  EISDIR: "is a directory",
  ELOOP: "too many levels of symbolic links",
  EMULTIHOP: "multihop attempted",
  ENAMETOOLONG: "file name too long",
  ENETRESET: "network dropped connection on reset",
  ENFILE: "too many open files in system",
  ENOLCK: "no locks available",
  ENOLINK: "link has been severed",
  ENOMEM: "cannot allocate memory",
  ENOMSG: "no message of desired type",
  ENOSR: "out of streams resources",
  ENOSTR: "device not a stream",
  ENOTCONN: "transport endpoint is not connected",
  ENOTSUP: "operation not supported",
  EOPNOTSUPP: "operation not supported",
  ERANGE: "numerical result out of range",
  ESPIPE: "illegal seek",
  ESTALE: "stale file handle",
  ETIME: "timer expired",
  ETXTBSY: "text file busy",
  EXDEV: "invalid cross-device link",
};

/** Aliases Linux gives a number that has another, canonical name (the one Go and strace print). */
const ALIASES = new Set(["EWOULDBLOCK", "ENOTSUP", "EDEADLOCK"]);

let names: Map<number, string> | undefined;

/** The errno name of a (positive) errno number, such as "ENOENT" for 2; "errno N" when Linux has none. */
export function errnoName(n: number): string {
  if (names === undefined) {
    names = new Map();
    for (const [name, num] of Object.entries(os().constants.errno)) if (!ALIASES.has(name)) names.set(num, name);
  }
  return names.get(n) ?? `errno ${n}`;
}

/** The text of an errno name, in Go's (runc's) wording: "no such file or directory" for ENOENT. */
export function describeErrno(code: string): string {
  const text = LINUX_TEXT[code];
  if (text !== undefined) return text;
  const n = (os().constants.errno as Record<string, number | undefined>)[code];
  return n === undefined ? code : util().getSystemErrorMessage(-n);
}

export function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException)?.code === code;
}
