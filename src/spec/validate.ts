// Reading and validating OCI documents: config.json (schema + semantic checks),
// the state document and the features document. Schema checking uses the
// validators generated at build time from spec/*.schema.json (no schema is
// compiled at run time); every failure becomes one BerthError that names the
// offending JSON path in dotted form, e.g. `linux.namespaces[2].type`.

import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { BerthError } from "../errors.js";
import type { OciState, Spec } from "./types.js";
import { checkSemantics, type SemanticOptions } from "./semantic.js";
import {
  validateConfig as schemaConfig,
  validateFeatures as schemaFeatures,
  validateState as schemaState,
  type CompiledValidator,
  type SchemaError,
} from "./validators.js";

export { validateContainerId } from "./semantic.js";

/** How many schema problems the error message spells out before summarising the rest. */
const MAX_LISTED = 3;

export interface LoadedConfig {
  spec: Spec;
  /** Human sentences for things berth accepts but the spec deprecates or cannot honour. */
  warnings: string[];
}

/**
 * Read `<bundle>/config.json`, check it against the schema and the semantic rules,
 * and return it typed. Throws one BerthError naming the file or JSON path at fault.
 */
export function loadAndValidateConfig(bundle: string, options: SemanticOptions = {}): LoadedConfig {
  const file = join(bundle, "config.json");
  const doc = readJsonFile(file, "load config");
  checkSchema(schemaConfig, doc, "validate config.json", file);
  const spec = doc as Spec;
  const warnings = checkSemantics(spec, bundle, options);
  return { spec, warnings };
}

/** Check a state document (what `berth state` prints); throws a BerthError when it does not match. */
export function validateState(doc: unknown): OciState {
  checkSchema(schemaState, doc, "validate state");
  return doc as OciState;
}

/** Check a features document (what `berth features` prints); throws a BerthError when it does not match. */
export function validateFeatures(doc: unknown): Record<string, unknown> {
  checkSchema(schemaFeatures, doc, "validate features");
  return doc as Record<string, unknown>;
}

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
        op, path: file, errno: st.isDirectory() ? "EISDIR" : "EINVAL", hint: "it must be a regular JSON file",
      });
    }
    if (st.size > MAX_JSON_BYTES) {
      throw new BerthError(`${st.size} bytes is more than the ${MAX_JSON_BYTES} berth reads`, { op, path: file, hint: "a JSON document this large is not a runtime config" });
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
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
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
    throw new BerthError(`objects and arrays nest deeper than ${MAX_JSON_DEPTH} levels`, { op, path: file, hint: "a runtime config nests a few levels; this is not one" });
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

/** Run a generated validator; on failure throw one BerthError describing the problems. */
export function checkSchema(validator: CompiledValidator, doc: unknown, op: string, file?: string): void {
  if (validator(doc)) return;
  throw schemaError(validator.errors ?? [], doc, op, file);
}

/** Turn ajv's error list into one BerthError (exported for tests). */
export function schemaError(errors: readonly SchemaError[], doc: unknown, op: string, file?: string): BerthError {
  const problems = dedupe(errors.map((e) => describeSchemaError(e, doc)));
  if (problems.length === 0) problems.push({ path: "", text: "does not match the schema" });
  const [first, ...rest] = problems;
  let detail = first.text;
  if (rest.length > 0) {
    const listed = rest.slice(0, MAX_LISTED).map((p) => `${p.path || "(document)"}: ${p.text}`);
    const more = rest.length - listed.length;
    detail += `; also ${listed.join("; ")}${more > 0 ? `; and ${more} more problem${more === 1 ? "" : "s"}` : ""}`;
  }
  return new BerthError(detail, {
    op,
    path: first.path === "" ? file : first.path,
    hint: file === undefined ? undefined : `fix ${file}`,
  });
}

export interface SchemaProblem {
  /** Dotted JSON path, "" for the document itself. */
  path: string;
  /** What is wrong, in plain words. */
  text: string;
}

function dedupe(problems: SchemaProblem[]): SchemaProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Explain one ajv error: the dotted path and a sentence. */
export function describeSchemaError(e: SchemaError, doc: unknown): SchemaProblem {
  const segments = pointerSegments(e.instancePath);
  const value = valueAt(doc, segments);
  const p = e.params;
  switch (e.keyword) {
    case "required": {
      const missing = String(p.missingProperty);
      return { path: dottedPath(doc, [...segments, missing]), text: "is required but missing" };
    }
    case "type":
      return { path: dottedPath(doc, segments), text: `must be ${typeWords(String(p.type))} (got ${show(value)})` };
    case "enum": {
      const allowed = (p.allowedValues as unknown[]).map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
      return { path: dottedPath(doc, segments), text: `must be one of ${allowed.join(", ")} (got ${show(value)})` };
    }
    case "pattern":
      return { path: dottedPath(doc, segments), text: `${patternWords(String(p.pattern))} (got ${show(value)})` };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return { path: dottedPath(doc, segments), text: `${limitWords(e.keyword, p.limit as number)} (got ${show(value)})` };
    case "minItems": {
      const n = Number(p.limit);
      return { path: dottedPath(doc, segments), text: `must have at least ${n} entr${n === 1 ? "y" : "ies"}` };
    }
    default:
      return { path: dottedPath(doc, segments), text: e.message ?? `fails the "${e.keyword}" rule` };
  }
}

function typeWords(type: string): string {
  return type
    .split(",")
    .map((t) => ({ object: "an object", array: "an array", integer: "an integer", number: "a number", string: "a string", boolean: "true or false", null: "null" })[t] ?? t)
    .join(" or ");
}

const PATTERN_WORDS: Record<string, string> = {
  "^[1-9][0-9]*[KMG]B$": "must be a page size such as 64KB, 2MB or 1GB",
  "^RLIMIT_[A-Z]+$": "must be a resource limit name such as RLIMIT_NOFILE",
  "^[cbup]$": "must be one of c, b, u, p",
  "^[0-9, -]*$": "must be a CPU list such as 0-3,7",
  "^MB:[^\\n]*$": 'must start with "MB:" and be a single line',
  "^CAP_[A-Z_]+$": "must be a capability name such as CAP_CHOWN",
};

function patternWords(pattern: string): string {
  return PATTERN_WORDS[pattern] ?? `must match ${pattern}`;
}

function limitWords(keyword: string, limit: number): string {
  const n = Number.isSafeInteger(limit) ? String(limit) : limit >= 1.8e19 ? "18446744073709551615" : limit <= -9.2e18 ? "-9223372036854775808" : limit >= 9.2e18 ? "9223372036854775807" : String(limit);
  switch (keyword) {
    case "minimum":
      return `must be at least ${n}`;
    case "maximum":
      return `must be at most ${n}`;
    case "exclusiveMinimum":
      return `must be greater than ${n}`;
    default:
      return `must be less than ${n}`;
  }
}

/** Short rendering of a JSON value for messages. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Split a JSON Pointer ("/linux/namespaces/2/type") into unescaped segments. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function valueAt(doc: unknown, segments: readonly string[]): unknown {
  let cur: unknown = doc;
  for (const s of segments) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[s];
  }
  return cur;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Render path segments as `a.b[2].c`, using the document to tell array indices
 * from object keys; keys that are not plain identifiers are quoted: `linux.sysctl["net.ipv4.ip_forward"]`.
 */
export function dottedPath(doc: unknown, segments: readonly string[]): string {
  let out = "";
  let cur: unknown = doc;
  for (const s of segments) {
    if (Array.isArray(cur) && /^(0|[1-9][0-9]*)$/.test(s)) {
      out += `[${s}]`;
    } else if (IDENT.test(s)) {
      out += out === "" ? s : `.${s}`;
    } else {
      out += `[${JSON.stringify(s)}]`;
    }
    cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[s] : undefined;
  }
  return out;
}
