// berth's command line, in runc's grammar (grammar.ts): global options, then a
// subcommand, its options, and its arguments. Well-formed invocations go through
// a small table-driven parser; help is written from the same table; malformed
// input goes through yargs for its messages. Each subcommand's module is loaded
// only when it runs.

import { writeFileSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { begin, chromeTrace, enableTrace, traceTable } from "../trace.js";
import { configureLog, log } from "../log.js";
import { BerthError } from "../errors.js";
import { fastParse, helpRequest } from "./fastParse.js";
import { splitCommandArgs } from "./argv.js";
import { versionText } from "../version.js";
import { toOptions } from "./options.js";
import { LOADERS } from "./commands/index.js";
import type { CommandDef, CommandName } from "./grammar.js";

let running: string | undefined;

async function run(command: CommandDef, argv: Record<string, unknown>): Promise<void> {
  running = command.name;
  configureLog({ file: argv.log as string | undefined, format: argv["log-format"] as string | undefined, debug: argv.debug === true });
  const opts = toOptions(command, argv);
  const traceTo = argv.trace as string | undefined;
  if (traceTo === undefined) return handle(command, opts);
  enableTrace();
  const end = begin(`total (${command.name})`);
  try {
    await handle(command, opts);
  } finally {
    end();
    writeTrace(traceTo);
  }
}

async function handle(command: CommandDef, opts: Record<string, unknown>): Promise<void> {
  const mod = await LOADERS[command.name as CommandName]();
  const code = await mod.handler(opts as never);
  process.exitCode = typeof code === "number" ? code : 0;
}

/** --trace: the table to stderr; --trace=FILE: also the Chrome trace-event JSON to FILE. */
function writeTrace(file: string): void {
  writeSync(2, traceTable());
  if (file === "") return;
  try {
    writeFileSync(resolve(file), `${JSON.stringify(chromeTrace())}\n`);
  } catch (err) {
    log.error(BerthError.fromSys("write trace", file, err, "--trace=FILE must name a file berth can write").message);
  }
}

/** --version or -v among the global options (before the command). */
function wantsVersion(args: string[]): boolean {
  for (const a of args) {
    if (a === "--version" || a === "-v") return true;
    if (!a.startsWith("-")) return false;
  }
  return false;
}

export async function main(args: string[]): Promise<void> {
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
    writeSync(1, versionText());
    return;
  }
  const fast = fastParse(args);
  if (fast !== undefined) return run(fast.command, fast.argv);
  const help = helpRequest(args);
  if (help !== undefined) {
    const { commandHelp, globalHelp } = await import("./help.js");
    writeSync(1, help === null ? globalHelp() : commandHelp(help));
    return;
  }
  if (wantsVersion(args)) {
    writeSync(1, versionText());
    return;
  }
  const { runYargs } = await import("./yargsCli.js");
  await runYargs(splitCommandArgs(args), run);
}

main(process.argv.slice(2))
  .catch((err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    log.error(msg);
    if (process.env.BERTH_DEBUG_STACK === "1" && err instanceof Error) writeSync(2, `${err.stack}\n`);
    // runc exits 255 when exec fails, so callers can tell it from the process's own status.
    process.exitCode = running === "exec" ? 255 : err instanceof BerthError ? err.exitCode : 1;
  })
  .finally(() => {
    log.close();
    // Output is written synchronously; nothing may keep a finished command alive
    // (a stray handle after an unexpected error would otherwise hang the caller).
    process.exit();
  });
