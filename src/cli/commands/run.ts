import { runContainer } from "../../runtime/run.js";
import type { GlobalArgs } from "../options.js";
import { createOptions } from "./create.js";

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  return runContainer({ ...createOptions(argv), detach: argv.detach === true, keep: argv.keep === true });
}
