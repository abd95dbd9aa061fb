// Shared assertions for bad-input tests: the command failed with status 1 and
// a message, and the failed attempt left nothing behind.

import { existsSync, readdirSync } from "node:fs";
import { expect } from "vitest";
import { describeResult, type RunResult, type Sandbox } from "../helpers/index.js";

export interface FailureOptions {
  /** Usage errors may print the command's help text on stdout (runc does). */
  usageOnStdout?: boolean;
}

/** Status 1, something on stderr, nothing on stdout (unless usage text is allowed). */
export function expectFailure(r: RunResult, opts: FailureOptions = {}): void {
  expect(r.code, describeResult(r)).toBe(1);
  expect(r.stderr.trim(), describeResult(r)).not.toBe("");
  if (opts.usageOnStdout !== true) expect(r.stdout, describeResult(r)).toBe("");
}

/** Status 1 and no trace of container `id`: no state entry (the root is empty), cgroup, mount, fifo or process. */
export async function expectCleanFailure(sb: Sandbox, r: RunResult, id: string, opts: FailureOptions = {}): Promise<void> {
  expectFailure(r, opts);
  expect(await sb.waitClean(id), describeResult(r)).toEqual([]);
  const entries = existsSync(sb.root) ? readdirSync(sb.root) : [];
  expect(entries, `state root ${sb.root} after: ${describeResult(r)}`).toEqual([]);
}
