// The yargs fallback, for command lines the fast parser is unsure about: it
// either makes sense of them (yargs' wider grammar) or says clearly what is
// wrong. Built from the same grammar as fastParse.ts; help is help.ts's.

import type { Argv, Options } from "yargs";
import { BerthError } from "../errors.js";
import { defaultRoot } from "../runtime/stateStore.js";
import { argName, COMMANDS, GLOBAL_FLAGS, takesValue, type CommandDef, type FlagDef } from "./grammar.js";
import { assignPositionals } from "./fastParse.js";

function option(f: FlagDef, global: boolean): Options {
  const o: Options = { type: takesValue(f) || f.optionalValue === true ? "string" : "boolean", describe: f.describe, global };
  if (f.type === "repeatable") o.array = true;
  if (takesValue(f)) o.requiresArg = true;
  if (f.alias !== undefined) o.alias = f.alias;
  if (f.default !== undefined) o.default = f.default;
  if (f.choices !== undefined) o.choices = [...f.choices];
  if (f.name === "root") o.default = defaultRoot();
  return o;
}

function command(c: CommandDef): string {
  return [
    c.name,
    ...c.positionals.map((p) => (p.variadic === true ? `[${p.name}..]` : p.optional === true ? `[${p.name}]` : `<${p.name}>`)),
  ].join(" ");
}

export async function runYargs(args: string[], run: (c: CommandDef, argv: Record<string, unknown>) => Promise<void>): Promise<void> {
  // Loaded here, not at the top: the executable keeps yargs out of the hot path.
  const { default: yargs } = await import("yargs");
  // A bare optional-value flag (--trace) must not take the next argument as its value.
  const bare = new Set((GLOBAL_FLAGS as readonly FlagDef[]).filter((f) => f.optionalValue === true).map((f) => `--${f.name}`));
  args = args.map((a) => (bare.has(a) ? `${a}=` : a));
  const named = (COMMANDS as readonly CommandDef[]).find((c) => args.includes(c.name));
  let y: Argv = yargs(args)
    .scriptName("berth")
    .version(false)
    .help(false)
    .strict()
    .demandCommand(1, "a command is required")
    .exitProcess(false)
    .fail((msg, err) => {
      if (err !== undefined) throw err;
      if (named !== undefined && /^Not enough non-option arguments/.test(msg)) {
        const missing = named.positionals.filter((p) => p.optional !== true).map(argName);
        throw new BerthError(`"${named.name}" requires the ${missing.join(" and ")} as argument`, {
          op: named.name,
          path: `<${missing.join("> <")}>`,
          hint: `see berth ${named.name} --help`,
        });
      }
      throw new BerthError(msg, {
        op: "parse arguments",
        hint: named !== undefined ? `see berth ${named.name} --help` : "see berth --help",
      });
    });
  for (const f of GLOBAL_FLAGS) y = y.option(f.name, option(f, true));
  for (const c of COMMANDS as readonly CommandDef[]) {
    y = y.command(
      command(c),
      c.describe,
      (cy: Argv) => {
        for (const p of c.positionals)
          cy = cy.positional(p.name, { type: "string", describe: p.describe, array: p.variadic === true, default: p.default });
        for (const f of c.flags) cy = cy.option(f.name, option(f, false));
        return cy;
      },
      async (argv) => {
        const a = argv as Record<string, unknown>;
        if (c.stopAfterId === true) {
          // Everything after the id belongs to the command (main inserted a `--` there).
          const rest = ((a["--"] as unknown[] | undefined) ?? []).map(String);
          if (rest.length > 0 && !assignPositionals(c, [String(a.id), ...rest], a)) {
            throw new BerthError(`too many arguments`, { op: c.name, hint: `see berth ${c.name} --help` });
          }
        }
        await run(c, a);
      },
    );
  }
  await y.parserConfiguration({ "populate--": true }).parseAsync();
}
