// Reading JSON documents safely: a bounded read of a regular file, a nesting
// limit, and syntax errors that say where. Kept apart from validate.ts so the
// commands that only read JSON (exec, update) do not load the schema validators.

import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { BerthError } from "../errors.js";

/** The largest JSON document berth reads (config.json, --process, update's resources). */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;
/** The deepest nesting of objects and arrays it accepts; real configs nest fewer than ten levels. */
export const MAX_JSON_DEPTH = 512;

/** Read a regular file of at most MAX_JSON_BYTES; never follows it into a device or a growing stream. */
function readBounded(file: string, op: string): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    const hint = code === "ENOENT" ? "the bundle directory must contain config.json (`berth spec` writes an example)" : undefined;
    throw BerthError.fromSys(op, file, err, hint);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new BerthError(`not a regular file (${st.isDirectory() ? "a directory" : "a device, fifo or socket"})`, {
        op,
        path: file,
        errno: st.isDirectory() ? "EISDIR" : "EINVAL",
        hint: "it must be a regular JSON file",
      });
    }
    if (st.size > MAX_JSON_BYTES) {
      throw new BerthError(`${st.size} bytes is more than the ${MAX_JSON_BYTES} berth reads`, {
        op,
        path: file,
        hint: "a JSON document this large is not a runtime config",
      });
    }
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) throw new BerthError("the file grew while it was read", { op, path: file });
    }
    return buf.toString("utf8", 0, n);
  } catch (err) {
    if (err instanceof BerthError) throw err;
    throw BerthError.fromSys(op, file, err);
  } finally {
    closeSync(fd);
  }
}

/** The deepest nesting of objects and arrays in JSON text (strings skipped), stopping past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0,
    max = 0,
    inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Read and parse a JSON file; errors name the file and, for syntax errors, the line and column. */
export function readJsonFile(file: string, op: string): unknown {
  const text = readBounded(file, op);
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new BerthError(`objects and arrays nest deeper than ${MAX_JSON_DEPTH} levels`, {
      op,
      path: file,
      hint: "a runtime config nests a few levels; this is not one",
    });
  }
  return parseJsonText(text, file, op);
}

/** JSON.parse with an error that says where the syntax error is. */
export function parseJsonText(text: string, file: string, op: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const raw = String((err as Error)?.message ?? err);
    // V8 sometimes quotes the whole input in its message; keep only the reason.
    const reason = raw
      .replace(/,\s*(?:\.\.\.)?"[\s\S]*" is not valid JSON$/, "")
      .replace(/\s*in JSON at position \d+(?:\s*\(line \d+ column \d+\))?/, "");
    const offset = jsonErrorOffset(text);
    const where = offset >= text.length ? "at end of file" : `line ${lineColumn(text, offset).join(", column ")}`;
    throw new BerthError(`not valid JSON: ${where}: ${reason}`, {
      op,
      path: file,
      cause: err,
      hint: "fix the JSON syntax",
    });
  }
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): [number, number] {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return [line, offset - before.lastIndexOf("\n")];
}

/**
 * Offset of the first JSON syntax error in `text` (text.length when the input
 * ends too early; -1 when the text is valid). A small scanner, used only to
 * point at the error when JSON.parse has already failed.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  class Stop {
    constructor(readonly at: number) {}
  }
  const stop: (at?: number) => never = (at = i) => {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a jump out of the scanner, caught below, never seen outside
    throw new Stop(at);
  };
  const literal = (word: string): void => {
    for (const c of word) {
      if (i >= text.length) stop();
      if (text[i] !== c) stop();
      i++;
    }
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) stop();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) stop();
      if (c === 0x5c) {
        i++;
        if (i >= text.length) stop();
        const e = text[i]!;
        if (e === "u") {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? "")) stop(Math.min(i + k, text.length));
          i += 5;
        } else if ('"\\/bfnrt'.includes(e)) i++;
        else stop();
      } else i++;
    }
  };
  const number = (): void => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === "-") stop();
    i += m[0].length;
  };
  /** An object's or array's members after its opening bracket, separated by commas, up to `close`. */
  const items = (close: string, item: () => void): void => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      ws();
      if (i >= text.length) stop();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === close) {
        i++;
        return;
      }
      stop();
    }
  };
  const value = (): void => {
    ws();
    if (i >= text.length) stop();
    const c = text[i]!;
    if (c === "{") {
      items("}", () => {
        ws();
        if (i >= text.length || text[i] !== '"') stop();
        string();
        ws();
        if (i >= text.length || text[i] !== ":") stop();
        i++;
        value();
      });
    } else if (c === "[") {
      items("]", value);
    } else if (c === '"') string();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else if (c === "-" || (c >= "0" && c <= "9")) number();
    else stop();
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (e) {
    if (e instanceof Stop) return e.at;
    throw e;
  }
}
