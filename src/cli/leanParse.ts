// The command lines engines send for every container, parsed without loading the
// grammar. containerd's shim and podman call state, start, kill and delete (and
// pause/resume) several times per container, and each call is a new process: the
// grammar table, the general parser and the option reader made up most of what
// such a command loaded, and pushed its heap past the point where the engine starts
// a thread that pre-faults memory (about a quarter of `berth state`'s time).
//
// It accepts only `[global flags] COMMAND [its flags] ID [SIGNAL]` for those six
// commands (and `list [its flags]`), in the forms fastParse.ts reads them, and gives the options
// options.ts would give. Anything else (help, --trace, a flag after the id, `--`,
// a missing or extra argument) returns undefined and the grammar's parser takes
// over. leanParse.test.ts checks the tables below against the grammar and the
// result against fastParse + toOptions, so the two cannot drift apart.

import { defaultRoot } from "../runtime/stateStore.js";

export type LeanCommand = "state" | "start" | "kill" | "delete" | "pause" | "resume" | "list";

export interface LeanFlag {
  readonly name: string;
  readonly alias?: string;
  /** Reads a value (the next argument, or after `=`); otherwise a boolean. */
  readonly value: boolean;
  readonly choices?: readonly string[];
  readonly default?: string;
}

/** The grammar's global flags, but --trace (its timeline is written by the full path). */
export const LEAN_GLOBALS: readonly LeanFlag[] = [
  { name: "root", value: true },
  { name: "log", value: true },
  { name: "log-format", value: true, choices: ["text", "json"], default: "text" },
  { name: "debug", value: false },
  { name: "systemd-cgroup", value: false },
  { name: "rootless", value: true, choices: ["true", "false", "auto"], default: "auto" },
  { name: "criu", value: true },
];

/** Each command's flags; `id`: it takes the container id; `signal`: kill's optional second positional. */
export const LEAN_COMMANDS: Readonly<Record<LeanCommand, { flags: readonly LeanFlag[]; id: boolean; signal?: string }>> = {
  state: { flags: [], id: true },
  start: { flags: [], id: true },
  pause: { flags: [], id: true },
  resume: { flags: [], id: true },
  delete: { flags: [{ name: "force", alias: "f", value: false }], id: true },
  kill: { flags: [{ name: "all", alias: "a", value: false }], id: true, signal: "SIGTERM" },
  list: {
    flags: [
      { name: "format", alias: "f", value: true, choices: ["table", "json"], default: "table" },
      { name: "quiet", alias: "q", value: false },
    ],
    id: false,
  },
};

export interface Lean {
  command: LeanCommand;
  opts: Record<string, unknown>;
}

function camel(name: string): string {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    if (name[i] === "-" && i + 1 < name.length) out += name[++i]!.toUpperCase();
    else out += name[i];
  }
  return out;
}

/** Read the flag at args[i] into raw; the next index, or -1 when it is not one of `flags` or not plain. */
function take(flags: readonly LeanFlag[], args: readonly string[], i: number, raw: Record<string, unknown>): number {
  const token = args[i]!;
  let name = token.startsWith("--") ? token.slice(2) : token.slice(1);
  let inline: string | undefined;
  const eq = name.indexOf("=");
  if (eq >= 0) {
    inline = name.slice(eq + 1);
    name = name.slice(0, eq);
  }
  const def = flags.find((f) => f.name === name || f.alias === name);
  if (def === undefined || name === "") return -1;
  if (!def.value) {
    if (inline === undefined) raw[def.name] = true;
    else if (inline === "true" || inline === "false") raw[def.name] = inline === "true";
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
  raw[def.name] = value;
  return next;
}

const isFlag = (a: string): boolean => a.startsWith("-") && a.length > 1 && a !== "--";

export function leanParse(args: readonly string[]): Lean | undefined {
  const raw: Record<string, unknown> = {};
  let i = 0;
  while (i < args.length && isFlag(args[i]!)) {
    i = take(LEAN_GLOBALS, args, i, raw);
    if (i < 0) return undefined;
  }
  const name = args[i];
  if (name === undefined || !Object.hasOwn(LEAN_COMMANDS, name)) return undefined;
  const command = name as LeanCommand;
  const def = LEAN_COMMANDS[command];
  i++;
  while (i < args.length && isFlag(args[i]!)) {
    i = take(def.flags, args, i, raw);
    if (i < 0) return undefined;
  }
  const rest = args.slice(i);
  const id = rest[0];
  if (!def.id) {
    if (rest.length > 0) return undefined;
  } else if (id === undefined || id === "" || id.startsWith("-") || rest.length > (def.signal === undefined ? 1 : 2)) return undefined;
  const opts: Record<string, unknown> = {};
  for (const f of [...LEAN_GLOBALS, ...def.flags]) opts[camel(f.name)] = f.value ? (raw[f.name] ?? f.default) : raw[f.name] === true;
  opts.root = typeof raw.root === "string" ? raw.root : defaultRoot();
  if (def.id) opts.id = id;
  if (def.signal !== undefined) opts.signal = rest[1] ?? def.signal;
  return { command, opts };
}
