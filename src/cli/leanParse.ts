// The command lines engines send for every container, parsed without loading the
// grammar. containerd's shim and podman call state, start, kill and delete (and
// pause/resume, update) several times per container, and each call is a new process:
// the grammar table, the general parser and the option reader made up most of what
// such a command loaded, and pushed its heap past the point where the engine starts
// a thread that pre-faults memory (about a fifth of `berth state`'s time).
//
// It accepts only `[global flags] COMMAND [its flags] ID [SIGNAL]` for the commands
// below (and `list [its flags]`), reads them with the same rules as the grammar's
// parser (flags.ts), and leaves anything else (help, --trace, a flag after the id,
// `--`, a missing or extra argument) to that parser. leanParse.test.ts checks the
// tables below against the grammar and the result against fastParse + toOptions, so
// the two cannot drift apart.

import { defaultRoot } from "../runtime/stateStore.js";
import { flagDefaults, readFlags, takeFlag, type FlagRule } from "./flags.js";

export type LeanCommand = "state" | "start" | "kill" | "delete" | "pause" | "resume" | "list" | "update" | "events";

/** The grammar's global flags, but --trace (its timeline is written by the full path). */
export const LEAN_GLOBALS: readonly FlagRule[] = [
  { name: "root", type: "string" },
  { name: "log", type: "string" },
  { name: "log-format", type: "string", choices: ["text", "json"], default: "text" },
  { name: "debug", type: "boolean" },
  { name: "systemd-cgroup", type: "boolean" },
  { name: "rootless", type: "string", choices: ["true", "false", "auto"], default: "auto" },
  { name: "criu", type: "string" },
];

interface LeanDef {
  readonly flags: readonly FlagRule[];
  /** It takes the container id. */
  readonly id: boolean;
  /** kill's optional second positional, and its default. */
  readonly signal?: string;
}

export const LEAN_COMMANDS: Readonly<Record<LeanCommand, LeanDef>> = {
  state: { flags: [], id: true },
  start: { flags: [], id: true },
  pause: { flags: [], id: true },
  resume: { flags: [], id: true },
  delete: { flags: [{ name: "force", alias: "f", type: "boolean" }], id: true },
  kill: { flags: [{ name: "all", alias: "a", type: "boolean" }], id: true, signal: "SIGTERM" },
  list: {
    flags: [
      { name: "format", alias: "f", type: "string", choices: ["table", "json"], default: "table" },
      { name: "quiet", alias: "q", type: "boolean" },
    ],
    id: false,
  },
  events: {
    flags: [
      { name: "interval", type: "duration", default: "5s" },
      { name: "stats", type: "boolean" },
    ],
    id: true,
  },
  update: {
    flags: [
      { name: "resources", alias: "r", type: "string" },
      { name: "blkio-weight", type: "number", max: 65535, emptyIsUnset: true },
      { name: "cpu-period", type: "number", emptyIsUnset: true },
      { name: "cpu-quota", type: "number", signed: true, emptyIsUnset: true },
      { name: "cpu-burst", type: "number", emptyIsUnset: true },
      { name: "cpu-share", type: "number", emptyIsUnset: true },
      { name: "cpu-rt-period", type: "number", emptyIsUnset: true },
      { name: "cpu-rt-runtime", type: "number", signed: true, emptyIsUnset: true },
      { name: "cpu-idle", type: "number", signed: true, emptyIsUnset: true },
      { name: "cpuset-cpus", type: "string", emptyIsUnset: true },
      { name: "cpuset-mems", type: "string", emptyIsUnset: true },
      { name: "kernel-memory", type: "size", emptyIsUnset: true },
      { name: "kernel-memory-tcp", type: "size", emptyIsUnset: true },
      { name: "memory", type: "size", emptyIsUnset: true },
      { name: "memory-reservation", type: "size", emptyIsUnset: true },
      { name: "memory-swap", type: "size", emptyIsUnset: true },
      { name: "pids-limit", type: "number", signed: true, emptyIsUnset: true },
      { name: "l3-cache-schema", type: "string", emptyIsUnset: true },
      { name: "mem-bw-schema", type: "string", emptyIsUnset: true },
    ],
    id: true,
  },
};

/** A line the lean parser read: the command, and each flag's text as given (or its default). */
export interface Lean {
  command: LeanCommand;
  raw: Record<string, unknown>;
}

const isFlag = (a: string): boolean => a.startsWith("-") && a.length > 1 && a !== "--";

export function leanParse(args: readonly string[]): Lean | undefined {
  const raw: Record<string, unknown> = { root: defaultRoot() };
  flagDefaults(LEAN_GLOBALS, raw);
  let i = 0;
  while (i < args.length && isFlag(args[i]!)) {
    i = takeFlag(LEAN_GLOBALS, args, i, raw);
    if (i < 0) return undefined;
  }
  const name = args[i];
  if (name === undefined || !Object.hasOwn(LEAN_COMMANDS, name)) return undefined;
  const command = name as LeanCommand;
  const def = LEAN_COMMANDS[command];
  flagDefaults(def.flags, raw);
  i++;
  while (i < args.length && isFlag(args[i]!)) {
    i = takeFlag(def.flags, args, i, raw);
    if (i < 0) return undefined;
  }
  const rest = args.slice(i);
  if (!def.id) return rest.length === 0 ? { command, raw } : undefined;
  const id = rest[0];
  if (id === undefined || id === "" || id.startsWith("-") || rest.length > (def.signal === undefined ? 1 : 2)) return undefined;
  raw.id = id;
  if (def.signal !== undefined) raw.signal = rest[1] ?? def.signal;
  return { command, raw };
}

/** The options the command's handler receives (as toOptions gives them; a bad value throws as there). */
export function leanOptions(lean: Lean): Record<string, unknown> {
  const { raw } = lean;
  const opts: Record<string, unknown> = {};
  readFlags(lean.command, [...LEAN_GLOBALS, ...LEAN_COMMANDS[lean.command].flags], raw, opts);
  opts.root = raw.root as string;
  if (raw.id !== undefined) opts.id = raw.id;
  if (raw.signal !== undefined) opts.signal = raw.signal;
  return opts;
}
