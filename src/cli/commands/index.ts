// Each command's module, loaded only when that command runs (the grammar, in
// ../grammar.ts, says what the commands are; this says where their code is).

import type { CommandName } from "../grammar.js";

type Loader = () => Promise<{ handler: (opts: never) => Promise<number | void> }>;

export const LOADERS: Record<CommandName, Loader> = {
  create: () => import("./create.js"),
  run: () => import("./run.js"),
  pause: () => import("./pause.js"),
  resume: () => import("./resume.js"),
  start: () => import("./start.js"),
  state: () => import("./state.js"),
  kill: () => import("./kill.js"),
  delete: () => import("./delete.js"),
  exec: () => import("./exec.js"),
  ps: () => import("./ps.js"),
  list: () => import("./list.js"),
  spec: () => import("./spec.js"),
  events: () => import("./events.js"),
  update: () => import("./update.js"),
  checkpoint: () => import("./checkpoint.js"),
  restore: () => import("./restore.js"),
  features: () => import("./features.js"),
  check: () => import("./check.js"),
  wait: () => import("./wait.js"),
  completion: () => import("./completion.js"),
};

let running: CommandName | undefined;

/** Record the command being run (before its options are read: main.ts exits 255 when exec fails). */
export function markRunning(name: CommandName): void {
  running = name;
}

/** The command being run, once main.ts or dispatch.ts has chosen it. */
export function runningCommand(): CommandName | undefined {
  return running;
}

/** Load a command's module and run its handler with its options; resolves to the exit status. */
export async function runCommand(name: CommandName, opts: Record<string, unknown>): Promise<number> {
  const mod = await LOADERS[name]();
  const code = await mod.handler(opts as never);
  return typeof code === "number" ? code : 0;
}
