import { BerthError } from "../../errors.js";
import { completion, SHELLS, type Shell } from "../docs/completion.js";
import type { CommandOptions } from "../options.js";
import { out } from "../output.js";

export async function handler(o: CommandOptions<"completion">): Promise<number> {
  if (!(SHELLS as readonly string[]).includes(o.shell)) {
    throw new BerthError(`unknown shell ${JSON.stringify(o.shell)}`, {
      op: "completion",
      path: "<shell>",
      hint: `give one of ${SHELLS.join(", ")}`,
    });
  }
  out(completion(o.shell as Shell));
  return 0;
}
