// A small parser for well-formed command lines, driven by the same table as
// the yargs front end. It handles what callers (containerd, podman, CRI-O,
// runtime-tools) send; anything it is unsure about (help, unknown flags,
// missing or extra arguments) returns undefined and yargs takes over, which
// also produces the error message.

import { COMMANDS, GLOBAL_FLAGS, type CommandDef, type FlagDef } from "./commands/index.js";
import { defaultRoot } from "../runtime/stateStore.js";

export interface Parsed { command: CommandDef; argv: Record<string, unknown> }

function lookup(flags: FlagDef[], token: string): { def: FlagDef; inline?: string } | undefined {
  let name: string;
  let inline: string | undefined;
  if (token.startsWith("--")) name = token.slice(2);
  else if (token.startsWith("-") && token.length > 1) name = token.slice(1);
  else return undefined;
  const eq = name.indexOf("=");
  if (eq >= 0) {
    inline = name.slice(eq + 1);
    name = name.slice(0, eq);
  }
  const def = flags.find((f) => f.name === name || (f.alias !== undefined && f.alias === name));
  return def === undefined ? undefined : { def, inline };
}

function defaults(flags: FlagDef[], out: Record<string, unknown>): void {
  for (const f of flags) {
    if (f.default !== undefined) out[f.name] = Array.isArray(f.default) ? [...f.default] : f.default;
  }
}

/** Consume one flag at args[i]; returns the next index, or -1 if unsure. */
function takeFlag(flags: FlagDef[], args: string[], i: number, out: Record<string, unknown>): number {
  const hit = lookup(flags, args[i]!);
  if (hit === undefined) return -1;
  const { def, inline } = hit;
  if (def.type === "boolean") {
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
  if (def.type === "array") (out[def.name] as string[]).push(value);
  else out[def.name] = value;
  return next;
}

export function fastParse(args: string[]): Parsed | undefined {
  const argv: Record<string, unknown> = { root: defaultRoot() };
  defaults(GLOBAL_FLAGS, argv);
  let i = 0;
  while (i < args.length && args[i]!.startsWith("-")) {
    i = takeFlag(GLOBAL_FLAGS, args, i, argv);
    if (i < 0) return undefined;
  }
  const command = COMMANDS.find((c) => c.name === args[i]);
  if (command === undefined) return undefined;
  defaults(command.flags, argv);
  const positionals: string[] = [];
  const stopAfterId = command.name === "exec" || command.name === "kill" || command.name === "ps";
  i++;
  while (i < args.length) {
    const a = args[i]!;
    if (a === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (stopAfterId && positionals.length >= 1) {
      positionals.push(...args.slice(i));
      break;
    }
    if (a.startsWith("-") && a !== "-") {
      if (a === "--help" || a === "-h") return undefined;
      i = takeFlag(command.flags, args, i, argv);
      if (i < 0) return undefined;
      continue;
    }
    positionals.push(a);
    i++;
  }
  let p = 0;
  for (const pos of command.positionals) {
    if (pos.variadic === true) {
      argv[pos.name] = positionals.slice(p);
      p = positionals.length;
    } else if (p < positionals.length) {
      argv[pos.name] = positionals[p++];
    } else if (pos.optional === true) {
      if (pos.default !== undefined) argv[pos.name] = pos.default;
    } else {
      return undefined;
    }
  }
  if (p < positionals.length) return undefined;
  return { command, argv };
}
