// Node built-ins that pull in the stream machinery (child_process, net) cost
// several milliseconds to load, and node:util about one (its promisify setup).
// Commands such as state, kill and delete rarely need them, so they are required
// on first use instead of at start-up.

import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export function childProcess(): typeof import("node:child_process") {
  return load("node:child_process") as typeof import("node:child_process");
}

export function net(): typeof import("node:net") {
  return load("node:net") as typeof import("node:net");
}

export function util(): typeof import("node:util") {
  return load("node:util") as typeof import("node:util");
}
