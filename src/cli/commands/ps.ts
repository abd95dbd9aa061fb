import { containerPids, psTable } from "../../runtime/ps.js";
import type { CommandOptions } from "../options.js";
import { out } from "../output.js";

export async function handler(o: CommandOptions<"ps">): Promise<number> {
  const pids = containerPids(o.root, o.id);
  if (o.format === "json") out(JSON.stringify(pids) + "\n");
  else out(psTable(pids, o.psArgs));
  return 0;
}
