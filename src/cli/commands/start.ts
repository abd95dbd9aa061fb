import { startContainer } from "../../runtime/lifecycle.js";
import { requireId, type GlobalArgs } from "../options.js";

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  await startContainer(argv.root, requireId(argv, "start"));
  return 0;
}
