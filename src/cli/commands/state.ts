import { stateOf } from "../../runtime/status.js";
import { requireId, type GlobalArgs } from "../options.js";
import { out } from "../output.js";

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  out(JSON.stringify(stateOf(argv.root, requireId(argv, "state")), null, 2) + "\n");
  return 0;
}
