import { runContainer } from "../../runtime/run.js";
import type { CommandOptions } from "../options.js";
import { createOptions } from "./create.js";

export async function handler(o: CommandOptions<"run">): Promise<number> {
  return runContainer({ ...createOptions(o), detach: o.detach, keep: o.keep });
}
