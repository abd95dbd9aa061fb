import { listContainers } from "../../runtime/status.js";
import type { CommandOptions } from "../options.js";
import { out } from "../output.js";

/** runc's tabwriter layout: min width 12, padding 3. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(12, ...rows.map((r) => r[c]!.length + 3)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("")).join("\n") + "\n";
}

export async function handler(o: CommandOptions<"list">): Promise<number> {
  const states = listContainers(o.root);
  if (o.quiet) {
    out(states.map((s) => `${String(s.id)}\n`).join(""));
  } else if (o.format === "json") {
    out(JSON.stringify(states) + "\n");
  } else {
    const rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]];
    for (const s of states)
      rows.push([String(s.id), String(s.pid), String(s.status), String(s.bundle), String(s.created), String(s.owner)]);
    out(table(rows));
  }
  return 0;
}
