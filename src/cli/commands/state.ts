import { stateOf } from "../../runtime/status.js";
import type { CommandOptions } from "../options.js";
import { out } from "../output.js";

export async function handler(o: CommandOptions<"state">): Promise<number> {
  out(JSON.stringify(stateOf(o.root, o.id), null, 2) + "\n");
  return 0;
}
