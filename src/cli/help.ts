// `berth --help` and `berth CMD --help`, written from the grammar (loaded only
// when help is asked for).

import {
  ACTION_FLAGS,
  COMMANDS,
  GLOBAL_FLAGS,
  PROGRAM_SUMMARY,
  PROGRAM_USAGE,
  flagLabel,
  flagText,
  usageOf,
  type CommandDef,
  type FlagDef,
} from "./grammar.js";

const WIDTH = 100;

/** Lay out a two-column list: terms, then their text wrapped at WIDTH. */
function columns(rows: [string, string][]): string {
  const left = Math.min(32, Math.max(...rows.map(([t]) => t.length)) + 4);
  return rows
    .map(([term, text]) => {
      const lines = wrap(text, WIDTH - left);
      const first =
        term.length + 2 < left ? `  ${term.padEnd(left - 2)}${lines[0] ?? ""}` : `  ${term}\n${" ".repeat(left)}${lines[0] ?? ""}`;
      return [first, ...lines.slice(1).map((l) => " ".repeat(left) + l)].join("\n");
    })
    .join("\n");
}

export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

function flagRows(flags: readonly FlagDef[]): [string, string][] {
  // Long names line up when some flags have a short form.
  const pad = flags.some((f) => f.alias !== undefined) ? "    " : "";
  return flags.map((f) => [f.alias === undefined ? pad + flagLabel(f) : flagLabel(f), flagText(f)]);
}

export function globalHelp(): string {
  const commands = (COMMANDS as readonly CommandDef[]).map((c): [string, string] => [c.name, c.describe]);
  return [
    `Usage: ${PROGRAM_USAGE}`,
    "",
    `berth: ${PROGRAM_SUMMARY}.`,
    "",
    "Commands:",
    columns(commands),
    "",
    "Global options:",
    columns(flagRows([...GLOBAL_FLAGS, ...ACTION_FLAGS])),
    "",
    "Run 'berth COMMAND --help' for a command's options, 'man berth-COMMAND' for its manual.",
    "",
  ].join("\n");
}

export function commandHelp(c: CommandDef): string {
  const parts = [`Usage: berth ${c.name} ${usageOf(c)}`.trimEnd(), "", `${c.describe}.`];
  if (c.description !== undefined)
    parts.push("", ...c.description.split(/\n\n/).flatMap((p, i) => [...(i > 0 ? [""] : []), ...wrap(p, WIDTH)]));
  if (c.positionals.length > 0)
    parts.push(
      "",
      "Arguments:",
      columns(c.positionals.map((p) => [p.name, p.describe + (p.default !== undefined ? ` (default: ${p.default})` : "")])),
    );
  if (c.flags.length > 0) parts.push("", "Options:", columns(flagRows(c.flags)));
  parts.push("", "Global options (before or after the command):", columns(flagRows(GLOBAL_FLAGS)), "");
  return parts.join("\n");
}
