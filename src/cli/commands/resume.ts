import { resumeContainer } from "../../runtime/lifecycle.js";
import type { CommandOptions } from "../options.js";

export async function handler(o: CommandOptions<"resume">): Promise<number> {
  resumeContainer(o.root, o.id);
  return 0;
}
