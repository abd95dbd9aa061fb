// The full yargs front end: --help for every command, and clear messages for
// malformed command lines. Built from the same table as fastParse.ts.

import type { Argv, Options } from "yargs";
import { BerthError } from "../errors.js";
import { defaultRoot } from "../runtime/stateStore.js";
import { COMMANDS, GLOBAL_FLAGS, type CommandDef, type FlagDef } from "./commands/index.js";

function option(f: FlagDef, global: boolean): Options {
  const o: Options = { type: f.type === "array" ? "string" : f.type, describe: f.describe, global };
  if (f.type === "array") o.array = true;
  if (f.type !== "boolean") o.requiresArg = true;
  if (f.alias !== undefined) o.alias = f.alias;
  if (f.default !== undefined) o.default = f.default;
  if (f.choices !== undefined) o.choices = f.choices;
  if (f.name === "root") o.default = defaultRoot();
  return o;
}

function usage(c: CommandDef): string {
  const pos = c.positionals.map((p) => (p.variadic === true ? `[${p.name}..]` : p.optional === true ? `[${p.name}]` : `<${p.name}>`));
  return [c.name, ...pos].join(" ");
}

export async function runYargs(args: string[], run: (c: CommandDef, argv: Record<string, unknown>) => Promise<void>): Promise<void> {
  // Loaded here, not at the top: the bundle keeps yargs out of the hot path.
  const { default: yargs } = await import("yargs");
  let y: Argv = yargs(args)
    .scriptName("berth")
    .usage("berth [global options] <command> [command options] <arguments>\n\nAn OCI container runtime, used exactly as runc.")
    .version(false)
    .help("help")
    .alias("help", "h")
    .strict()
    .wrap(100)
    .demandCommand(1, "a command is required; see berth --help")
    .exitProcess(false)
    .fail((msg, err) => {
      if (err !== undefined) throw err;
      const command = COMMANDS.find((c) => args.includes(c.name));
      if (command !== undefined && /^Not enough non-option arguments/.test(msg)) {
        const missing = command.positionals.filter((p) => p.optional !== true).map((p) => (p.name === "id" ? "container id" : p.name));
        throw new BerthError(`"${command.name}" requires the ${missing.join(" and ")} as argument`, { op: command.name, path: `<${missing.join("> <")}>`, hint: `see berth ${command.name} --help` });
      }
      throw new BerthError(msg, { op: "parse arguments", hint: command !== undefined ? `see berth ${command.name} --help` : "see berth --help" });
    });
  for (const f of GLOBAL_FLAGS) y = y.option(f.name, option(f, true));
  for (const c of COMMANDS) {
    y = y.command(usage(c), c.describe, (cy: Argv) => {
      for (const p of c.positionals) cy = cy.positional(p.name, { type: "string", describe: p.describe, array: p.variadic === true, default: p.default });
      for (const f of c.flags) cy = cy.option(f.name, option(f, false));
      return cy;
    }, async (argv) => {
      const a = argv as Record<string, unknown>;
      if (c.name === "exec" || c.name === "kill" || c.name === "ps") {
        // Everything after the id belongs to the command (inserted `--` by main).
        const extra = ((a["--"] as unknown[] | undefined) ?? []).map(String);
        if (c.name === "exec") a.command = [...((a.command as string[] | undefined) ?? []), ...extra];
        else if (c.name === "ps") a["ps-args"] = [...((a["ps-args"] as string[] | undefined) ?? []), ...extra];
        else if (extra.length > 0) a.signal = extra[0];
      }
      await run(c, a);
    });
  }
  await y.parserConfiguration({ "populate--": true }).parseAsync();
}
