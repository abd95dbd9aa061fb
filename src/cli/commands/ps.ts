import { containerPids, psTable } from "../../runtime/ps.js";
import { requireId, type GlobalArgs } from "../options.js";
import { out } from "../output.js";

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  const pids = containerPids(argv.root, requireId(argv, "ps"));
  if (argv.format === "json") out(JSON.stringify(pids) + "\n");
  else out(psTable(pids, ((argv["ps-args"] as string[] | undefined) ?? []).map(String)));
  return 0;
}
