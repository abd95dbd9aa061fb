// Reading flag values as the grammar's types say: integers, Go durations and
// memory sizes, with runc's spellings. Errors name the flag (`--memory`) and say
// what to give instead.

import { BerthError } from "../errors.js";

function valueError(op: string, flag: string, value: string, why: string, hint: string): BerthError {
  return new BerthError(`invalid value ${JSON.stringify(value)}: ${why}`, { op, path: `--${flag}`, hint });
}

/** An integer flag: non-negative unless `signed`, at most `max`. */
export function parseIntValue(op: string, flag: string, value: string, signed = false, max?: number): number {
  const ok = signed ? /^[-+]?\d+$/.test(value) : /^\+?\d+$/.test(value);
  const n = Number(value);
  if (!ok || !Number.isSafeInteger(n) || (max !== undefined && n > max)) {
    const why = signed ? "not an integer" : max !== undefined ? `not an integer from 0 to ${max}` : "not a non-negative integer";
    throw valueError(op, flag, value, why, "give a whole number");
  }
  return n;
}

const KIB = 1024;
const SIZE_UNITS: Record<string, number> = { "": 1, k: KIB, m: KIB ** 2, g: KIB ** 3, t: KIB ** 4, p: KIB ** 5 };

/**
 * A memory size as runc reads it (docker's RAMInBytes): a number, optionally
 * with a fraction, then an optional binary unit k/m/g/t/p (any case, with an
 * optional "i" and "b": 100M, 1g, 512KiB, 1.5G); "-1" means unlimited.
 */
export function parseRamSize(value: string, flag = "memory", op = "update"): number {
  if (value === "-1") return -1;
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(value);
  const hint = 'give bytes or a size such as "100M", "1g" or "512k", or -1 for no limit';
  if (m === null || !/^\d+(\.\d+)?$/.test(m[1]!)) throw valueError(op, flag, value, "not a memory size", hint);
  const bytes = Math.trunc(Number(m[1]) * SIZE_UNITS[(m[2] ?? "").toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw valueError(op, flag, value, "too large", hint);
  return bytes;
}

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n,
  "\u03bcs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_INT64 = (1n << 63n) - 1n;

/**
 * Parse a Go duration ("5s", "500ms", "1m30s", "1.5h", "-2s", "0") to
 * nanoseconds, with Go's time.ParseDuration rules. Throws a BerthError whose
 * message is Go's wording (op "time").
 */
export function parseGoDuration(text: string): bigint {
  const quoted = JSON.stringify(text);
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw new BerthError(`invalid duration ${quoted}`, { op: "time" });
  let total = 0n;
  while (s !== "") {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const [whole = "", frac] = [m[1], m[2]];
    if (whole === "" && (frac === undefined || frac === "")) throw new BerthError(`invalid duration ${quoted}`, { op: "time" });
    s = s.slice(m[0].length);
    const unitMatch = /^[^\d.]+/.exec(s);
    if (unitMatch === null) throw new BerthError(`missing unit in duration ${quoted}`, { op: "time" });
    const unitName = unitMatch[0];
    const unit = UNIT_NS[unitName];
    if (unit === undefined) throw new BerthError(`unknown unit ${JSON.stringify(unitName)} in duration ${quoted}`, { op: "time" });
    s = s.slice(unitName.length);
    let v = BigInt(whole === "" ? "0" : whole) * unit;
    if (frac !== undefined && frac !== "") {
      // Go keeps the fraction's precision up to the unit: truncate below one nanosecond.
      v += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    }
    total += v;
    if (total > MAX_INT64) throw new BerthError(`invalid duration ${quoted}`, { op: "time" });
  }
  return negative ? -total : total;
}

/** A positive duration flag in milliseconds (at least 1: no timer is finer); errors name the flag, as runc's do. */
export function parseDurationMs(op: string, flag: string, text: string): number {
  let ns: bigint;
  try {
    ns = parseGoDuration(text);
  } catch (err) {
    throw new BerthError(`invalid value ${JSON.stringify(text)}: ${(err as Error).message}`, {
      op,
      path: `--${flag}`,
      hint: 'give a duration such as "5s", "500ms" or "1m30s"',
    });
  }
  if (ns <= 0n) {
    throw new BerthError(`duration ${flag} must be greater than 0`, { op, path: `--${flag}`, hint: 'give a duration such as "5s"' });
  }
  return Math.max(1, Number(ns / 1_000_000n));
}
