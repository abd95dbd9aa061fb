import { features } from "../../runtime/features.js";
import type { GlobalArgs } from "../options.js";
import { out } from "../output.js";

export async function handler(_argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  out(JSON.stringify(features(), null, "    ") + "\n");
  return 0;
}
