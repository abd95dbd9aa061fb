// Man pages in roff, written from the grammar: berth(8), the program and its
// global options, and berth-COMMAND(8) for each command.

import { VERSION } from "../../version.js";
import {
  ACTION_FLAGS,
  COMMANDS,
  GLOBAL_FLAGS,
  PROGRAM_SUMMARY,
  flagText,
  takesValue,
  usageOf,
  type CommandDef,
  type FlagDef,
} from "../grammar.js";

/** Text safe for roff: backslashes and hyphens escaped, no line starting with a control character. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, "\\e")
    .replace(/-/g, "\\-")
    .split("\n")
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join("\n");
}

function header(name: string): string {
  return [
    `.\\" Generated from berth's command-line grammar (src/cli/grammar.ts); do not edit.`,
    `.TH ${roff(name.toUpperCase())} 8 "" "berth ${VERSION}" "System Administration"`,
  ].join("\n");
}

function flagItem(f: FlagDef): string {
  const names = [...(f.alias !== undefined ? [`\\fB\\-${roff(f.alias)}\\fR`] : []), `\\fB\\-\\-${roff(f.name)}\\fR`].join(", ");
  const value =
    f.optionalValue === true ? `[=\\fI${roff(f.value ?? "VALUE")}\\fR]` : takesValue(f) ? ` \\fI${roff(f.value ?? "VALUE")}\\fR` : "";
  return `.TP\n${names}${value}\n${roff(flagText(f))}`;
}

function paragraphs(text: string): string {
  return text
    .split(/\n\n/)
    .map((p) => roff(p.replace(/`([^`]+)`/g, "$1")))
    .join("\n.PP\n");
}

export function programPage(): string {
  const commands = COMMANDS as readonly CommandDef[];
  return [
    header("berth"),
    ".SH NAME",
    `berth \\- ${roff(PROGRAM_SUMMARY)}`,
    ".SH SYNOPSIS",
    ".B berth",
    "[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIcommand options\\fR] [\\fIarguments\\fR...]",
    ".SH DESCRIPTION",
    "berth runs containers described by an OCI runtime-spec bundle, with runc's commands, flags, exit statuses and state,",
    "so engines (containerd, podman, CRI\\-O) can use it in runc's place.",
    "Each command has its own page, \\fBberth\\-\\fR\\fIcommand\\fR(8).",
    ".SH COMMANDS",
    ...commands.flatMap((c) => [
      ".TP",
      `\\fB${roff(c.name)}\\fR ${roff(usageOf(c))}`,
      `${roff(c.describe)}; see \\fBberth\\-${roff(c.name)}\\fR(8).`,
    ]),
    ".SH GLOBAL OPTIONS",
    "Accepted before the command, as runc requires, or after it.",
    ...[...GLOBAL_FLAGS, ...ACTION_FLAGS].map(flagItem),
    ".SH EXIT STATUS",
    "0 on success, 1 on an error (with a message on standard error naming what is wrong and what to do);",
    "\\fBberth exec\\fR and \\fBberth run\\fR exit with the process's own status, and \\fBexec\\fR with 255 when it cannot start it.",
    ".SH SEE ALSO",
    commands.map((c) => `\\fBberth\\-${roff(c.name)}\\fR(8)`).join(",\n"),
    "",
  ].join("\n");
}

export function commandPage(c: CommandDef): string {
  const lines = [
    header(`berth-${c.name}`),
    ".SH NAME",
    `berth\\-${roff(c.name)} \\- ${roff(c.describe)}`,
    ".SH SYNOPSIS",
    `\\fBberth\\fR [\\fIglobal options\\fR] \\fB${roff(c.name)}\\fR ${roff(usageOf(c))}`,
    ".SH DESCRIPTION",
    `${roff(c.describe.charAt(0).toUpperCase() + c.describe.slice(1))}.`,
  ];
  if (c.description !== undefined) lines.push(".PP", paragraphs(c.description));
  if (c.positionals.length > 0) {
    lines.push(
      ".SH ARGUMENTS",
      ...c.positionals.map(
        (p) => `.TP\n\\fI${roff(p.name)}\\fR\n${roff(p.describe)}${p.default !== undefined ? ` (default: ${roff(p.default)})` : ""}`,
      ),
    );
  }
  if (c.flags.length > 0) lines.push(".SH OPTIONS", ...c.flags.map(flagItem));
  lines.push(".SH GLOBAL OPTIONS", "Accepted before or after the command; see \\fBberth\\fR(8).", ...GLOBAL_FLAGS.map(flagItem));
  lines.push(".SH SEE ALSO", "\\fBberth\\fR(8)", "");
  return lines.join("\n");
}

/** Every page, by file name. */
export function manPages(): Record<string, string> {
  const out: Record<string, string> = { "berth.8": programPage() };
  for (const c of COMMANDS as readonly CommandDef[]) out[`berth-${c.name}.8`] = commandPage(c);
  return out;
}
