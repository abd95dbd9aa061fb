// berth's command line, in runc's grammar (grammar.ts): global options, then a
// subcommand, its options, and its arguments. The lines engines send for every
// container (state, start, kill, delete, pause, resume, update), list and events are
// read by a small parser that needs no grammar (leanParse.ts), most of them run by
// handlers loaded with this module (commands/lean.ts); every other line goes
// through dispatch.ts:
// the grammar's table-driven parser, help written from the same table, and yargs
// for the messages on malformed input. Each subcommand's module is loaded only
// when it runs.

import { writeSync } from "node:fs";
import { configureLog, log } from "../log.js";
import { BerthError } from "../errors.js";
import { versionText } from "../version.js";
import { leanOptions, leanParse } from "./leanParse.js";
import { markRunning, runCommand, runningCommand } from "./commands/index.js";
import { LEAN_HANDLERS } from "./commands/lean.js";

export async function main(args: string[]): Promise<void> {
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
    writeSync(1, versionText());
    return;
  }
  const lean = leanParse(args);
  if (lean !== undefined) {
    const { command, raw } = lean;
    markRunning(command);
    configureLog({ file: raw.log as string | undefined, format: raw["log-format"] as string, debug: raw.debug === true });
    const opts = leanOptions(lean);
    const preloaded = LEAN_HANDLERS[command];
    process.exitCode = preloaded !== undefined ? ((await preloaded.handler(opts as never)) ?? 0) : await runCommand(command, opts);
    return;
  }
  const { dispatch } = await import("./dispatch.js");
  await dispatch(args);
}

main(process.argv.slice(2))
  .catch((err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    log.error(msg);
    if (process.env.BERTH_DEBUG_STACK === "1" && err instanceof Error) writeSync(2, `${err.stack}\n`);
    // runc exits 255 when exec fails, so callers can tell it from the process's own status.
    process.exitCode = runningCommand() === "exec" ? 255 : err instanceof BerthError ? err.exitCode : 1;
  })
  .finally(() => {
    log.close();
    // Output is written synchronously; nothing may keep a finished command alive
    // (a stray handle after an unexpected error would otherwise hang the caller).
    process.exit();
  });
