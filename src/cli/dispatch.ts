// The general path from a command line to a command, for every line the lean
// parser (leanParse.ts) leaves: the grammar's fast parser, help, yargs for what it
// cannot read (with runc's messages), and --trace's timeline. main.ts loads it
// only then.

import { writeFileSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { begin, chromeTrace, enableTrace, traceTable } from "../trace.js";
import { configureLog, log } from "../log.js";
import { BerthError } from "../errors.js";
import { fastParse, helpRequest } from "./fastParse.js";
import { splitCommandArgs } from "./argv.js";
import { versionText } from "../version.js";
import { toOptions } from "./options.js";
import { markRunning, runCommand } from "./commands/index.js";
import type { CommandDef, CommandName } from "./grammar.js";

async function run(command: CommandDef, argv: Record<string, unknown>): Promise<void> {
  const name = command.name as CommandName;
  markRunning(name);
  configureLog({ file: argv.log as string | undefined, format: argv["log-format"] as string | undefined, debug: argv.debug === true });
  const opts = toOptions(command, argv);
  const traceTo = argv.trace as string | undefined;
  if (traceTo === undefined) {
    process.exitCode = await runCommand(name, opts);
    return;
  }
  enableTrace();
  const end = begin(`total (${command.name})`);
  try {
    process.exitCode = await runCommand(name, opts);
  } finally {
    end();
    writeTrace(traceTo);
  }
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

export async function dispatch(args: string[]): Promise<void> {
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
