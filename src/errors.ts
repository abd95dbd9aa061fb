// The one error type berth raises. It carries what was being done (op), what it
// was done to (path: a file path, a JSON path such as `linux.namespaces[2].type`,
// or a flag such as `--pid-file`), the errno or underlying cause, and a hint that
// tells the person what to change. `message` is the rendered, human sentence.

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
  readonly op: string;
  readonly path?: string;
  readonly errno?: string;
  readonly hint?: string;
  readonly exitCode: number;

  constructor(detail: string, init: BerthErrorInit) {
    super(BerthError.render(detail, init), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "BerthError";
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
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: "no such file or directory",
  EEXIST: "file exists",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  EBUSY: "device or resource busy",
  EINVAL: "invalid argument",
  ESRCH: "no such process",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
  ECONNREFUSED: "connection refused",
  ENOTSOCK: "not a socket",
  ENXIO: "no such device or address",
  ENAMETOOLONG: "file name too long",
  ELOOP: "too many levels of symbolic links",
};

export function describeErrno(code: string): string {
  return ERRNO_TEXT[code] ?? code;
}

export function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException)?.code === code;
}
