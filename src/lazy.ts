// Node built-ins that pull in the stream machinery (child_process, net) cost
// several milliseconds to load, and node:util about one (its promisify setup).
// Commands such as state, kill and delete rarely need them, so they are loaded
// on first use instead of at start-up. process.getBuiltinModule needs no module
// of its own (createRequire cost every command node:module).

export function childProcess(): typeof import("node:child_process") {
  return process.getBuiltinModule("node:child_process");
}

export function net(): typeof import("node:net") {
  return process.getBuiltinModule("node:net");
}

export function util(): typeof import("node:util") {
  return process.getBuiltinModule("node:util");
}

export function os(): typeof import("node:os") {
  return process.getBuiltinModule("node:os");
}
