import { features } from "../../runtime/features.js";
import { out } from "../output.js";

export async function handler(): Promise<number> {
  out(JSON.stringify(features(), null, "    ") + "\n");
  return 0;
}
