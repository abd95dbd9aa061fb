// Helpers shared by the conformance tests: run a short script in a fresh
// container (foreground `run`) and read what it printed.

import { expect } from "vitest";
import type { Spec } from "../src/spec/types.js";
import { describeResult, type Bundle, type RunResult, type Sandbox } from "../test/helpers/index.js";

export interface ScriptRun extends RunResult {
  bundle: Bundle;
  id: string;
}

/**
 * Run `sh -c script` in a new container whose config was adjusted by `edit`,
 * in the foreground, and return the result (exit status checked by the caller).
 */
export function runScript(sb: Sandbox, script: string, edit?: (c: Spec, b: Bundle) => void): ScriptRun {
  const b = sb.bundle({ args: ["sh", "-c", script] });
  edit?.(b.config, b);
  b.write();
  const id = sb.id("conf");
  sb.track(id, b);
  const r = sb.rt(["run", "--bundle", b.dir, id]);
  return { ...r, bundle: b, id };
}

/** runScript, asserting exit status 0; returns stdout lines. */
export function runLines(sb: Sandbox, script: string, edit?: (c: Spec, b: Bundle) => void): string[] {
  const r = runScript(sb, script, edit);
  expect(r.code, describeResult(r)).toBe(0);
  return r.stdout.split("\n").filter((l) => l !== "");
}

/** The value of a "Key:\tvalue" line of /proc/<pid>/status text. */
export function statusField(status: string, key: string): string | undefined {
  const line = status.split("\n").find((l) => l.startsWith(`${key}:`));
  return line?.slice(key.length + 1).trim();
}

/** Capability bitmask (as /proc/self/status prints it, 16 hex digits) for capability numbers. */
export function capMask(...caps: number[]): string {
  let m = 0n;
  for (const c of caps) m |= 1n << BigInt(c);
  return m.toString(16).padStart(16, "0");
}

export const CAP = { CHOWN: 0, KILL: 5, NET_BIND_SERVICE: 10, SYS_ADMIN: 21, AUDIT_WRITE: 29 } as const;
