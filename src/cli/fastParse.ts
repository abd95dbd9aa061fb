// The parser for well-formed command lines, driven by the grammar (grammar.ts).
// It handles what callers (containerd, podman, CRI-O, runtime-tools) send;
// anything it is unsure about (help, unknown flags, missing or extra arguments)
// returns undefined and the yargs fallback takes over, which also produces the
// error message. Values stay text here; options.ts reads them as their types say.

import { COMMANDS, GLOBAL_FLAGS, type CommandDef, type FlagDef } from "./grammar.js";
import { flagDefaults, lookupFlag, takeFlag, takesValue } from "./flags.js";
import { defaultRoot } from "../runtime/stateStore.js";

export interface Parsed {
  command: CommandDef;
  argv: Record<string, unknown>;
}

/**
 * Give the positional arguments their names (a variadic one takes the rest);
 * false when a required one is missing or there are too many.
 */
export function assignPositionals(command: CommandDef, positionals: string[], out: Record<string, unknown>): boolean {
  let p = 0;
  for (const pos of command.positionals) {
    if (pos.variadic === true) {
      out[pos.name] = positionals.slice(p);
      p = positionals.length;
    } else if (p < positionals.length) {
      out[pos.name] = positionals[p++];
    } else if (pos.optional === true) {
      if (pos.default !== undefined) out[pos.name] = pos.default;
    } else {
      return false;
    }
  }
  return p >= positionals.length;
}

export function fastParse(args: string[]): Parsed | undefined {
  const argv: Record<string, unknown> = { root: defaultRoot() };
  flagDefaults(GLOBAL_FLAGS, argv);
  let i = 0;
  while (i < args.length && args[i]!.startsWith("-")) {
    i = takeFlag(GLOBAL_FLAGS, args, i, argv);
    if (i < 0) return undefined;
  }
  const command = (COMMANDS as readonly CommandDef[]).find((c) => c.name === args[i]);
  if (command === undefined) return undefined;
  flagDefaults(command.flags, argv);
  const flags = [...command.flags, ...GLOBAL_FLAGS];
  const positionals: string[] = [];
  i++;
  while (i < args.length) {
    const a = args[i]!;
    if (a === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (command.stopAfterId === true && positionals.length >= 1) {
      positionals.push(...args.slice(i));
      break;
    }
    if (a.startsWith("-") && a !== "-") {
      if (a === "--help" || a === "-h") return undefined;
      i = takeFlag(flags, args, i, argv);
      if (i < 0) return undefined;
      continue;
    }
    positionals.push(a);
    i++;
  }
  return assignPositionals(command, positionals, argv) ? { command, argv } : undefined;
}

/** How many arguments a flag token spans: 2 when its value is the next argument. */
function skip(flags: readonly FlagDef[], token: string): number {
  const hit = lookupFlag(flags, token);
  return hit !== undefined && takesValue(hit.def) && hit.inline === undefined ? 2 : 1;
}

/**
 * Where option parsing ends in a command line: the index of the first argument
 * after a stop-after-id command's container id (the command's own arguments
 * start there), or undefined. Unknown flags count as taking no value.
 */
export function stopIndex(args: string[]): number | undefined {
  let i = 0;
  while (i < args.length && args[i]!.startsWith("-")) i += skip(GLOBAL_FLAGS, args[i]!);
  const command = (COMMANDS as readonly CommandDef[]).find((c) => c.name === args[i]);
  if (command?.stopAfterId !== true) return undefined;
  const flags = [...command.flags, ...GLOBAL_FLAGS];
  let j = i + 1;
  while (j < args.length) {
    const a = args[j]!;
    if (a === "--") return undefined;
    if (!a.startsWith("-") || a === "-") return j + 1 < args.length ? j + 1 : undefined;
    j += skip(flags, a);
  }
  return undefined;
}

/**
 * A request for help: `berth --help`, `berth help [CMD]`, or -h/--help among a
 * command's options (not after `--`, nor among exec's command). Returns the
 * command (null for the global help), or undefined when help is not asked for.
 */
export function helpRequest(args: string[]): CommandDef | null | undefined {
  const isHelp = (a: string): boolean => a === "--help" || a === "-h";
  let i = 0;
  while (i < args.length && args[i]!.startsWith("-")) {
    const a = args[i]!;
    if (isHelp(a)) return null;
    i += skip(GLOBAL_FLAGS, a);
  }
  if (args[i] === "help") return (COMMANDS as readonly CommandDef[]).find((c) => c.name === args[i + 1]) ?? null;
  const command = (COMMANDS as readonly CommandDef[]).find((c) => c.name === args[i]);
  if (command === undefined) return undefined;
  const end = stopIndex(args) ?? args.length;
  const flags = [...command.flags, ...GLOBAL_FLAGS];
  for (let j = i + 1; j < end; j += skip(flags, args[j]!)) {
    if (args[j] === "--") break;
    if (isHelp(args[j]!)) return command;
  }
  return undefined;
}
