import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

describe("the wire protocol's one definition", () => {
  it("native/protocol.h, src/runtime/protocol.ts and PROTOCOL.md's tables are what native/protocol.json makes", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts/protocol.mjs"), "--check"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
  });

  it("numbers are unique in each space", () => {
    const def = JSON.parse(readFileSync(join(ROOT, "native/protocol.json"), "utf8")) as {
      messages: { value: number }[];
      tags: { value: number }[];
      nests: { items: { value: number }[] }[];
    };
    const unique = (vs: number[]): boolean => new Set(vs).size === vs.length;
    expect(unique(def.messages.map((m) => m.value))).toBe(true);
    expect(unique(def.tags.map((t) => t.value))).toBe(true);
    for (const n of def.nests) expect(unique(n.items.map((i) => i.value))).toBe(true);
  });
});
