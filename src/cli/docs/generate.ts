// Every generated documentation file, by its path under $(PREFIX)/share: the
// man pages and the three completion scripts. scripts/docs.mjs writes them;
// docs.test.ts checks them against the grammar.

import { completion, COMPLETION_PATHS, SHELLS } from "./completion.js";
import { manPages } from "./man.js";

export function generatedDocs(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(manPages())) out[`man/man8/${name}`] = text;
  for (const shell of SHELLS) out[COMPLETION_PATHS[shell]] = completion(shell);
  return out;
}
