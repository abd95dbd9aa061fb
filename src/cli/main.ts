// berth's command line, in runc's grammar: global options, then a subcommand,
// its options, and its arguments. Each subcommand is a thin adapter in
// ./commands/, loaded only when it runs, so a command pays only for what it uses.

import yargs, { type Argv } from "yargs";
import { writeSync } from "node:fs";
import { configureLog, log } from "../log.js";
import { BerthError } from "../errors.js";
import { globalOptions, type GlobalArgs } from "./options.js";
import { splitCommandArgs } from "./argv.js";
import { VERSION, versionText } from "./version.js";

type Handler = (argv: Record<string, unknown> & GlobalArgs) => Promise<number | void>;

function lazy(load: () => Promise<{ handler: Handler }>): (argv: unknown) => Promise<void> {
  return async (argv) => {
    const a = argv as Record<string, unknown> & GlobalArgs;
    configureLog({ file: a.log, format: a["log-format"], debug: a.debug });
    const mod = await load();
    const code = await mod.handler(a);
    process.exitCode = typeof code === "number" ? code : 0;
  };
}

interface CommandDef {
  name: string;
  describe: string;
  builder: (y: Argv) => Argv;
  load: () => Promise<{ handler: Handler }>;
}

import { commandDefs } from "./commands/index.js";

export async function main(argv: string[]): Promise<void> {
  const args = splitCommandArgs(argv);
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
    writeSync(1, versionText());
    return;
  }
  let y = yargs(args)
    .scriptName("berth")
    .usage("berth [global options] <command> [command options] <arguments>\n\nAn OCI container runtime, used exactly as runc.")
    .options(globalOptions)
    .version(false)
    .option("version", { alias: "v", type: "boolean", describe: "print the version" })
    .help("help")
    .alias("help", "h")
    .strict()
    .wrap(100)
    .demandCommand(1, "a command is required; see berth --help")
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new BerthError(msg, { op: "parse arguments", hint: "see berth --help" });
    });
  for (const c of commandDefs as CommandDef[]) {
    y = y.command(c.name, c.describe, c.builder, lazy(c.load));
  }
  await y.parseAsync();
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const msg = err instanceof Error ? err.message : String(err);
  log.error(msg);
  if (process.env.BERTH_DEBUG_STACK === "1" && err instanceof Error) writeSync(2, `${err.stack}\n`);
  process.exitCode = err instanceof BerthError ? err.exitCode : 1;
}).finally(() => log.close());

export { VERSION };
