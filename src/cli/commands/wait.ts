import { BerthError } from "../../errors.js";
import { log } from "../../log.js";
import { waitForState, WAIT_STATES, WAIT_TIMED_OUT, type WaitState } from "../../runtime/wait.js";
import type { CommandOptions } from "../options.js";
import { parseGoDuration } from "../values.js";

/** --timeout as milliseconds (a Go duration, as runc's flags take: "10s", "500ms"); 0 looks once. */
export function parseTimeout(text: string): number {
  let ns: bigint;
  try {
    ns = parseGoDuration(text);
  } catch (err) {
    throw new BerthError(`invalid value ${JSON.stringify(text)}: ${(err as Error).message}`, {
      op: "wait",
      path: "--timeout",
      hint: 'give a duration such as "10s", "500ms" or "1m30s"',
    });
  }
  if (ns < 0n)
    throw new BerthError(`invalid value ${JSON.stringify(text)}: must not be negative`, {
      op: "wait",
      path: "--timeout",
      hint: 'give a duration such as "10s"',
    });
  return Number(ns) / 1e6;
}

/** --state, checked against the states a container can be waited for. */
export function parseWaitState(text: unknown): WaitState {
  if (typeof text === "string" && (WAIT_STATES as readonly string[]).includes(text)) return text as WaitState;
  throw new BerthError(`invalid value ${JSON.stringify(text ?? "")}`, {
    op: "wait",
    path: "--state",
    hint: `give one of ${WAIT_STATES.join(", ")}`,
  });
}

export async function handler(o: CommandOptions<"wait">): Promise<number> {
  const state = parseWaitState(o.state);
  const timeoutMs = o.timeout === undefined ? undefined : parseTimeout(o.timeout);
  if (waitForState({ root: o.root, id: o.id, state, timeoutMs }) === "reached") return 0;
  log.error(`wait ${o.id}: timed out after ${String(o.timeout)} waiting for state ${state}`);
  return WAIT_TIMED_OUT;
}
