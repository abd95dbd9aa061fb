// berth's command line, in runc's grammar: global options, then a subcommand,
// its options, and its arguments. Well-formed invocations go through a small
// table-driven parser; help and malformed input go through yargs. Each
// subcommand's module is loaded only when it runs.

import { writeSync } from "node:fs";
import { configureLog, log } from "../log.js";
import { BerthError } from "../errors.js";
import { fastParse } from "./fastParse.js";
import { splitCommandArgs } from "./argv.js";
import { versionText } from "../version.js";
import type { CommandDef } from "./commands/index.js";

let running: string | undefined;

async function run(command: CommandDef, argv: Record<string, unknown>): Promise<void> {
  running = command.name;
  configureLog({ file: argv.log as string | undefined, format: argv["log-format"] as string | undefined, debug: argv.debug === true });
  const mod = await command.load();
  const code = await mod.handler(argv as never);
  process.exitCode = typeof code === "number" ? code : 0;
}

export async function main(args: string[]): Promise<void> {
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
    writeSync(1, versionText());
    return;
  }
  const fast = fastParse(args);
  if (fast !== undefined) return run(fast.command, fast.argv);
  const { runYargs } = await import("./yargsCli.js");
  await runYargs(splitCommandArgs(args), run);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const msg = err instanceof Error ? err.message : String(err);
  log.error(msg);
  if (process.env.BERTH_DEBUG_STACK === "1" && err instanceof Error) writeSync(2, `${err.stack}\n`);
  // runc exits 255 when exec fails, so callers can tell it from the process's own status.
  process.exitCode = running === "exec" ? 255 : err instanceof BerthError ? err.exitCode : 1;
}).finally(() => {
  log.close();
  // Output is written synchronously; nothing may keep a finished command alive
  // (a stray handle after an unexpected error would otherwise hang the caller).
  process.exit();
});
