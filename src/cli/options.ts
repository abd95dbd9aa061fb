// Global options, accepted before the subcommand (as runc requires) or after it.
import { BerthError } from "../errors.js";

export interface GlobalArgs {
  root: string;
  log?: string;
  "log-format": "text" | "json";
  debug: boolean;
  "systemd-cgroup": boolean;
  rootless?: string;
}


/** Parse --preserve-fds and similar non-negative integers, naming the flag on error. */
export function nonNegativeInt(value: unknown, flag: string): number {
  if (value === undefined) return 0;
  const s = String(value);
  if (!/^\d+$/.test(s)) throw new BerthError(`invalid value ${JSON.stringify(s)}: must be a non-negative integer`, { op: "parse arguments", path: flag });
  return Number(s);
}

/** The container id argument, required by most commands. */
export function requireId(argv: Record<string, unknown>, command: string): string {
  const id = argv.id;
  if (typeof id !== "string" || id === "") {
    throw new BerthError(`"${command}" requires exactly 1 argument: the container id`, { op: command, path: "<container-id>", hint: `berth ${command} --help` });
  }
  return id;
}
