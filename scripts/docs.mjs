// Writes berth's man pages and shell completions, generated from the CLI grammar
// (src/cli/grammar.ts), under OUTDIR in the layout of $(PREFIX)/share:
//   man/man8/berth.8, man/man8/berth-<command>.8,
//   bash-completion/completions/berth, zsh/site-functions/_berth, fish/vendor_completions.d/berth.fish
// Run by make with the pinned Bun (which reads the TypeScript sources as they are):
//   bun scripts/docs.mjs OUTDIR

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { generatedDocs } from "../src/cli/docs/generate.ts";

const outDir = process.argv[2];
if (outDir === undefined) {
  console.error("usage: bun scripts/docs.mjs OUTDIR");
  process.exit(2);
}
for (const [path, text] of Object.entries(generatedDocs())) {
  const file = join(outDir, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
