import { pauseContainer } from "../../runtime/lifecycle.js";
import { requireId, type GlobalArgs } from "../options.js";

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  pauseContainer(argv.root, requireId(argv, "pause"));
  return 0;
}
