// runc stops parsing options at the first argument after the container id for
// `exec` (the rest is the command and its own flags), `kill` and `ps`. yargs does
// not know where that is, so a `--` is inserted after the id.

const EXEC_VALUE_FLAGS = new Set([
  "-p", "--process", "--pid-file", "--console-socket", "--pidfd-socket", "--cwd", "-e", "--env", "-u", "--user",
  "-g", "--additional-gids", "-c", "--cap", "--preserve-fds", "--process-label", "--apparmor", "--cgroup",
]);
const GLOBAL_VALUE_FLAGS = new Set(["--root", "--log", "--log-format", "--rootless", "--criu"]);

export function splitCommandArgs(argv: string[]): string[] {
  let i = 0;
  // Skip global options.
  while (i < argv.length && argv[i]!.startsWith("-")) {
    const a = argv[i]!;
    i += GLOBAL_VALUE_FLAGS.has(a) ? 2 : 1;
  }
  const cmd = argv[i];
  if (cmd !== "exec" && cmd !== "kill" && cmd !== "ps") return argv;
  let j = i + 1;
  while (j < argv.length) {
    const a = argv[j]!;
    if (a === "--") return argv;
    if (!a.startsWith("-") || a === "-") break;
    const takesValue = (cmd === "exec" && EXEC_VALUE_FLAGS.has(a)) || (cmd === "ps" && (a === "-f" || a === "--format")) || GLOBAL_VALUE_FLAGS.has(a);
    j += takesValue ? 2 : 1;
  }
  if (j >= argv.length - 1) return argv; // nothing after the id
  return [...argv.slice(0, j + 1), "--", ...argv.slice(j + 1)];
}
