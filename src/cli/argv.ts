// runc stops parsing options at the first argument after the container id for
// the commands the grammar marks stopAfterId (exec: the rest is the command and
// its own flags; kill; ps). yargs does not know where that is, so a `--` is
// inserted there (fastParse.ts's stopIndex finds it from the grammar).

import { stopIndex } from "./fastParse.js";

export function splitCommandArgs(argv: string[]): string[] {
  const at = stopIndex(argv);
  return at === undefined ? argv : [...argv.slice(0, at), "--", ...argv.slice(at)];
}
