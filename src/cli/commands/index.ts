// The subcommand table: names, positional arguments, help text and flags
// (runc's), with each handler module loaded lazily. It is plain data so two
// parsers can share it: the fast parser (fastParse.ts) for well-formed
// invocations, and yargs (main.ts) for --help, and for anything unusual so its
// messages explain what is wrong.

export type FlagType = "string" | "boolean" | "array";

export interface FlagDef {
  name: string;
  alias?: string;
  type: FlagType;
  describe: string;
  default?: string | boolean | string[];
  choices?: string[];
}

export interface PositionalDef {
  name: string;
  describe: string;
  optional?: boolean;
  variadic?: boolean;
  default?: string;
}

export interface CommandDef {
  name: string;
  describe: string;
  positionals: PositionalDef[];
  flags: FlagDef[];
  load: () => Promise<{ handler: (argv: never) => Promise<number | void> }>;
}

export const GLOBAL_FLAGS: FlagDef[] = [
  { name: "root", type: "string", describe: "root directory for storage of container state" },
  { name: "log", type: "string", describe: "log file (default: stderr)" },
  { name: "log-format", type: "string", choices: ["text", "json"], default: "text", describe: "log format" },
  { name: "debug", type: "boolean", default: false, describe: "enable debug logging" },
  { name: "systemd-cgroup", type: "boolean", default: false, describe: "manage cgroups with systemd; cgroupsPath is slice:prefix:name" },
  { name: "rootless", type: "string", describe: "ignore cgroup permission errors (true, false, auto)" },
];

const ID: PositionalDef = { name: "id", describe: "container id" };

const CREATE_FLAGS: FlagDef[] = [
  { name: "bundle", alias: "b", type: "string", describe: "path to the root of the bundle directory (default: current directory)" },
  { name: "console-socket", type: "string", describe: "path to an AF_UNIX socket which will receive the pty master" },
  { name: "pid-file", type: "string", describe: "file to write the process id to" },
  { name: "no-pivot", type: "boolean", default: false, describe: "do not use pivot_root (for a ramdisk rootfs)" },
  { name: "no-new-keyring", type: "boolean", default: false, describe: "do not create a new session keyring" },
  { name: "preserve-fds", type: "string", default: "0", describe: "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N)" },
];

export const COMMANDS: CommandDef[] = [
  { name: "create", describe: "create a container", positionals: [ID], flags: CREATE_FLAGS, load: () => import("./create.js") },
  {
    name: "run", describe: "create and run a container", positionals: [ID],
    flags: [
      ...CREATE_FLAGS,
      { name: "detach", alias: "d", type: "boolean", default: false, describe: "detach from the container's process" },
      { name: "keep", type: "boolean", default: false, describe: "do not delete the container after it exits" },
    ],
    load: () => import("./run.js"),
  },
  { name: "pause", describe: "suspend all processes of a container (cgroup freezer)", positionals: [ID], flags: [], load: () => import("./pause.js") },
  { name: "resume", describe: "resume all processes of a paused container", positionals: [ID], flags: [], load: () => import("./resume.js") },
  { name: "start", describe: "start the user process of a created container", positionals: [ID], flags: [], load: () => import("./start.js") },
  { name: "state", describe: "output the state of a container", positionals: [ID], flags: [], load: () => import("./state.js") },
  {
    name: "kill", describe: "send a signal (default SIGTERM) to the container's init process",
    positionals: [ID, { name: "signal", describe: "signal name or number", optional: true, default: "SIGTERM" }],
    flags: [{ name: "all", alias: "a", type: "boolean", default: false, describe: "send the signal to all processes in the container" }],
    load: () => import("./kill.js"),
  },
  {
    name: "delete", describe: "delete a container and everything create made", positionals: [ID],
    flags: [{ name: "force", alias: "f", type: "boolean", default: false, describe: "kill the container first if it is running" }],
    load: () => import("./delete.js"),
  },
  {
    name: "exec", describe: "run a new process inside a container",
    positionals: [ID, { name: "command", describe: "command and arguments", optional: true, variadic: true }],
    flags: [
      { name: "process", alias: "p", type: "string", describe: "path to a process.json" },
      { name: "tty", alias: "t", type: "boolean", default: false, describe: "allocate a pseudo-TTY" },
      { name: "detach", alias: "d", type: "boolean", default: false, describe: "detach from the process" },
      { name: "pid-file", type: "string", describe: "file to write the process id to" },
      { name: "console-socket", type: "string", describe: "path to an AF_UNIX socket which will receive the pty master" },
      { name: "cwd", type: "string", describe: "current working directory in the container" },
      { name: "env", alias: "e", type: "array", default: [], describe: "set environment variables" },
      { name: "user", alias: "u", type: "string", describe: "uid[:gid]" },
      { name: "additional-gids", alias: "g", type: "array", default: [], describe: "additional gids" },
      { name: "cap", alias: "c", type: "array", default: [], describe: "add a capability to the bounding set" },
      { name: "no-new-privs", type: "boolean", default: false, describe: "set the no new privileges value for the process" },
      { name: "preserve-fds", type: "string", default: "0", describe: "pass N additional file descriptors" },
      { name: "ignore-paused", type: "boolean", default: false, describe: "allow exec in a paused container" },
      { name: "apparmor", type: "string", describe: "AppArmor profile for the process (default: the container's)" },
      { name: "process-label", type: "string", describe: "SELinux label for the process (refused: berth cannot apply labels yet)" },
    ],
    load: () => import("./exec.js"),
  },
  {
    name: "ps", describe: "display the processes running inside a container",
    positionals: [ID, { name: "ps-args", describe: "options passed to ps(1) (default -ef)", optional: true, variadic: true }],
    flags: [{ name: "format", alias: "f", type: "string", choices: ["table", "json"], default: "table", describe: "output format" }],
    load: () => import("./ps.js"),
  },
  {
    name: "list", describe: "list containers started by berth with the given root", positionals: [],
    flags: [
      { name: "format", alias: "f", type: "string", choices: ["table", "json"], default: "table", describe: "output format" },
      { name: "quiet", alias: "q", type: "boolean", default: false, describe: "display only container ids" },
    ],
    load: () => import("./list.js"),
  },
  {
    name: "spec", describe: "create a new specification file (config.json)", positionals: [],
    flags: [
      { name: "bundle", alias: "b", type: "string", describe: "path to the root of the bundle directory" },
      { name: "rootless", type: "boolean", default: false, describe: "generate a configuration for a rootless container" },
    ],
    load: () => import("./spec.js"),
  },
  {
    name: "events", describe: "display container events: OOM notifications and cpu, memory, pids and IO statistics", positionals: [ID],
    flags: [
      { name: "interval", type: "string", default: "5s", describe: "stats collection interval (a duration such as 5s, 500ms, 1m30s)" },
      { name: "stats", type: "boolean", default: false, describe: "display the container's stats once, then exit" },
    ],
    load: () => import("./events.js"),
  },
  {
    name: "update", describe: "update the resource limits of a running container", positionals: [ID],
    flags: [
      { name: "resources", alias: "r", type: "string", describe: "path to a JSON file of LinuxResources to apply, or - to read stdin (other options are then ignored)" },
      { name: "blkio-weight", type: "string", describe: "per cgroup block IO weight, 10 to 1000" },
      { name: "cpu-period", type: "string", describe: "CPU CFS period for hardcapping (µs); 0 keeps the current value" },
      { name: "cpu-quota", type: "string", describe: "CPU CFS hardcap limit (µs) of CPU time per period" },
      { name: "cpu-burst", type: "string", describe: "CPU burst limit (µs) per period" },
      { name: "cpu-share", type: "string", describe: "CPU shares (relative weight vs. other containers)" },
      { name: "cpu-rt-period", type: "string", describe: "CPU realtime period (µs)" },
      { name: "cpu-rt-runtime", type: "string", describe: "CPU realtime hardcap limit (µs) per period" },
      { name: "cpu-idle", type: "string", describe: "set cgroup SCHED_IDLE (0 or 1)" },
      { name: "cpuset-cpus", type: "string", describe: "CPUs to use, e.g. 0-3,7" },
      { name: "cpuset-mems", type: "string", describe: "memory nodes to use, e.g. 0-1" },
      { name: "kernel-memory", type: "string", describe: "obsolete; ignored with a warning" },
      { name: "kernel-memory-tcp", type: "string", describe: "obsolete; ignored with a warning" },
      { name: "memory", type: "string", describe: "memory limit (bytes, or a size such as 100M, 1g); -1 for none" },
      { name: "memory-reservation", type: "string", describe: "memory reservation or soft limit (bytes or a size)" },
      { name: "memory-swap", type: "string", describe: "total memory + swap limit (bytes or a size); -1 for unlimited swap" },
      { name: "pids-limit", type: "string", describe: "maximum number of pids in the container; -1 for none" },
      { name: "l3-cache-schema", type: "string", describe: "Intel RDT/CAT L3 cache schema (not supported)" },
      { name: "mem-bw-schema", type: "string", describe: "Intel RDT/MBA memory bandwidth schema (not supported)" },
    ],
    load: () => import("./update.js"),
  },
  { name: "features", describe: "show the enabled features", positionals: [], flags: [], load: () => import("./features.js") },
  {
    name: "check", describe: "report whether this host can run containers: one line per kernel, cgroup and security feature; exit status 0 when a default `berth spec` container can run here, 1 otherwise", positionals: [],
    flags: [{ name: "json", type: "boolean", default: false, describe: "print the report as JSON" }],
    load: () => import("./check.js"),
  },
  {
    name: "wait", describe: "wait until a container reaches a state; exit status 0 when it did, 124 when --timeout passed first, 1 when the container does not exist (or was deleted) or can no longer reach the state", positionals: [ID],
    flags: [
      { name: "state", type: "string", choices: ["created", "running", "paused", "stopped"], describe: "the state to wait for (required)" },
      { name: "timeout", type: "string", describe: "give up after this long (a duration such as 10s, 500ms, 1m30s; default: wait without limit)" },
    ],
    load: () => import("./wait.js"),
  },
];
