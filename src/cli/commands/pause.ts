import { pauseContainer } from "../../runtime/lifecycle.js";
import type { CommandOptions } from "../options.js";

export async function handler(o: CommandOptions<"pause">): Promise<number> {
  pauseContainer(o.root, o.id);
  return 0;
}
