// Running the runtime binary under test. stdout and stderr go to temporary
// files rather than pipes: a container started by `create` or `run -d`
// inherits them and may keep them open long after the runtime exited, which
// would make a pipe reader wait forever.

import { spawn, spawnSync, type StdioOptions } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { RUNTIME_BIN, TMP_PREFIX } from "./env.js";

export interface RunOptions {
  /** State root passed as `--root`; null: pass no --root at all. Default: a root shared by this test process. */
  root?: string | null;
  /** Global flags placed before the subcommand (after --root). */
  globalArgs?: string[];
  /** Data written to the runtime's stdin (then closed). Default: stdin is /dev/null. */
  input?: string | Buffer;
  /** An open fd to use as stdin instead of /dev/null or `input`. */
  stdinFd?: number;
  /** Open fds handed to the runtime as fd 3, 4, … (for --preserve-fds / LISTEN_FDS). */
  extraFds?: number[];
  /** Environment (default: this process's, without LISTEN_* variables). */
  env?: NodeJS.ProcessEnv;
  /** Working directory (default: this process's). */
  cwd?: string;
  /** Kill the runtime with SIGKILL after this long (default 20 s). */
  timeoutMs?: number;
  /**
   * Socket activation: set LISTEN_FDS to this number and LISTEN_PID to the
   * runtime's own pid (a /bin/sh wrapper execs the runtime, keeping its pid).
   */
  listenFds?: number;
}

export interface RunResult {
  /** Exit status, or null when the runtime was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The full argv that was run (for messages). */
  argv: string[];
  /** True when the runtime was killed because of `timeoutMs`. */
  timedOut: boolean;
}

let sharedRootPath: string | undefined;

/** A state root shared by every call in this test process that names no root. */
export function sharedRoot(): string {
  if (sharedRootPath === undefined) {
    const root = newRoot();
    sharedRootPath = root;
    process.once("exit", () => rmSync(root, { recursive: true, force: true }));
  }
  return sharedRootPath;
}

/** Remove the shared root (call from afterAll in files that use runtime() without a root). */
export function disposeSharedRoot(): void {
  if (sharedRootPath !== undefined) rmSync(sharedRootPath, { recursive: true, force: true });
  sharedRootPath = undefined;
}

/** A fresh, empty state root /tmp/berth-test-root-XXXXXX. */
export function newRoot(): string {
  return mkdtempSync(`${TMP_PREFIX}root-`);
}

/** A container id unique to this run: berth-test-<prefix>-<random>. */
export function uniqueId(prefix = "c"): string {
  return `berth-test-${prefix}-${randomBytes(5).toString("hex")}`;
}

/** The environment a runtime call gets by default: ours, minus socket-activation variables. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  delete env.NOTIFY_SOCKET;
  return { ...env, ...extra };
}

/** The program and argv actually spawned (the LISTEN_PID wrapper when listenFds is set). */
function command(argv: string[], opts: RunOptions): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const env = opts.env ?? cleanEnv();
  if (opts.listenFds === undefined) return { file: RUNTIME_BIN, args: argv, env };
  return {
    file: "/bin/sh",
    args: ["-c", 'LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"', RUNTIME_BIN, ...argv],
    env: { ...env, LISTEN_FDS: String(opts.listenFds) },
  };
}

function fullArgv(args: string[], opts: RunOptions): string[] {
  const root = opts.root === undefined ? sharedRoot() : opts.root;
  const argv: string[] = [];
  if (root !== null) argv.push("--root", root);
  argv.push(...(opts.globalArgs ?? []), ...args);
  return argv;
}

interface IoFiles {
  dir: string;
  out: string;
  err: string;
  outFd: number;
  errFd: number;
}

function openIo(): IoFiles {
  const dir = mkdtempSync(`${TMP_PREFIX}io-`);
  const out = join(dir, "stdout");
  const err = join(dir, "stderr");
  return { dir, out, err, outFd: openSync(out, "w+"), errFd: openSync(err, "w+") };
}

function closeIo(io: IoFiles): { stdout: string; stderr: string } {
  closeSync(io.outFd);
  closeSync(io.errFd);
  const stdout = readFileSync(io.out, "utf8");
  const stderr = readFileSync(io.err, "utf8");
  rmSync(io.dir, { recursive: true, force: true });
  return { stdout, stderr };
}

function stdio(opts: RunOptions, io: IoFiles): StdioOptions {
  const stdin = opts.stdinFd ?? (opts.input !== undefined ? "pipe" : "ignore");
  return [stdin, io.outFd, io.errFd, ...(opts.extraFds ?? [])];
}

/** Run the runtime synchronously: `<bin> --root <root> <globalArgs> <args>`. */
export function runtime(args: string[], opts: RunOptions = {}): RunResult {
  const argv = fullArgv(args, opts);
  const io = openIo();
  const cmd = command(argv, opts);
  const r = spawnSync(cmd.file, cmd.args, {
    stdio: stdio(opts, io),
    input: opts.input,
    env: cmd.env,
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? 20_000,
    killSignal: "SIGKILL",
  });
  const { stdout, stderr } = closeIo(io);
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
  if (r.error !== undefined && !timedOut) throw r.error;
  return { code: r.status, signal: r.signal, stdout, stderr, argv: [RUNTIME_BIN, ...argv], timedOut };
}

/**
 * Run any program (a runtime under setpriv, say) with its output captured through files, so that
 * a container it leaves running cannot hold a pipe open.
 */
export function runCaptured(
  argv: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): { code: number | null; stdout: string; stderr: string; argv: string[] } {
  const io = openIo();
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ["ignore", io.outFd, io.errFd],
    timeout: opts.timeoutMs ?? 30_000,
    killSignal: "SIGKILL",
  });
  return { code: r.status, ...closeIo(io), argv };
}

export interface AsyncRun {
  pid: number;
  /** Resolves when the runtime exits. */
  done: Promise<RunResult>;
  kill(signal?: NodeJS.Signals): void;
}

/** Start the runtime without waiting (foreground `run`, `exec` one wants to signal …). */
export function runtimeAsync(args: string[], opts: RunOptions = {}): AsyncRun {
  const argv = fullArgv(args, opts);
  const io = openIo();
  const cmd = command(argv, opts);
  const child = spawn(cmd.file, cmd.args, { stdio: stdio(opts, io), env: cmd.env, cwd: opts.cwd });
  if (opts.input !== undefined && child.stdin !== null) child.stdin.end(opts.input);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, opts.timeoutMs ?? 20_000);
  const done = new Promise<RunResult>((resolvePromise, reject) => {
    child.once("error", (e) => {
      clearTimeout(timer);
      closeIo(io);
      reject(e);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const { stdout, stderr } = closeIo(io);
      resolvePromise({ code, signal, stdout, stderr, argv: [RUNTIME_BIN, ...argv], timedOut });
    });
  });
  return {
    pid: child.pid ?? -1,
    done,
    kill: (s: NodeJS.Signals = "SIGTERM") => {
      child.kill(s);
    },
  };
}

/** A one-line description of a result for assertion messages. */
export function describeResult(r: RunResult): string {
  return (
    `${r.argv.join(" ")} → code ${r.code}${r.signal ? ` signal ${r.signal}` : ""}` +
    `${r.timedOut ? " (timed out)" : ""}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`
  );
}
