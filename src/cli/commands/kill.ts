import { killContainer } from "../../runtime/lifecycle.js";
import { parseSignal } from "../../linux/signals.js";
import type { CommandOptions } from "../options.js";

export async function handler(o: CommandOptions<"kill">): Promise<number> {
  killContainer(o.root, o.id, parseSignal(o.signal), o.all);
  return 0;
}
