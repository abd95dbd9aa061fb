// Running an engine's command line (podman, ctr) synchronously. stdout and stderr go to
// temporary files, not pipes: conmon and containerd's shims are started by these commands
// and may keep inherited descriptors open long after the command exited.

import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { TMP_PREFIX } from "../helpers/env.js";

export interface CommandOptions {
  /** Written to stdin, then closed. Default: stdin is /dev/null. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** SIGKILL after this long (default 60 s). */
  timeoutMs?: number;
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  argv: string[];
  timedOut: boolean;
}

/** Run `file args…` and wait for it. */
export function command(file: string, args: string[], opts: CommandOptions = {}): CommandResult {
  const dir = mkdtempSync(`${TMP_PREFIX}cmd-`);
  const outPath = join(dir, "stdout");
  const errPath = join(dir, "stderr");
  const out = openSync(outPath, "w+");
  const err = openSync(errPath, "w+");
  try {
    const r = spawnSync(file, args, {
      stdio: [opts.input !== undefined ? "pipe" : "ignore", out, err],
      input: opts.input,
      env: opts.env ?? process.env,
      timeout: opts.timeoutMs ?? 60_000,
      killSignal: "SIGKILL",
    });
    const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
    if (r.error !== undefined && !timedOut) throw r.error;
    return {
      code: r.status,
      signal: r.signal,
      timedOut,
      argv: [file, ...args],
      stdout: readFileSync(outPath, "utf8"),
      stderr: readFileSync(errPath, "utf8"),
    };
  } finally {
    closeSync(out);
    closeSync(err);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A result for assertion messages. */
export function describeCommand(r: CommandResult): string {
  return (
    `${r.argv.join(" ")} → code ${r.code}${r.signal !== null ? ` signal ${r.signal}` : ""}${r.timedOut ? " (timed out)" : ""}` +
    `\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`
  );
}

/** Throw with the whole result unless the command exited 0. */
export function expectOk(r: CommandResult): CommandResult {
  if (r.code !== 0) throw new Error(`expected success:\n${describeCommand(r)}`);
  return r;
}

/** The command exited with `code` (and printed exactly `stdout`, when given). */
export function expectRun(r: CommandResult, code: number, stdout?: string): void {
  expect(r.code, describeCommand(r)).toBe(code);
  if (stdout !== undefined) expect(r.stdout, describeCommand(r)).toBe(stdout);
}

/**
 * The engine a describe block uses (podman, containerd): started before its tests and stopped
 * after them. What it returns stands for the engine and forwards every use to it.
 */
export function engineForSuite<T extends object & { stop(): Promise<void> }>(start: () => T | Promise<T>): T {
  let engine: T | undefined;
  beforeAll(async () => {
    engine = await start();
  }, 300_000);
  afterAll(async () => {
    await engine?.stop();
  }, 300_000);
  return new Proxy({} as T, {
    get(_, key) {
      if (engine === undefined) throw new Error("the engine is used before its suite started it");
      const v: unknown = Reflect.get(engine, key, engine);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(engine) : v;
    },
  });
}
