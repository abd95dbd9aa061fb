// Building and driving the C test peers in this directory. Each test file
// compiles what it needs into its own temporary directory (gcc is fast and the
// result then never goes stale), and removes it at the end.

import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const TOOLS_DIR = dirname(fileURLToPath(import.meta.url));

export type ToolName = "recvtty" | "sendtty" | "scprobe" | "seccompagent" | "sdnotify";

/** Tools that run inside test containers are linked statically (the busybox rootfs has no libc). */
const STATIC: ReadonlySet<ToolName> = new Set(["scprobe", "sdnotify"]);

/** A directory holding freshly compiled tools; remove() deletes it. */
export interface ToolBox {
  dir: string;
  path(name: ToolName): string;
  remove(): void;
}

/** Compile the named tools into a new /tmp/berth-test-tools-XXXXXX directory. */
export function buildTools(names: ToolName[] = ["recvtty", "sendtty"]): ToolBox {
  const dir = mkdtempSync("/tmp/berth-test-tools-");
  try {
    for (const name of names) {
      execFileSync(
        process.env.CC ?? "gcc",
        [
          "-O2",
          "-Wall",
          "-Wextra",
          "-Werror",
          ...(STATIC.has(name) ? ["-static"] : []),
          "-o",
          join(dir, name),
          join(TOOLS_DIR, `${name}.c`),
        ],
        {
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`compiling test tools failed: ${String(err)}\n${stderr}`, { cause: err });
  }
  return {
    dir,
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export type RecvttyMode = "relay" | "discard" | "close" | "winsize" | "pidfd";

export interface RecvttyOptions {
  mode?: RecvttyMode;
  /** Text written to the pty master once received (e.g. shell input). */
  input?: string;
  /** Seconds to wait for the console fd before giving up with status 3 (default 20). */
  timeoutSec?: number;
}

export interface RecvttyResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The payload of the fd message (first stdout line), "" if none arrived. */
  name: string;
  /** winsize mode: "rows cols"; otherwise undefined. */
  winsize?: string;
  /** Everything relayed from the pty after the header line(s). */
  output: string;
  stderr: string;
}

export interface Recvtty {
  /** The socket path to hand to --console-socket. */
  socket: string;
  /** Resolves when recvtty exits. */
  done: Promise<RecvttyResult>;
  /** Stop it (SIGKILL), e.g. when the container never exits. */
  kill(): void;
}

/**
 * Start recvtty listening on `<dir>/console.sock`; resolves once the socket
 * accepts connections. `dir` must exist and is not removed.
 */
export async function startRecvtty(bin: string, dir: string, opts: RecvttyOptions = {}): Promise<Recvtty> {
  const socket = join(dir, "console.sock");
  const ready = join(dir, "recvtty.ready");
  rmSync(ready, { force: true });
  rmSync(socket, { force: true });
  const args = ["-m", opts.mode ?? "relay", "-r", ready, "-t", String(opts.timeoutSec ?? 20)];
  if (opts.input !== undefined) args.push("-i", opts.input.replaceAll("\\", "\\\\"));
  args.push(socket);
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (b: Buffer) => out.push(b));
  child.stderr.on("data", (b: Buffer) => err.push(b));
  const done = new Promise<RecvttyResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      const text = Buffer.concat(out).toString("utf8");
      const lines = text.split("\n");
      const name = lines.shift() ?? "";
      let winsize: string | undefined;
      if (opts.mode === "winsize" && lines.length > 0) winsize = lines.shift();
      resolve({ code, signal, name, winsize, output: lines.join("\n"), stderr: Buffer.concat(err).toString("utf8") });
    });
  });
  const deadline = Date.now() + 5000;
  while (!existsSync(ready)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      const r = await done;
      throw new Error(`recvtty did not start listening: code ${r.code}, stderr: ${r.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { socket, done, kill: () => child.kill("SIGKILL") };
}

export interface AgentOptions {
  /** The answer to mkdir and mkdirat: an errno, or 0 for success without creating anything (default EPERM). */
  errno?: number;
  /** Accept connections but never read them. */
  neverRead?: boolean;
  /** Seconds until the agent gives up on its own (default 120). */
  timeoutSec?: number;
}

/** One container process state the agent received. */
export interface AgentState {
  /** How many fds came with it, and whether the first is a seccomp listener. */
  fds: number;
  listener: boolean;
  doc: Record<string, unknown>;
}

export interface SeccompAgent {
  /** The socket path to put in linux.seccomp.listenerPath. */
  socket: string;
  /** What it received so far. */
  states(): AgentState[];
  /** "notif PID NR" lines so far, as [pid, syscall number]. */
  notifications(): [number, number][];
  /** Everything it printed (stdout and stderr), for failure messages. */
  output(): string;
  /** Stop it (SIGKILL) and wait for it to be gone; the socket file stays. */
  kill(): Promise<void>;
}

/**
 * Start seccompagent listening on `<dir>/agent.sock`; resolves once the socket accepts
 * connections. Its output goes to a file, so a test blocked in a synchronous runtime call
 * never stalls it. `dir` must exist and is not removed.
 */
export async function startSeccompAgent(bin: string, dir: string, opts: AgentOptions = {}): Promise<SeccompAgent> {
  const socket = join(dir, "agent.sock");
  const ready = join(dir, "agent.ready");
  const outFile = join(dir, "agent.out");
  rmSync(ready, { force: true });
  const args = ["-e", String(opts.errno ?? 1), "-r", ready, "-t", String(opts.timeoutSec ?? 120)];
  if (opts.neverRead === true) args.push("-n");
  args.push(socket);
  const out = openSync(outFile, "w");
  const child = spawn(bin, args, { stdio: ["ignore", out, out] });
  closeSync(out);
  const gone = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const output = (): string => (existsSync(outFile) ? readFileSync(outFile, "utf8") : "");
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await gone;
  };
  const deadline = Date.now() + 5000;
  while (!existsSync(ready)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await kill();
      throw new Error(`seccompagent did not start listening: ${output()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const lines = (): string[] => output().split("\n");
  return {
    socket,
    states: () =>
      lines()
        .filter((l) => l.startsWith("state "))
        .map((l) => {
          const m = /^state (\d+) (listener|other) (.*)$/.exec(l);
          if (m === null) throw new Error(`seccompagent printed a bad state line: ${l}`);
          return { fds: Number(m[1]), listener: m[2] === "listener", doc: JSON.parse(m[3]!) as Record<string, unknown> };
        }),
    notifications: () =>
      lines()
        .filter((l) => /^notif \d+ \d+$/.test(l))
        .map((l) => {
          const [, pid, nr] = l.split(" ");
          return [Number(pid), Number(nr)] as [number, number];
        }),
    output,
    kill,
  };
}
