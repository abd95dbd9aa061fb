// Writing one linux.resources value into one cgroup file, with errors that name
// both the JSON path of the setting and the file the kernel refused.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { BerthError, describeErrno } from "../../errors.js";
import { readCgroupFile, writeCgroupFile } from "./files.js";

export const OP = "set cgroup limit";

/** Options both writers (v1 and v2) take. */
export interface ApplyOptions {
  /** `berth update` on a live container rather than create. */
  update?: boolean;
  warn?: (msg: string) => void;
}

export function hasFile(dir: string, file: string): boolean {
  return existsSync(join(dir, file));
}

/** The numeric content of a cgroup file ("max" → Infinity); undefined when absent or unparsable. */
export function readNumber(dir: string, file: string): number | undefined {
  const text = readCgroupFile(join(dir, file))?.trim();
  if (text === undefined || text === "") return undefined;
  if (text === "max") return Number.POSITIVE_INFINITY;
  const n = Number(text.split(/\s+/)[0]);
  return Number.isFinite(n) ? n : undefined;
}

function hintFor(errno: string | undefined, file: string): string {
  switch (errno) {
    case "EINVAL":
      return "the kernel refused the value; check its range and how it relates to the parent cgroup's settings";
    case "EBUSY":
      return "the value conflicts with what the cgroup uses now (for example a limit below current usage)";
    case "ENOENT":
      return `this kernel has no ${file}; the controller or feature is not available`;
    case "EPERM":
    case "EACCES":
      return "the cgroup file is not writable; check that cgroupfs is mounted read-write and berth runs as root";
    case "ERANGE":
      return "the value is out of range for this file";
    default:
      return "check the value";
  }
}

/**
 * Write `value` to `dir/file` for the setting at `jsonPath`. A kernel error
 * becomes a BerthError with the JSON path, the file, the errno and a hint.
 */
export function writeLimit(dir: string, file: string, value: string, jsonPath: string): void {
  const path = join(dir, file);
  try {
    writeCgroupFile(path, value, OP);
  } catch (err) {
    const errno = err instanceof BerthError ? err.errno : (err as NodeJS.ErrnoException)?.code;
    const why =
      errno === "ERANGE"
        ? "numerical result out of range"
        : errno !== undefined
          ? describeErrno(errno)
          : String((err as Error)?.message ?? err);
    throw new BerthError(`writing "${value}" to ${path}: ${why}`, {
      op: OP,
      path: jsonPath,
      errno,
      cause: err,
      hint: hintFor(errno, file),
    });
  }
}

/** A refused setting that needs no kernel round trip. */
export function invalid(jsonPath: string, detail: string, hint?: string): BerthError {
  return new BerthError(detail, { op: "validate", path: jsonPath, hint });
}
