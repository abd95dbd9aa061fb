import { parseTimeout, parseWaitState, waitForState, WAIT_TIMED_OUT } from "../../runtime/wait.js";
import { log } from "../../log.js";
import { requireId, type GlobalArgs } from "../options.js";

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  const id = requireId(argv, "wait");
  const state = parseWaitState(argv.state);
  const timeoutMs = argv.timeout === undefined ? undefined : parseTimeout(String(argv.timeout));
  if (waitForState({ root: argv.root, id, state, timeoutMs }) === "reached") return 0;
  log.error(`wait ${id}: timed out after ${String(argv.timeout)} waiting for state ${state}`);
  return WAIT_TIMED_OUT;
}
