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
