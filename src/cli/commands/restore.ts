import { restoreContainer } from "../../runtime/restore.js";
import type { CommandOptions } from "../options.js";

export async function handler(o: CommandOptions<"restore">): Promise<number> {
  return restoreContainer(o);
}
