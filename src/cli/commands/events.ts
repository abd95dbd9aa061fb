import { containerEvents, DEFAULT_INTERVAL, parseInterval } from "../../runtime/events.js";
import { requireId, type GlobalArgs } from "../options.js";
import { out } from "../output.js";

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  const id = requireId(argv, "events");
  const intervalMs = parseInterval(String(argv.interval ?? DEFAULT_INTERVAL));
  await containerEvents({ root: argv.root, id, statsOnly: argv.stats === true, intervalMs, write: out });
  return 0;
}
