// The typed options a command receives, derived from the grammar: flag names in
// camelCase (--pid-file → pidFile), values read as their type says (numbers,
// durations in ms, sizes in bytes, lists), positionals by name. Both parsers
// (fastParse.ts and the yargs fallback) produce the same raw record, keyed by
// flag name; toOptions turns it into these.

import { BerthError } from "../errors.js";
import { camel, readFlags } from "./flags.js";
import { argName, COMMANDS, GLOBAL_FLAGS, type CommandDef, type CommandName, type FlagDef, type PositionalDef } from "./grammar.js";

type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

type ValueOf<F> = F extends { type: "boolean" }
  ? boolean
  : F extends { type: "repeatable" }
    ? string[]
    : F extends { type: "number" | "size" | "duration" }
      ? number
      : F extends { choices: readonly (infer C)[] }
        ? C
        : string;

type AlwaysSet<F> = F extends { type: "boolean" | "repeatable" } ? true : F extends { default: string | boolean } ? true : false;

type FlagOptions<Fs extends readonly FlagDef[]> = {
  [F in Fs[number] as Camel<F["name"]>]: AlwaysSet<F> extends true ? ValueOf<F> : ValueOf<F> | undefined;
};

type PositionalOptions<Ps extends readonly PositionalDef[]> = {
  [P in Ps[number] as Camel<P["name"]>]: P extends { variadic: true }
    ? string[]
    : P extends { optional: true }
      ? P extends { default: string }
        ? string
        : string | undefined
      : string;
};

export type GlobalOptions = FlagOptions<typeof GLOBAL_FLAGS> & { root: string };

type Def<N extends CommandName> = Extract<(typeof COMMANDS)[number], { name: N }>;

/** What `berth N` hands its handler. */
export type CommandOptions<N extends CommandName> = Omit<GlobalOptions, keyof FlagOptions<Def<N>["flags"]>> &
  FlagOptions<Def<N>["flags"]> &
  PositionalOptions<Def<N>["positionals"]>;

/** The typed options of `command` from a parser's raw record (flag names and positional names as keys). */
export function toOptions(command: CommandDef, raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  readFlags(command.name, [...GLOBAL_FLAGS, ...command.flags] as FlagDef[], raw, out);
  out.root = String(raw.root);
  for (const p of command.positionals) {
    const v = raw[p.name];
    if (p.variadic === true) {
      out[camel(p.name)] = (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
      continue;
    }
    if ((v === undefined || v === "") && p.optional !== true) {
      const what = argName(p);
      throw new BerthError(`"${command.name}" requires exactly 1 argument: the ${what}`, {
        op: command.name,
        path: `<${what.replace(/ /g, "-")}>`,
        hint: `berth ${command.name} --help`,
      });
    }
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a positional is a string (or a number the parser made of one)
    out[camel(p.name)] = v === undefined ? p.default : String(v);
  }
  return out;
}
