// Reading flags, without the grammar: a token against a table of flag rules, and a
// raw value as its rule says. The grammar's parser (fastParse.ts, options.ts) applies
// these to the grammar's tables; leanParse.ts to its own copy of a few of them. The
// grammar's FlagDef is a FlagRule with the words help and the man pages show.

import { BerthError } from "../errors.js";
import { parseDurationMs, parseIntValue, parseRamSize } from "./values.js";

/**
 * How a flag's value is read:
 *   boolean     --x, --x=true, --x=false
 *   string      --x V or --x=V (with `choices`, one of them)
 *   number      an integer (non-negative unless `signed`, at most `max`)
 *   duration    a Go duration ("5s", "500ms", "1m30s"), given to the command in milliseconds
 *   size        bytes or a binary size ("100M", "1g", "512KiB"), or -1 for no limit
 *   repeatable  a string that may be given several times; the command gets them all, in order
 */
export type FlagType = "boolean" | "string" | "number" | "duration" | "size" | "repeatable";

export interface FlagRule {
  readonly name: string;
  /** One-letter (or Go-style) alternative name, used with a single dash. */
  readonly alias?: string;
  readonly type: FlagType;
  /** Default as it would be written on the command line. */
  readonly default?: string | boolean;
  readonly choices?: readonly string[];
  /** number: negative values allowed. */
  readonly signed?: boolean;
  /** number: the largest value allowed. */
  readonly max?: number;
  /** An empty value counts as not given (runc's update flags: "" leaves a setting alone). */
  readonly emptyIsUnset?: boolean;
  /** Accepted for compatibility; the command refuses it with an error naming the flag. */
  readonly refused?: string;
  /** string: the value may only follow `=` (`--x=V`); a bare `--x` gives "" and never takes the next argument. */
  readonly optionalValue?: boolean;
}

/** Whether a flag reads a value (the next argument, or after `=`); an optional value only ever follows `=`. */
export function takesValue(f: FlagRule): boolean {
  return f.type !== "boolean" && f.optionalValue !== true;
}

/** The flag a token names (`--name`, `-name`, `-a`, with or without `=value`), among `flags`. */
export function lookupFlag<F extends FlagRule>(flags: readonly F[], token: string): { def: F; inline?: string } | undefined {
  let name: string;
  if (token.startsWith("--")) name = token.slice(2);
  else if (token.startsWith("-") && token.length > 1) name = token.slice(1);
  else return undefined;
  let inline: string | undefined;
  const eq = name.indexOf("=");
  if (eq >= 0) {
    inline = name.slice(eq + 1);
    name = name.slice(0, eq);
  }
  const def = flags.find((f) => f.name === name || (f.alias !== undefined && f.alias === name));
  return def === undefined ? undefined : { def, inline };
}

/** Each flag's value before the command line is read: false, [], or its default. */
export function flagDefaults(flags: readonly FlagRule[], out: Record<string, unknown>): void {
  for (const f of flags) {
    if (f.type === "boolean") out[f.name] = f.default ?? false;
    else if (f.type === "repeatable") out[f.name] = [];
    else if (f.default !== undefined) out[f.name] = f.default;
  }
}

/**
 * Read the flag at args[i] into out, as text (or a boolean); returns the next index, or -1
 * when the token is not one of `flags` or is not well formed (the caller then leaves the
 * line to a parser that explains what is wrong).
 */
export function takeFlag(flags: readonly FlagRule[], args: readonly string[], i: number, out: Record<string, unknown>): number {
  const hit = lookupFlag(flags, args[i]!);
  if (hit === undefined) return -1;
  const { def, inline } = hit;
  if (def.optionalValue === true) {
    out[def.name] = inline ?? "";
    return i + 1;
  }
  if (!takesValue(def)) {
    if (inline === undefined) out[def.name] = true;
    else if (inline === "true" || inline === "false") out[def.name] = inline === "true";
    else return -1;
    return i + 1;
  }
  let value = inline;
  let next = i + 1;
  if (value === undefined) {
    if (i + 1 >= args.length) return -1;
    value = args[i + 1]!;
    next = i + 2;
  }
  if (def.choices !== undefined && !def.choices.includes(value)) return -1;
  if (def.type === "repeatable") (out[def.name] as string[]).push(value);
  else out[def.name] = value;
  return next;
}

/** A flag's name as a command's option: --pid-file → pidFile. */
export function camel(name: string): string {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    if (name[i] === "-" && i + 1 < name.length) out += name[++i]!.toUpperCase();
    else out += name[i];
  }
  return out;
}

function typed(op: string, f: FlagRule, raw: unknown): unknown {
  if (f.type === "boolean") return raw === true || raw === "true";
  if (f.type === "repeatable") return raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).map(String);
  if (raw === undefined) return undefined;
  // yargs keeps every occurrence of a flag given twice; the last one counts, as in Go's flag package.
  const text = String(Array.isArray(raw) ? raw[raw.length - 1] : raw);
  if (text === "" && f.emptyIsUnset === true) return undefined;
  switch (f.type) {
    case "number":
      return parseIntValue(op, f.name, text, f.signed === true, f.max);
    case "size":
      return parseRamSize(text, f.name, op);
    case "duration":
      return parseDurationMs(op, f.name, text);
    default:
      return text;
  }
}

/**
 * The flags' values as command `op` receives them, into out under their camelCase names:
 * from a parser's raw record (flag name → text), read as each rule's type says. A refused
 * flag that was given is an error naming it.
 */
export function readFlags(op: string, flags: readonly FlagRule[], raw: Record<string, unknown>, out: Record<string, unknown>): void {
  for (const f of flags) {
    const value = typed(op, f, raw[f.name] ?? f.default);
    if (f.refused !== undefined && value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0)) {
      throw new BerthError(`${f.refused}`, { op, path: `--${f.name}`, hint: `drop --${f.name}` });
    }
    out[camel(f.name)] = value;
  }
}
