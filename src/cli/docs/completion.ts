// Shell completion for bash, zsh and fish, written from the grammar: commands,
// each command's flags (with their values: choices, files, directories),
// container ids from `berth list -q` (under the --root given), signal names for
// kill. `berth completion SHELL` prints one; `make install` installs all three.

import { SIGNALS } from "../../linux/signals.js";
import { COMMANDS, GLOBAL_FLAGS, takesValue, type CommandDef, type FlagDef, type PositionalDef } from "../grammar.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

const HEADER = "Generated from berth's command-line grammar (src/cli/grammar.ts); do not edit.";
const commands = (): readonly CommandDef[] => COMMANDS;
const signalNames = (): string[] => Object.keys(SIGNALS);

/** A word list as one single-quoted shell word. */
function sq(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

function names(f: FlagDef): string[] {
  return [`--${f.name}`, ...(f.alias !== undefined ? [`-${f.alias}`] : [])];
}

// --- bash -------------------------------------------------------------------------------

/** The `case "$prev"` arms completing a flag's value; a value flag with nothing to offer completes nothing. */
function bashValueArms(flags: readonly FlagDef[], indent: string): string[] {
  return flags.filter(takesValue).map((f) => {
    const pattern = names(f).join("|");
    const action =
      f.choices !== undefined
        ? `COMPREPLY=($(compgen -W ${sq(f.choices.join(" "))} -- "$cur"))`
        : f.value === "DIR"
          ? `COMPREPLY=($(compgen -d -- "$cur"))`
          : f.value === "FILE"
            ? `COMPREPLY=($(compgen -f -- "$cur"))`
            : "COMPREPLY=()";
    return `${indent}${pattern}) ${action}; return ;;`;
  });
}

function bashPositional(p: PositionalDef | undefined): string {
  if (p === undefined) return "COMPREPLY=()";
  if (p.complete === "container") return `COMPREPLY=($(compgen -W "$(_berth_containers)" -- "$cur"))`;
  if (p.complete === "signal") return `COMPREPLY=($(compgen -W ${sq(signalNames().join(" "))} -- "$cur"))`;
  if (p.complete === "command") return `COMPREPLY=($(compgen -c -- "$cur"))`;
  if (Array.isArray(p.complete)) return `COMPREPLY=($(compgen -W ${sq(p.complete.join(" "))} -- "$cur"))`;
  return `COMPREPLY=($(compgen -f -- "$cur"))`;
}

function bashCommand(c: CommandDef): string[] {
  const flags = [...c.flags, ...GLOBAL_FLAGS];
  const valueFlags = flags.filter(takesValue).flatMap(names).join("|");
  const lines = [`    ${c.name})`, '      case "$prev" in', ...bashValueArms(flags, "        "), "      esac"];
  lines.push(
    `      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W ${sq([...c.flags.flatMap(names), "--help"].join(" "))} -- "$cur")); return; fi`,
  );
  // Count the positional arguments before the cursor (skipping flags and their values).
  lines.push("      local n=0 j skip=0");
  lines.push("      for ((j = i + 1; j < COMP_CWORD; j++)); do");
  lines.push(`        if ((skip)); then skip=0; continue; fi`);
  lines.push(`        case "\${COMP_WORDS[j]}" in ${valueFlags === "" ? "" : `${valueFlags}) skip=1 ;; `}-*) ;; *) ((n++)) ;; esac`);
  lines.push("      done");
  const variadic = c.positionals.findIndex((p) => p.variadic === true);
  if (c.stopAfterId === true && c.positionals[1]?.complete === "command") {
    lines.push('      if ((n >= 2)); then COMPREPLY=($(compgen -f -- "$cur")); return; fi');
  }
  lines.push('      case "$n" in');
  c.positionals.forEach((p, k) => {
    if (p.variadic !== true) lines.push(`        ${k}) ${bashPositional(p)} ;;`);
  });
  lines.push(`        *) ${variadic >= 0 ? bashPositional(c.positionals[variadic]) : "COMPREPLY=()"} ;;`);
  lines.push("      esac", "      ;;");
  return lines;
}

export function bashCompletion(): string {
  const globalValues = GLOBAL_FLAGS.filter(takesValue).flatMap(names).join("|");
  return [
    `# bash completion for berth. ${HEADER}`,
    "",
    "_berth_containers() {",
    '  berth ${_berth_root:+--root "$_berth_root"} list -q 2>/dev/null',
    "}",
    "",
    "_berth() {",
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD - 1]}"',
    '  local i cmd="" _berth_root=""',
    "  COMPREPLY=()",
    "  for ((i = 1; i < COMP_CWORD; i++)); do",
    '    case "${COMP_WORDS[i]}" in',
    '      --root) _berth_root="${COMP_WORDS[i + 1]}"; ((i++)) ;;',
    '      --root=*) _berth_root="${COMP_WORDS[i]#--root=}" ;;',
    `      ${globalValues}) ((i++)) ;;`,
    "      -*) ;;",
    '      *) cmd="${COMP_WORDS[i]}"; break ;;',
    "    esac",
    "  done",
    "  if [[ -z $cmd ]]; then",
    '    case "$prev" in',
    ...bashValueArms(GLOBAL_FLAGS, "      "),
    "    esac",
    `    if [[ $cur == -* ]]; then`,
    `      COMPREPLY=($(compgen -W ${sq([...GLOBAL_FLAGS.flatMap(names), "--help", "-h", "--version", "-v"].join(" "))} -- "$cur"))`,
    "    else",
    `      COMPREPLY=($(compgen -W ${sq(
      commands()
        .map((c) => c.name)
        .join(" "),
    )} -- "$cur"))`,
    "    fi",
    "    return",
    "  fi",
    '  case "$cmd" in',
    ...commands().flatMap(bashCommand),
    "  esac",
    "}",
    "",
    "complete -F _berth berth",
    "",
  ].join("\n");
}

// --- zsh --------------------------------------------------------------------------------

/** Text inside a zsh _arguments spec's [description] or message. */
function zq(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/([[\]:])/g, "\\$1")
    .replace(/'/g, "'\\''");
}

function zshAction(f: FlagDef): string {
  if (f.choices !== undefined) return `:${zq(f.value ?? "value")}:(${f.choices.join(" ")})`;
  if (f.value === "DIR") return `:${zq(f.value)}:_files -/`;
  if (f.value === "FILE") return `:${zq(f.value)}:_files`;
  if (takesValue(f)) return `:${zq(f.value ?? "value")}: `;
  return "";
}

function zshFlag(f: FlagDef): string {
  const repeat = f.type === "repeatable" ? "*" : "";
  const action = zshAction(f);
  if (f.alias === undefined) return `'${repeat}--${f.name}[${zq(f.describe)}]${action}'`;
  const exclusive = repeat === "" ? `(-${f.alias} --${f.name})` : "";
  return `'${exclusive}${repeat}'{-${f.alias},--${f.name}}'[${zq(f.describe)}]${action}'`;
}

function zshPositional(p: PositionalDef, k: number): string {
  const action =
    p.complete === "container"
      ? "_berth_containers"
      : p.complete === "signal"
        ? `(${signalNames().join(" ")})`
        : p.complete === "command"
          ? "_command_names -e"
          : Array.isArray(p.complete)
            ? `(${p.complete.join(" ")})`
            : "_files";
  if (p.variadic === true && p.complete === "command") return `'*::${zq(p.describe)}:_normal'`;
  return p.variadic === true
    ? `'*:${zq(p.describe)}:${action}'`
    : `'${p.optional === true ? ":" : ""}${k + 1}:${zq(p.describe)}:${action}'`;
}

export function zshCompletion(): string {
  const lines = [
    "#compdef berth",
    `# zsh completion for berth. ${HEADER}`,
    "",
    "_berth_containers() {",
    "  local -a ids",
    '  ids=(${(f)"$(berth ${opt_args[--root]:+--root $opt_args[--root]} list -q 2>/dev/null)"})',
    "  compadd -a ids",
    "}",
    "",
    "_berth() {",
    "  local curcontext=$curcontext state line ret=1",
    "  typeset -A opt_args",
    "  local -a commands",
    "  commands=(",
    ...commands().map((c) => `    '${c.name}:${zq(c.describe)}'`),
    "  )",
    "  _arguments -C \\",
    ...GLOBAL_FLAGS.map((f) => `    ${zshFlag(f)} \\`),
    "    '(- *)'{-h,--help}'[show help]' \\",
    "    '(- *)'{-v,--version}'[print the version]' \\",
    "    '1: :->command' \\",
    "    '*:: :->args' && ret=0",
    "  case $state in",
    "    command) _describe -t commands 'berth command' commands && ret=0 ;;",
    "    args)",
    "      case $words[1] in",
  ];
  for (const c of commands()) {
    const specs = [...c.flags.map(zshFlag), "'(- *)'{-h,--help}'[show help]'", ...c.positionals.map(zshPositional)];
    lines.push(`        ${c.name})`, `          _arguments${c.stopAfterId === true ? " -A '-*'" : ""} \\`);
    specs.forEach((s, k) => lines.push(`            ${s}${k < specs.length - 1 ? " \\" : " && ret=0"}`));
    lines.push("          ;;");
  }
  lines.push("      esac", "      ;;", "  esac", "  return ret", "}", "", '_berth "$@"', "");
  return lines.join("\n");
}

// --- fish -------------------------------------------------------------------------------

function fishFlag(f: FlagDef, condition: string): string {
  const parts = ["complete -c berth"];
  if (condition !== "") parts.push(`-n ${sq(condition)}`);
  parts.push(`-l ${f.name}`);
  if (f.alias !== undefined) parts.push(f.alias.length === 1 ? `-s ${f.alias}` : `-o ${f.alias}`);
  if (f.choices !== undefined) parts.push(`-x -a ${sq(f.choices.join(" "))}`);
  else if (f.value === "DIR") parts.push(`-x -a '(__fish_complete_directories)'`);
  else if (f.value === "FILE") parts.push("-r -F");
  else if (takesValue(f)) parts.push("-x");
  parts.push(`-d ${sq(f.describe)}`);
  return parts.join(" ");
}

function fishPositional(c: CommandDef, p: PositionalDef | undefined): string | undefined {
  const cond = sq(`__fish_seen_subcommand_from ${c.name}`);
  if (p === undefined) return undefined;
  if (p.complete === "container") return `complete -c berth -n ${cond} -x -a '(__berth_containers)' -d ${sq(p.describe)}`;
  if (p.complete === "signal")
    return `complete -c berth -n ${sq(`__fish_seen_subcommand_from ${c.name}; and __fish_is_nth_token 3`)} -x -a ${sq(signalNames().join(" "))}`;
  if (Array.isArray(p.complete)) return `complete -c berth -n ${cond} -x -a ${sq(p.complete.join(" "))}`;
  return undefined;
}

export function fishCompletion(): string {
  const lines = [
    `# fish completion for berth. ${HEADER}`,
    "",
    "function __berth_containers",
    "    set -l root (string replace -r -- '^--root=' '' (commandline -opc | string match -r -- '^--root=.*'))",
    "    set -l tokens (commandline -opc)",
    "    set -l i (contains -i -- --root $tokens)",
    "    and set root $tokens[(math $i + 1)]",
    '    if test -n "$root"',
    "        berth --root $root list -q 2>/dev/null",
    "    else",
    "        berth list -q 2>/dev/null",
    "    end",
    "end",
    "",
    "complete -c berth -f",
    ...commands().map((c) => `complete -c berth -n __fish_use_subcommand -a ${c.name} -d ${sq(c.describe)}`),
    ...GLOBAL_FLAGS.map((f) => fishFlag(f, "")),
    "complete -c berth -s h -l help -d 'show help'",
    "complete -c berth -n __fish_use_subcommand -s v -l version -d 'print the version'",
  ];
  for (const c of commands()) {
    lines.push("", `# ${c.name}`);
    for (const f of c.flags) lines.push(fishFlag(f, `__fish_seen_subcommand_from ${c.name}`));
    const first = fishPositional(c, c.positionals[0]);
    if (first !== undefined) lines.push(first);
    const second = c.positionals[1];
    if (second?.complete === "signal") lines.push(fishPositional(c, second)!);
  }
  lines.push("");
  return lines.join("\n");
}

export function completion(shell: Shell): string {
  return shell === "bash" ? bashCompletion() : shell === "zsh" ? zshCompletion() : fishCompletion();
}

/** Where each script goes under $(PREFIX)/share. */
export const COMPLETION_PATHS: Record<Shell, string> = {
  bash: "bash-completion/completions/berth",
  zsh: "zsh/site-functions/_berth",
  fish: "fish/vendor_completions.d/berth.fish",
};
