import { deleteContainer } from "../../runtime/lifecycle.js";
import { requireId, type GlobalArgs } from "../options.js";

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  await deleteContainer(argv.root, requireId(argv, "delete"), argv.force === true);
  return 0;
}
