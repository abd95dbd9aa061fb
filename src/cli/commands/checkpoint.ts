import { checkpointContainer } from "../../runtime/checkpoint.js";
import type { CommandOptions } from "../options.js";

export async function handler(o: CommandOptions<"checkpoint">): Promise<number> {
  await checkpointContainer(o);
  return 0;
}
