// The subcommand table: names, help text and flags (runc's), with the handler
// module of each loaded lazily.
import type { Argv } from "yargs";

const id = (y: Argv): Argv => y.positional("id", { type: "string", describe: "container id" });

const createFlags = (y: Argv): Argv => id(y)
  .option("bundle", { alias: "b", type: "string", describe: "path to the root of the bundle directory (default: current directory)", requiresArg: true })
  .option("console-socket", { type: "string", describe: "path to an AF_UNIX socket which will receive the pty master", requiresArg: true })
  .option("pid-file", { type: "string", describe: "file to write the process id to", requiresArg: true })
  .option("no-pivot", { type: "boolean", default: false, describe: "do not use pivot_root (for a ramdisk rootfs)" })
  .option("no-new-keyring", { type: "boolean", default: false, describe: "do not create a new session keyring" })
  .option("preserve-fds", { type: "string", default: "0", describe: "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N)", requiresArg: true });

export const commandDefs = [
  {
    name: "create <id>", describe: "create a container",
    builder: createFlags,
    load: () => import("./create.js"),
  },
  {
    name: "run <id>", describe: "create and run a container",
    builder: (y: Argv) => createFlags(y)
      .option("detach", { alias: "d", type: "boolean", default: false, describe: "detach from the container's process" })
      .option("keep", { type: "boolean", default: false, describe: "do not delete the container after it exits" }),
    load: () => import("./run.js"),
  },
  { name: "start <id>", describe: "start the user process of a created container", builder: id, load: () => import("./start.js") },
  { name: "state <id>", describe: "output the state of a container", builder: id, load: () => import("./state.js") },
  {
    name: "kill <id> [signal]", describe: "send a signal (default SIGTERM) to the container's init process",
    builder: (y: Argv) => id(y)
      .positional("signal", { type: "string", default: "SIGTERM", describe: "signal name or number" })
      .option("all", { alias: "a", type: "boolean", default: false, describe: "send the signal to all processes in the container" }),
    load: () => import("./kill.js"),
  },
  {
    name: "delete <id>", describe: "delete a container and everything create made",
    builder: (y: Argv) => id(y).option("force", { alias: "f", type: "boolean", default: false, describe: "kill the container first if it is running" }),
    load: () => import("./delete.js"),
  },
  {
    name: "exec <id> [command..]", describe: "run a new process inside a container",
    builder: (y: Argv) => id(y)
      .positional("command", { type: "string", array: true, describe: "command and arguments" })
      .option("process", { alias: "p", type: "string", describe: "path to a process.json", requiresArg: true })
      .option("tty", { alias: "t", type: "boolean", default: false, describe: "allocate a pseudo-TTY" })
      .option("detach", { alias: "d", type: "boolean", default: false, describe: "detach from the process" })
      .option("pid-file", { type: "string", describe: "file to write the process id to", requiresArg: true })
      .option("console-socket", { type: "string", describe: "path to an AF_UNIX socket which will receive the pty master", requiresArg: true })
      .option("cwd", { type: "string", describe: "current working directory in the container", requiresArg: true })
      .option("env", { alias: "e", type: "string", array: true, default: [], describe: "set environment variables", requiresArg: true })
      .option("user", { alias: "u", type: "string", describe: "uid[:gid]", requiresArg: true })
      .option("additional-gids", { alias: "g", type: "string", array: true, default: [], describe: "additional gids", requiresArg: true })
      .option("cap", { alias: "c", type: "string", array: true, default: [], describe: "add a capability to the bounding set", requiresArg: true })
      .option("no-new-privs", { type: "boolean", default: false, describe: "set the no new privileges value for the process" })
      .option("preserve-fds", { type: "string", default: "0", describe: "pass N additional file descriptors", requiresArg: true })
      .option("ignore-paused", { type: "boolean", default: false, describe: "allow exec in a paused container" }),
    load: () => import("./exec.js"),
  },
  {
    name: "list", describe: "list containers started by berth with the given root",
    builder: (y: Argv) => y
      .option("format", { alias: "f", type: "string", choices: ["table", "json"], default: "table", describe: "output format", requiresArg: true })
      .option("quiet", { alias: "q", type: "boolean", default: false, describe: "display only container ids" }),
    load: () => import("./list.js"),
  },
  {
    name: "spec", describe: "create a new specification file (config.json)",
    builder: (y: Argv) => y
      .option("bundle", { alias: "b", type: "string", describe: "path to the root of the bundle directory", requiresArg: true })
      .option("rootless", { type: "boolean", default: false, describe: "generate a configuration for a rootless container" }),
    load: () => import("./spec.js"),
  },
  { name: "features", describe: "show the enabled features", builder: (y: Argv) => y, load: () => import("./features.js") },
];
