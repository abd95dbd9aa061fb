// The man pages and shell completions are generated from the grammar: every
// command and every flag appears in them, and the scripts are valid shell.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { needs } from "../../../test/helpers/host.js";
import { ACTION_FLAGS, COMMANDS, GLOBAL_FLAGS, type CommandDef, type FlagDef } from "../grammar.js";
import { completion, SHELLS, type Shell } from "./completion.js";
import { generatedDocs } from "./generate.js";
import { manPages } from "./man.js";

const commands = COMMANDS as readonly CommandDef[];
const globals = GLOBAL_FLAGS as readonly FlagDef[];
const roffFlag = (name: string): string => `\\-\\-${name.replace(/-/g, "\\-")}`;

describe("man pages", () => {
  const pages = manPages();

  it("berth.8 names every command and every global option", () => {
    const page = pages["berth.8"]!;
    for (const c of commands) {
      expect(page).toContain(`\\fB${c.name.replace(/-/g, "\\-")}\\fR`);
      expect(page).toContain(`\\fBberth\\-${c.name}\\fR(8)`);
    }
    for (const f of [...globals, ...ACTION_FLAGS]) expect(page).toContain(roffFlag(f.name));
  });

  it("each command has a page naming the command, each of its flags with its alias, and the global options", () => {
    expect(Object.keys(pages).sort()).toEqual(["berth.8", ...commands.map((c) => `berth-${c.name}.8`)].sort());
    for (const c of commands) {
      const page = pages[`berth-${c.name}.8`]!;
      expect(page).toMatch(new RegExp(`^\\.TH BERTH\\\\-${c.name.toUpperCase()} 8`, "m"));
      for (const f of [...c.flags, ...globals]) {
        expect(page, `${c.name} --${f.name}`).toContain(roffFlag(f.name));
        if (f.alias !== undefined) expect(page).toContain(`\\fB\\-${f.alias}\\fR`);
      }
      for (const p of c.positionals) expect(page).toContain(`\\fI${p.name.replace(/-/g, "\\-")}\\fR`);
    }
  });

  it("no line starts with a roff control character by accident, and groff reads them without warnings", () => {
    for (const [name, page] of Object.entries(pages)) {
      for (const line of page.split("\n")) if (/^[.']/.test(line)) expect(line, name).toMatch(/^\.(TH|SH|TP|PP|B|\\")( |$)/);
      const groff = spawnSync("groff", ["-man", "-ww", "-z"], { input: page, encoding: "utf8" });
      if (groff.error === undefined) expect(groff.stderr, name).toBe("");
    }
  });
});

describe("shell completion", () => {
  for (const shell of SHELLS) {
    it(`${shell}: every command and every flag, long and short`, () => {
      const script = completion(shell);
      const hasFlag = (f: FlagDef): boolean => (shell === "fish" ? script.includes(`-l ${f.name} `) : script.includes(`--${f.name}`));
      const hasAlias = (f: FlagDef): boolean => (shell === "fish" ? script.includes(`-s ${f.alias} `) : script.includes(`-${f.alias}`));
      for (const c of commands) {
        expect(script).toContain(c.name);
        for (const f of c.flags) {
          expect(hasFlag(f), `${shell} ${c.name} --${f.name}`).toBe(true);
          if (f.alias !== undefined) expect(hasAlias(f), `${shell} ${c.name} -${f.alias}`).toBe(true);
        }
      }
      for (const f of globals) expect(hasFlag(f), `${shell} --${f.name}`).toBe(true);
    });
  }

  it("bash: each command's case lists exactly its own flags", () => {
    const script = completion("bash");
    for (const c of commands) {
      const arm = script.slice(script.indexOf(`\n    ${c.name})\n`));
      const words = /compgen -W '([^']*)' -- "\$cur"\)\); return; fi/.exec(arm)![1]!.split(" ");
      expect(words.sort()).toEqual(
        [...c.flags.flatMap((f) => [`--${f.name}`, ...(f.alias !== undefined ? [`-${f.alias}`] : [])]), "--help"].sort(),
      );
    }
  });

  const syntax = (shell: Shell, argv: (file: string) => string[]): void => {
    const dir = mkdtempSync(join(tmpdir(), "berth-completion-"));
    try {
      const file = join(dir, "berth");
      writeFileSync(file, completion(shell));
      const [cmd, ...args] = argv(file);
      const r = spawnSync(cmd!, args, { encoding: "utf8" });
      expect(r.error).toBeUndefined();
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("bash -n accepts the bash completion, and it completes a command line", () => {
    syntax("bash", (f) => ["bash", "-n", f]);
    const dir = mkdtempSync(join(tmpdir(), "berth-completion-"));
    try {
      const file = join(dir, "berth");
      writeFileSync(file, completion("bash"));
      const probe = (words: string[]): string[] => {
        const script = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _berth; printf '%s\\n' "\${COMPREPLY[@]}"`;
        return spawnSync("bash", ["-c", script], { encoding: "utf8" })
          .stdout.split("\n")
          .filter((l) => l !== "");
      };
      expect(probe(["berth", "cr"])).toEqual(["create"]);
      expect(probe(["berth", "--root", "/x", "up"])).toEqual(["update"]);
      expect(probe(["berth", "exec", "--pre"])).toEqual(["--preserve-fds"]);
      expect(probe(["berth", "list", "--format", ""]).sort()).toEqual(["json", "table"]);
      expect(probe(["berth", "--log-format", "j"])).toEqual(["json"]);
      expect(probe(["berth", "kill", "c1", "SIGKI"])).toEqual(["SIGKILL"]);
      expect(probe(["berth", "completion", "z"])).toEqual(["zsh"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  needs("zsh").it("zsh -n accepts the zsh completion", () => syntax("zsh", (f) => ["zsh", "-n", f]));
  needs("fish").it("fish -n accepts the fish completion", () => syntax("fish", (f) => ["fish", "-n", f]));
});

describe("help", () => {
  it("berth --help and each command's help name every command and flag", async () => {
    const { commandHelp, globalHelp } = await import("../help.js");
    const top = globalHelp();
    for (const c of commands) expect(top).toContain(`  ${c.name} `);
    for (const f of globals) expect(top).toContain(`--${f.name}`);
    for (const c of commands) {
      const text = commandHelp(c);
      expect(text).toContain(`Usage: berth ${c.name}`);
      for (const f of c.flags) expect(text).toContain(`--${f.name}`);
    }
  });
});

it("the generated tree holds the man pages and the three completion scripts", () => {
  const docs = generatedDocs();
  expect(Object.keys(docs)).toEqual(
    expect.arrayContaining([
      "man/man8/berth.8",
      "bash-completion/completions/berth",
      "zsh/site-functions/_berth",
      "fish/vendor_completions.d/berth.fish",
    ]),
  );
  expect(Object.keys(docs).filter((p) => p.startsWith("man/"))).toHaveLength(commands.length + 1);
});
