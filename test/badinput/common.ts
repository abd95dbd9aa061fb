// Shared assertions for bad-input tests: the command failed with status 1 and
// a message, and the failed attempt left nothing behind.

import { existsSync, readdirSync } from "node:fs";
import { expect } from "vitest";
import { describeResult, type RunResult, type Sandbox } from "../helpers/index.js";

/** Status 1, something on stderr, nothing on stdout. */
export function expectFailure(r: RunResult): void {
  expect(r.code, describeResult(r)).toBe(1);
  expect(r.stderr.trim(), describeResult(r)).not.toBe("");
  expect(r.stdout, describeResult(r)).toBe("");
}

/** Status 1 and no trace of container `id`: no state entry (the root is empty), cgroup, mount, fifo or process. */
export async function expectCleanFailure(sb: Sandbox, r: RunResult, id: string): Promise<void> {
  expectFailure(r);
  expect(await sb.waitClean(id), describeResult(r)).toEqual([]);
  const entries = existsSync(sb.root) ? readdirSync(sb.root) : [];
  expect(entries, `state root ${sb.root} after: ${describeResult(r)}`).toEqual([]);
}
