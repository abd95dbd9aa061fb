// Who may import whom: cli → runtime → linux → the ground files (errors, lazy, log,
// version), with spec beside linux (the config's types and validation, which the
// runtime reads and linux code may name). An import that points up a layer, or a
// cycle between files, fails here. Tests and test support are outside the rule.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = dirname(fileURLToPath(import.meta.url));

/** Layer of a file under src/: higher may import lower or equal, never higher. */
function layer(rel: string): number {
  const top = rel.split("/")[0]!;
  if (top === "cli") return 3;
  if (top === "runtime") return 2;
  if (top === "linux" || top === "spec") return 1;
  return 0;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "testing" && e.name !== "generated") out.push(...sources(p));
    } else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts")) {
      out.push(p);
    }
  }
  return out;
}

/** Relative imports of a file (static and dynamic, type-only included), as src-relative .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)"(\.{1,2}\/[^"]+)"/g)) {
    const target = resolve(dirname(file), m[1]!).replace(/\.js$/, ".ts");
    out.push(relative(SRC, target));
  }
  return out;
}

describe("layers", () => {
  const files = sources(SRC).map((f) => relative(SRC, f));
  const graph = new Map(
    files.map((f) => [f, importsOf(join(SRC, f)).filter((t) => !t.startsWith("generated") && !t.includes("/generated/"))]),
  );

  it("no import points up a layer (cli → runtime → linux, spec → ground files)", () => {
    const upward: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) if (layer(to) > layer(from)) upward.push(`${from} → ${to}`);
    }
    expect(upward).toEqual([]);
  });

  it("no file is part of an import cycle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "active" | "done">();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, "active");
      stack.push(f);
      for (const t of graph.get(f) ?? []) {
        if (!graph.has(t)) continue;
        if (state.get(t) === "active") cycles.push([...stack.slice(stack.indexOf(t)), t].join(" → "));
        else if (state.get(t) === undefined) visit(t);
      }
      stack.pop();
      state.set(f, "done");
    };
    for (const f of graph.keys()) if (state.get(f) === undefined) visit(f);
    expect(cycles).toEqual([]);
  });
});
