// berth's command line, written once: the global options and every command with
// its arguments and flags (runc's grammar). Everything else is derived from this
// table: the fast parser (fastParse.ts), the yargs fallback for malformed input
// (yargsCli.ts), `--help` (help.ts), the typed options each command receives
// (options.ts), the man pages and the shell completions (docs/). It is plain data
// (a flag's rule, how it is read, is flags.ts's FlagRule). The command modules are
// loaded lazily from commands/index.ts; leanParse.ts keeps a checked copy of the
// flags of the commands engines call for every container.
//
// To add a command: one entry in COMMANDS below, one line in commands/index.ts,
// and its module commands/<name>.ts taking `CommandOptions<"name">`.

import { takesValue, type FlagRule } from "./flags.js";

export { lookupFlag, takesValue, type FlagType } from "./flags.js";

/** A flag: how it is read (FlagRule), and the words help, man pages and completion show. */
export interface FlagDef extends FlagRule {
  readonly describe: string;
  /** The value's name in help, man pages and completion: FILE and DIR complete paths. */
  readonly value?: string;
}

export interface PositionalDef {
  readonly name: string;
  readonly describe: string;
  readonly optional?: boolean;
  readonly variadic?: boolean;
  readonly default?: string;
  /** The values shell completion offers. */
  readonly complete?: "container" | "signal" | "command" | readonly string[];
}

export interface CommandDef {
  readonly name: string;
  /** One line, for `berth --help` and the man page's NAME. */
  readonly describe: string;
  /** More text for `berth CMD --help` and the man page (paragraphs separated by blank lines). */
  readonly description?: string;
  /** The usage line after `berth CMD`, when the one derived from the positionals is not enough. */
  readonly usage?: string;
  readonly positionals: readonly PositionalDef[];
  readonly flags: readonly FlagDef[];
  /** Option parsing stops at the first argument after the container id (runc's exec, kill, ps). */
  readonly stopAfterId?: boolean;
}

/** Accepted before the command (as runc requires) or after it. */
export const GLOBAL_FLAGS = [
  {
    name: "root",
    type: "string",
    value: "DIR",
    describe: "root directory for storage of container state (default: /run/berth, or $XDG_RUNTIME_DIR/berth when not root)",
  },
  { name: "log", type: "string", value: "FILE", describe: "log file (default: stderr)" },
  { name: "log-format", type: "string", value: "FORMAT", choices: ["text", "json"], default: "text", describe: "log format" },
  { name: "debug", type: "boolean", describe: "enable debug logging" },
  { name: "systemd-cgroup", type: "boolean", describe: "manage cgroups with systemd; cgroupsPath is slice:prefix:name" },
  {
    name: "rootless",
    type: "string",
    value: "MODE",
    choices: ["true", "false", "auto"],
    default: "auto",
    describe: "ignore cgroup permission errors (true, false, auto: when not root, or in a user namespace)",
  },
  { name: "criu", type: "string", value: "FILE", describe: "path to the criu binary checkpoint and restore run (default: criu on PATH)" },
  {
    name: "trace",
    type: "string",
    value: "FILE",
    optionalValue: true,
    describe: "print a timeline of create, run or exec to stderr; with =FILE also write it to FILE as Chrome trace-event JSON",
  },
] as const satisfies readonly FlagDef[];

/** Shown in help, man pages and completion; main.ts acts on them before parsing. */
export const ACTION_FLAGS = [
  { name: "help", alias: "h", type: "boolean", describe: "show help" },
  { name: "version", alias: "v", type: "boolean", describe: "print the version" },
] as const satisfies readonly FlagDef[];

const ID = { name: "id", describe: "container id", complete: "container" } as const satisfies PositionalDef;

const CREATE_FLAGS = [
  {
    name: "bundle",
    alias: "b",
    type: "string",
    value: "DIR",
    describe: "path to the root of the bundle directory (default: current directory)",
  },
  { name: "console-socket", type: "string", value: "FILE", describe: "path to an AF_UNIX socket which will receive the pty master" },
  {
    name: "pidfd-socket",
    type: "string",
    value: "FILE",
    describe: "path to an AF_UNIX socket which will receive a pidfd of the container's init process",
  },
  { name: "pid-file", type: "string", value: "FILE", describe: "file to write the process id to" },
  { name: "no-pivot", type: "boolean", describe: "do not use pivot_root (for a ramdisk rootfs)" },
  { name: "no-new-keyring", type: "boolean", describe: "do not create a new session keyring" },
  {
    name: "preserve-fds",
    type: "number",
    value: "N",
    default: "0",
    describe: "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N)",
  },
] as const satisfies readonly FlagDef[];

const FORMAT = {
  name: "format",
  alias: "f",
  type: "string",
  value: "FORMAT",
  choices: ["table", "json"],
  default: "table",
  describe: "output format",
} as const;

/** runc's update flags: a value of "" (or 0 for most) leaves the setting as it is. */
const UPDATE_FLAGS = [
  {
    name: "resources",
    alias: "r",
    type: "string",
    value: "FILE",
    describe: "path to a JSON file of LinuxResources to apply, or - to read stdin (other options are then ignored)",
  },
  { name: "blkio-weight", type: "number", max: 65535, value: "N", emptyIsUnset: true, describe: "per cgroup block IO weight, 10 to 1000" },
  {
    name: "cpu-period",
    type: "number",
    value: "US",
    emptyIsUnset: true,
    describe: "CPU CFS period for hardcapping (µs); 0 keeps the current value",
  },
  {
    name: "cpu-quota",
    type: "number",
    signed: true,
    value: "US",
    emptyIsUnset: true,
    describe: "CPU CFS hardcap limit (µs) of CPU time per period",
  },
  { name: "cpu-burst", type: "number", value: "US", emptyIsUnset: true, describe: "CPU burst limit (µs) per period" },
  { name: "cpu-share", type: "number", value: "N", emptyIsUnset: true, describe: "CPU shares (relative weight vs. other containers)" },
  { name: "cpu-rt-period", type: "number", value: "US", emptyIsUnset: true, describe: "CPU realtime period (µs)" },
  {
    name: "cpu-rt-runtime",
    type: "number",
    signed: true,
    value: "US",
    emptyIsUnset: true,
    describe: "CPU realtime hardcap limit (µs) per period",
  },
  { name: "cpu-idle", type: "number", signed: true, value: "0|1", emptyIsUnset: true, describe: "set cgroup SCHED_IDLE (0 or 1)" },
  { name: "cpuset-cpus", type: "string", value: "LIST", emptyIsUnset: true, describe: "CPUs to use, e.g. 0-3,7" },
  { name: "cpuset-mems", type: "string", value: "LIST", emptyIsUnset: true, describe: "memory nodes to use, e.g. 0-1" },
  { name: "kernel-memory", type: "size", value: "SIZE", emptyIsUnset: true, describe: "obsolete; ignored with a warning" },
  { name: "kernel-memory-tcp", type: "size", value: "SIZE", emptyIsUnset: true, describe: "obsolete; ignored with a warning" },
  {
    name: "memory",
    type: "size",
    value: "SIZE",
    emptyIsUnset: true,
    describe: "memory limit (bytes, or a size such as 100M, 1g); -1 for none",
  },
  {
    name: "memory-reservation",
    type: "size",
    value: "SIZE",
    emptyIsUnset: true,
    describe: "memory reservation or soft limit (bytes or a size)",
  },
  {
    name: "memory-swap",
    type: "size",
    value: "SIZE",
    emptyIsUnset: true,
    describe: "total memory + swap limit (bytes or a size); -1 for unlimited swap",
  },
  {
    name: "pids-limit",
    type: "number",
    signed: true,
    value: "N",
    emptyIsUnset: true,
    describe: "maximum number of pids in the container; -1 for none",
  },
  {
    name: "l3-cache-schema",
    type: "string",
    value: "SCHEMA",
    emptyIsUnset: true,
    describe: "Intel RDT/CAT L3 cache schema, written to the container's resctrl group (linux.intelRdt)",
  },
  {
    name: "mem-bw-schema",
    type: "string",
    value: "SCHEMA",
    emptyIsUnset: true,
    describe: "Intel RDT/MBA memory bandwidth schema, written to the container's resctrl group (linux.intelRdt)",
  },
] as const satisfies readonly FlagDef[];

/** criu options checkpoint and restore share (runc's). */
const CRIU_FLAGS = [
  { name: "image-path", type: "string", value: "DIR", describe: "path for the criu image files (default: ./checkpoint)" },
  { name: "work-path", type: "string", value: "DIR", describe: "path for criu's work files and logs (default: the image path)" },
  { name: "tcp-established", type: "boolean", describe: "allow open TCP connections" },
  { name: "ext-unix-sk", type: "boolean", describe: "allow external unix sockets" },
  { name: "shell-job", type: "boolean", describe: "allow shell jobs (a controlling terminal outside the container)" },
  { name: "file-locks", type: "boolean", describe: "handle file locks" },
  {
    name: "manage-cgroups-mode",
    type: "string",
    value: "MODE",
    choices: ["soft", "full", "strict", "ignore"],
    describe: "how criu dumps and restores cgroups: soft, full, strict or ignore (default: soft)",
  },
  {
    name: "empty-ns",
    type: "repeatable",
    value: "NS",
    describe:
      "create a namespace but do not restore its properties: network, the only one criu supports (the network namespace is always so, as with runc)",
  },
  { name: "auto-dedup", type: "boolean", describe: "deduplicate memory images against the parent's" },
  {
    name: "lazy-pages",
    type: "boolean",
    refused: "lazy pages need criu's RPC notifications, which berth does not use",
    describe: "restore memory on demand (refused: not supported)",
  },
] as const satisfies readonly FlagDef[];

export const COMMANDS = [
  {
    name: "create",
    describe: "create a container",
    positionals: [ID],
    flags: CREATE_FLAGS,
    description:
      "Sets up the container described by the bundle's config.json (namespaces, mounts, cgroups, the process) and leaves its process waiting; `berth start` runs it.",
  },
  {
    name: "run",
    describe: "create and run a container",
    positionals: [ID],
    description:
      "create and start in one step. In the foreground berth waits for the process and exits with its status, then deletes the container (unless --keep).",
    flags: [
      ...CREATE_FLAGS,
      { name: "detach", alias: "d", type: "boolean", describe: "detach from the container's process" },
      { name: "keep", type: "boolean", describe: "do not delete the container after it exits" },
    ],
  },
  { name: "pause", describe: "suspend all processes of a container (cgroup freezer)", positionals: [ID], flags: [] },
  { name: "resume", describe: "resume all processes of a paused container", positionals: [ID], flags: [] },
  { name: "start", describe: "start the user process of a created container", positionals: [ID], flags: [] },
  {
    name: "state",
    describe: "output the state of a container",
    positionals: [ID],
    flags: [],
    description: "Prints the container's state as JSON: the OCI state with berth's additions.",
  },
  {
    name: "kill",
    describe: "send a signal (default SIGTERM) to the container's init process",
    stopAfterId: true,
    positionals: [ID, { name: "signal", describe: "signal name or number", optional: true, default: "SIGTERM", complete: "signal" }],
    flags: [{ name: "all", alias: "a", type: "boolean", describe: "send the signal to all processes in the container" }],
  },
  {
    name: "delete",
    describe: "delete a container and everything create made",
    positionals: [ID],
    flags: [{ name: "force", alias: "f", type: "boolean", describe: "kill the container first if it is running" }],
  },
  {
    name: "exec",
    describe: "run a new process inside a container",
    stopAfterId: true,
    usage: "[options] <id> <command> [args...]  |  berth exec [options] -p process.json <id>",
    description: "Everything after the container id is the command and its own arguments, which berth does not read.",
    positionals: [ID, { name: "command", describe: "command and arguments", optional: true, variadic: true, complete: "command" }],
    flags: [
      { name: "process", alias: "p", type: "string", value: "FILE", describe: "path to a process.json" },
      { name: "tty", alias: "t", type: "boolean", describe: "allocate a pseudo-TTY" },
      { name: "detach", alias: "d", type: "boolean", describe: "detach from the process" },
      { name: "pid-file", type: "string", value: "FILE", describe: "file to write the process id to" },
      { name: "console-socket", type: "string", value: "FILE", describe: "path to an AF_UNIX socket which will receive the pty master" },
      {
        name: "pidfd-socket",
        type: "string",
        value: "FILE",
        describe: "path to an AF_UNIX socket which will receive a pidfd of the new process",
      },
      { name: "cwd", type: "string", value: "DIR", describe: "current working directory in the container" },
      { name: "env", alias: "e", type: "repeatable", value: "NAME=VALUE", describe: "set an environment variable" },
      { name: "user", alias: "u", type: "string", value: "UID[:GID]", describe: "uid[:gid]" },
      { name: "additional-gids", alias: "g", type: "repeatable", value: "GID", describe: "additional gids" },
      { name: "cap", alias: "c", type: "repeatable", value: "CAP", describe: "add a capability to the bounding set" },
      { name: "no-new-privs", type: "boolean", describe: "set the no new privileges value for the process" },
      { name: "preserve-fds", type: "number", value: "N", default: "0", describe: "pass N additional file descriptors" },
      { name: "ignore-paused", type: "boolean", describe: "allow exec in a paused container" },
      { name: "apparmor", type: "string", value: "PROFILE", describe: "AppArmor profile for the process (default: the container's)" },
      {
        name: "process-label",
        type: "string",
        value: "LABEL",
        describe: "SELinux label for the process (refused: berth cannot apply labels yet)",
      },
      {
        name: "cgroup",
        type: "repeatable",
        value: "PATH",
        refused: "berth cannot place an exec'd process in a sub-cgroup yet",
        describe: "run the process in a sub-cgroup (refused: not supported yet)",
      },
    ],
  },
  {
    name: "ps",
    describe: "display the processes running inside a container",
    stopAfterId: true,
    positionals: [ID, { name: "ps-args", describe: "options passed to ps(1) (default -ef)", optional: true, variadic: true }],
    flags: [FORMAT],
  },
  {
    name: "list",
    describe: "list containers started by berth with the given root",
    positionals: [],
    flags: [FORMAT, { name: "quiet", alias: "q", type: "boolean", describe: "display only container ids" }],
  },
  {
    name: "spec",
    describe: "create a new specification file (config.json)",
    positionals: [],
    flags: [
      { name: "bundle", alias: "b", type: "string", value: "DIR", describe: "path to the root of the bundle directory" },
      { name: "rootless", type: "boolean", describe: "generate a configuration for a rootless container" },
    ],
  },
  {
    name: "events",
    describe: "display container events: OOM notifications and cpu, memory, pids and IO statistics",
    positionals: [ID],
    description:
      "Prints one JSON object per line: a stats event every --interval and an oom event each time the kernel kills a process of the container for memory, until the container stops.",
    flags: [
      {
        name: "interval",
        type: "duration",
        value: "DURATION",
        default: "5s",
        describe: "stats collection interval (a duration such as 5s, 500ms, 1m30s)",
      },
      { name: "stats", type: "boolean", describe: "display the container's stats once, then exit" },
    ],
  },
  {
    name: "update",
    describe: "update the resource limits of a running container",
    positionals: [ID],
    flags: UPDATE_FLAGS,
    description:
      "Changes the cgroup limits of a created, running or paused container, from a LinuxResources JSON document (--resources) or from the individual flags. A value of 0 or an empty value leaves a setting as it is.",
  },
  {
    name: "checkpoint",
    describe: "checkpoint a running container with criu",
    positionals: [ID],
    description:
      "Saves the container's processes with criu(8) into --image-path, with descriptors.json (the paths of the init process's stdio) and, for a container with a terminal, berth-terminal.json (its pty stays out of the image; restore gives it a new one). The container is then gone, as after delete, unless --leave-running or --pre-dump; `berth restore` brings it back. Fails without side effects when `criu check` fails on this host.",
    flags: [
      ...CRIU_FLAGS,
      {
        name: "parent-path",
        type: "string",
        value: "DIR",
        describe: "path of the previous (pre-dump) images, relative to --image-path (it must exist)",
      },
      { name: "leave-running", type: "boolean", describe: "leave the container running after the checkpoint" },
      { name: "tcp-skip-in-flight", type: "boolean", describe: "skip in-flight TCP connections" },
      { name: "link-remap", type: "boolean", describe: "allow criu to link unlinked files back when possible" },
      { name: "pre-dump", type: "boolean", describe: "dump only the memory, leaving the container running (for an iterative checkpoint)" },
      {
        name: "page-server",
        type: "string",
        value: "ADDRESS:PORT",
        describe: "send the memory pages to a criu page server at ADDRESS:PORT",
      },
      {
        name: "status-fd",
        type: "string",
        value: "FD",
        refused: "the status fd belongs to lazy pages, which berth does not support",
        describe: "criu status fd for lazy pages (refused: not supported)",
      },
    ],
  },
  {
    name: "restore",
    describe: "restore a container from a checkpoint",
    positionals: [ID],
    description:
      "criu(8) restores the processes of a `berth checkpoint` image (namespaces, mounts, memory) into new cgroups made from the bundle's config.json, with the bundle's bind mounts reconnected; the prestart and createRuntime hooks run before it resumes, and a container with a terminal gets a new pty whose master goes to --console-socket (with --detach). The container is then running. In the foreground berth waits for it, exits with its status and deletes it.",
    flags: [
      ...CRIU_FLAGS,
      {
        name: "bundle",
        alias: "b",
        type: "string",
        value: "DIR",
        describe: "path to the root of the bundle directory (default: current directory)",
      },
      { name: "detach", alias: "d", type: "boolean", describe: "detach from the container's process" },
      { name: "pid-file", type: "string", value: "FILE", describe: "file to write the process id to" },
      { name: "console-socket", type: "string", value: "FILE", describe: "path to an AF_UNIX socket which will receive the pty master" },
      { name: "no-subreaper", type: "boolean", describe: "disable the use of the subreaper (berth is never one; accepted)" },
      { name: "no-pivot", type: "boolean", describe: "do not use pivot_root (criu restores the root itself; accepted)" },
      {
        name: "lsm-profile",
        type: "string",
        value: "TYPE:LABEL",
        describe: "LSM profile for the restored processes (apparmor:PROFILE or selinux:LABEL; default: the checkpointed one)",
      },
      {
        name: "lsm-mount-context",
        type: "string",
        value: "CONTEXT",
        describe: "SELinux mount context to use instead of the checkpointed one",
      },
    ],
  },
  { name: "features", describe: "show the enabled features", positionals: [], flags: [] },
  {
    name: "check",
    describe: "report whether this host can run containers",
    description:
      "One line per kernel, namespace, cgroup and security feature berth uses, with ok, degraded or missing and what to do about it. Exit status 0 when a default `berth spec` container can run here, 1 otherwise.",
    positionals: [],
    flags: [{ name: "json", type: "boolean", describe: "print the report as JSON" }],
  },
  {
    name: "wait",
    describe: "wait until a container reaches a state",
    description:
      "Returns at once when the container is in the state already. Exit status 0 when it reached the state, 124 when --timeout passed first, 1 when the container does not exist (or was deleted) or can no longer reach the state.",
    positionals: [ID],
    flags: [
      {
        name: "state",
        type: "string",
        value: "STATE",
        choices: ["created", "running", "paused", "stopped"],
        describe: "the state to wait for (required)",
      },
      {
        name: "timeout",
        type: "string",
        value: "DURATION",
        describe: "give up after this long (a duration such as 10s, 500ms, 1m30s; default: wait without limit)",
      },
    ],
  },
  {
    name: "completion",
    describe: "print a shell completion script (bash, zsh or fish)",
    description:
      "For bash: `source <(berth completion bash)`, or save it as /usr/share/bash-completion/completions/berth. `make install` installs all three.",
    positionals: [{ name: "shell", describe: "bash, zsh or fish", complete: ["bash", "zsh", "fish"] }],
    flags: [],
  },
] as const satisfies readonly CommandDef[];

export type CommandName = (typeof COMMANDS)[number]["name"];

export function findCommand(name: string | undefined): CommandDef | undefined {
  return (COMMANDS as readonly CommandDef[]).find((c) => c.name === name);
}

/** How messages name a positional argument: "container id", "shell". */
export function argName(p: PositionalDef): string {
  return p.name === "id" ? "container id" : p.name;
}

/** `<id> [signal]`, or the command's own usage text. */
export function usageOf(c: CommandDef): string {
  if (c.usage !== undefined) return c.usage;
  const pos = c.positionals.map((p) => (p.variadic === true ? `[${p.name}...]` : p.optional === true ? `[${p.name}]` : `<${p.name}>`));
  return [...(c.flags.length > 0 ? ["[options]"] : []), ...pos].join(" ");
}

/** `-b, --bundle DIR` */
export function flagLabel(f: FlagDef): string {
  const long = `--${f.name}${f.optionalValue === true ? `[=${f.value ?? "VALUE"}]` : takesValue(f) ? ` ${f.value ?? "VALUE"}` : ""}`;
  return f.alias === undefined ? long : `${f.alias.length === 1 ? "-" : "--"}${f.alias}, ${long}`;
}

/** The description with the flag's choices, default and repeatability, as help and man pages show it. */
export function flagText(f: FlagDef): string {
  const extra: string[] = [];
  if (f.choices !== undefined && !f.describe.includes(f.choices.join(", "))) extra.push(`one of ${f.choices.join(", ")}`);
  if (f.default !== undefined && f.type !== "boolean") extra.push(`default: ${f.default}`);
  if (f.type === "repeatable") extra.push("may be repeated");
  return extra.length === 0 ? f.describe : `${f.describe} (${extra.join("; ")})`;
}

export const PROGRAM_SUMMARY = "an OCI container runtime, used exactly as runc";
export const PROGRAM_USAGE = "berth [global options] <command> [command options] <arguments>";
