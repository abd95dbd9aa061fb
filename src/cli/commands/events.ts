import { containerEvents } from "../../runtime/events.js";
import type { CommandOptions } from "../options.js";
import { out } from "../output.js";

export async function handler(o: CommandOptions<"events">): Promise<number> {
  await containerEvents({ root: o.root, id: o.id, statsOnly: o.stats, intervalMs: o.interval, write: out });
  return 0;
}
