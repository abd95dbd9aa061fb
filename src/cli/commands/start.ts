import { startContainer } from "../../runtime/lifecycle.js";
import type { CommandOptions } from "../options.js";

export async function handler(o: CommandOptions<"start">): Promise<number> {
  await startContainer(o.root, o.id);
  return 0;
}
