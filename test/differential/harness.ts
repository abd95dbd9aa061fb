// Running one bundle under two runtimes (runc as the reference, berth under
// test) and collecting what each container printed. Every run gets its own
// state root; the same container id is used for both so that ids appearing in
// cgroup paths or mount roots compare equal.

import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RUNC_BIN, type Requirement } from "../helpers/host.js";
import { RUNTIME_BIN, cleanEnv, makeBundle, uniqueId, type Bundle, type BundleOptions } from "../helpers/index.js";

/** What every differential test needs of the host: `needs(...DIFFERENTIAL).describe(…)`. */
export const DIFFERENTIAL: Requirement[] = ["root", "runtime", "runc"];

export type Which = "runc" | "berth";
/** The reference runtime (RUNC_BIN of ../helpers/host.ts) and the runtime under test ($BERTH_BIN or <repo>/bin/berth). */
export const RUNTIMES: Record<Which, string> = { runc: RUNC_BIN, berth: RUNTIME_BIN };

export interface Outcome {
  which: Which;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The state root the run used. */
  root?: string;
}

export interface RunSpec {
  /** Extra flags after `run` (e.g. ["--detach", "--console-socket", sock]). */
  runArgs?: string[];
  /** Soft RLIMIT_NOFILE the runtime itself is started with (to see what leaks into the container). */
  nofileSoft?: number;
  timeoutMs?: number;
  /** Leave the container alone after `run` returns (for --detach); cleanup() deletes it. */
  keep?: boolean;
}

/** A test-local playground: bundles, roots and ids, all removed by cleanup(). */
export class Pair {
  private readonly paths: string[] = [];
  private readonly live: { bin: string; root: string; id: string }[] = [];
  /** One id for both runtimes (their roots differ). */
  readonly id = uniqueId("d");

  bundle(opts: BundleOptions = {}): Bundle {
    const b = makeBundle(opts);
    this.paths.push(b.dir);
    return b;
  }

  /** A scratch directory /tmp/berth-test-diff-XXXXXX, removed at cleanup. */
  scratch(): string {
    const d = mkdtempSync("/tmp/berth-test-diff-");
    this.paths.push(d);
    return d;
  }

  private newRoot(): string {
    const d = mkdtempSync("/tmp/berth-test-root-");
    this.paths.push(d);
    return d;
  }

  private argv(bin: string, args: string[], nofileSoft?: number): [string, string[]] {
    if (nofileSoft === undefined) return [bin, args];
    return ["/bin/sh", ["-c", `ulimit -S -n ${nofileSoft} && exec "$0" "$@"`, bin, ...args]];
  }

  /** Run `<bin> --root R run [runArgs] --bundle B <id>` in the foreground and wait for it. */
  run(which: Which, bundle: Bundle, spec: RunSpec = {}): Outcome {
    const bin = RUNTIMES[which];
    const root = this.newRoot();
    const io = mkdtempSync("/tmp/berth-test-io-");
    const outFd = openSync(join(io, "out"), "w+");
    const errFd = openSync(join(io, "err"), "w+");
    this.live.push({ bin, root, id: this.id });
    const [cmd, args] = this.argv(bin, ["--root", root, "run", ...(spec.runArgs ?? []), "--bundle", bundle.dir, this.id], spec.nofileSoft);
    const r = spawnSync(cmd, args, {
      stdio: ["ignore", outFd, errFd],
      env: cleanEnv(),
      timeout: spec.timeoutMs ?? 20_000,
      killSignal: "SIGKILL",
    });
    closeSync(outFd);
    closeSync(errFd);
    const stdout = readFileSync(join(io, "out"), "utf8");
    const stderr = readFileSync(join(io, "err"), "utf8");
    rmSync(io, { recursive: true, force: true });
    if (spec.keep !== true) this.forceDelete(bin, root, this.id);
    const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
    return { which, code: r.status, signal: r.signal, stdout, stderr, timedOut, root };
  }

  /** The same bundle under runc, then berth. */
  runBoth(bundle: Bundle, spec: RunSpec = {}): Record<Which, Outcome> {
    return { runc: this.run("runc", bundle, spec), berth: this.run("berth", bundle, spec) };
  }

  /**
   * Start `run` in the foreground, wait until the container is running, send it
   * `signal` with the runtime's own `kill`, and return how `run` ended.
   */
  async runAndKill(which: Which, bundle: Bundle, signal: string): Promise<Outcome> {
    const bin = RUNTIMES[which];
    const root = this.newRoot();
    this.live.push({ bin, root, id: this.id });
    const child = spawn(bin, ["--root", root, "run", "--bundle", bundle.dir, this.id], {
      stdio: ["ignore", "ignore", "pipe"],
      env: cleanEnv(),
    });
    const err: Buffer[] = [];
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      child.once("close", (code, sig) => res({ code, signal: sig }));
    });
    const deadline = Date.now() + 10_000;
    let status = "";
    while (Date.now() < deadline && child.exitCode === null) {
      const s = spawnSync(bin, ["--root", root, "state", this.id], { encoding: "utf8" });
      status = s.status === 0 ? (JSON.parse(s.stdout) as { status: string }).status : "";
      if (status === "running") break;
      await new Promise((r) => setTimeout(r, 25));
    }
    let timedOut = false;
    if (status === "running") {
      spawnSync(bin, ["--root", root, "kill", this.id, signal]);
    } else {
      timedOut = true;
    }
    const killer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, 10_000);
    const end = await exited;
    clearTimeout(killer);
    this.forceDelete(bin, root, this.id);
    return { which, code: end.code, signal: end.signal, stdout: "", stderr: Buffer.concat(err).toString("utf8"), timedOut, root };
  }

  /** `<bin> --root <root> delete --force <id>` for a container started with keep. */
  delete(which: Which, root: string): void {
    this.forceDelete(RUNTIMES[which], root, this.id);
  }

  private forceDelete(bin: string, root: string, id: string): void {
    spawnSync(bin, ["--root", root, "delete", "--force", id], { stdio: "ignore", timeout: 15_000 });
  }

  /** Force-delete every container and remove every temporary path. */
  cleanup(): void {
    for (const { bin, root, id } of this.live) this.forceDelete(bin, root, id);
    for (const p of this.paths) rmSync(p, { recursive: true, force: true });
  }
}

/** Text without the runtime's own log lines (`time="…" level=… msg=…`), i.e. only what the container wrote. */
export function withoutRuntimeLog(text: string): string {
  return text
    .split("\n")
    .filter((l) => !/^time="[^"]*" level=\w+ /.test(l))
    .join("\n");
}

/** A readable one-paragraph description of an outcome for assertion messages. */
export function describeOutcome(o: Outcome): string {
  return (
    `${o.which}: code ${o.code}${o.signal !== null ? ` signal ${o.signal}` : ""}${o.timedOut ? " (timed out)" : ""}\n` +
    `stderr: ${o.stderr.trim()}\nstdout: ${o.stdout.trim().slice(0, 2000)}`
  );
}

/**
 * Split probe output into sections. The probe prints "@@ name" before each
 * section; lines before the first marker are ignored.
 */
export function sections(stdout: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let cur: string[] | undefined;
  for (const line of stdout.split("\n")) {
    const m = /^@@ (\S+)$/.exec(line);
    if (m !== null) {
      cur = [];
      out[m[1] as string] = cur;
    } else if (cur !== undefined && line !== "") {
      cur.push(line);
    }
  }
  return out;
}
