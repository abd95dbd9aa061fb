// The commands engines call for every container (state, start, kill, delete,
// pause, resume) and list, loaded with main.ts itself rather than on demand: each
// on-demand chunk is a module of its own to instantiate, and these commands'
// code, split across the chunks other commands share, made up most of what they
// loaded. main.ts runs them when leanParse.ts has read the line.

import type { LeanCommand } from "../leanParse.js";
import * as deleteCommand from "./delete.js";
import * as kill from "./kill.js";
import * as list from "./list.js";
import * as pause from "./pause.js";
import * as resume from "./resume.js";
import * as start from "./start.js";
import * as state from "./state.js";

/** update and events, read by the lean parser too, are loaded on demand: they are seldom called, and larger. */
export const LEAN_HANDLERS: Partial<Record<LeanCommand, { handler: (opts: never) => Promise<number | void> }>> = {
  state,
  start,
  kill,
  delete: deleteCommand,
  pause,
  resume,
  list,
};
