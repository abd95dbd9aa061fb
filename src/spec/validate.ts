// Reading and validating OCI documents: config.json (schema + semantic checks),
// the state document and the features document. Schema checking uses the
// validators generated at build time from spec/*.schema.json (no schema is
// compiled at run time); every failure becomes one BerthError that names the
// offending JSON path in dotted form, e.g. `linux.namespaces[2].type`.

import { join } from "node:path";
import { BerthError } from "../errors.js";
import type { OciState, Spec } from "./types.js";
import { checkSemantics, type SemanticOptions } from "./semantic.js";
import { readJsonFile } from "./readJson.js";
import {
  validateConfig as schemaConfig,
  validateFeatures as schemaFeatures,
  validateState as schemaState,
  type CompiledValidator,
  type SchemaError,
} from "./validators.js";

export { validateContainerId } from "./semantic.js";
export { MAX_JSON_BYTES, MAX_JSON_DEPTH, jsonDepth, jsonErrorOffset, lineColumn, parseJsonText, readJsonFile } from "./readJson.js";

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
    .map(
      (t) =>
        ({
          object: "an object",
          array: "an array",
          integer: "an integer",
          number: "a number",
          string: "a string",
          boolean: "true or false",
          null: "null",
        })[t] ?? t,
    )
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
  const n = Number.isSafeInteger(limit)
    ? String(limit)
    : limit >= 1.8e19
      ? "18446744073709551615"
      : limit <= -9.2e18
        ? "-9223372036854775808"
        : limit >= 9.2e18
          ? "9223372036854775807"
          : String(limit);
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
  // String() only for what JSON cannot show (a function, a bigint, a cycle): no JSON value gets there.
  try {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    s = JSON.stringify(value) ?? String(value);
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
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
