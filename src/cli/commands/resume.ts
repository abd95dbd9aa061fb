import { resumeContainer } from "../../runtime/lifecycle.js";
import { requireId, type GlobalArgs } from "../options.js";

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  resumeContainer(argv.root, requireId(argv, "resume"));
  return 0;
}
