import { hostFacts } from "../../runtime/check/hostFacts.js";
import { formatReport, reportJson, runCheck } from "../../runtime/check/report.js";
import type { CommandOptions } from "../options.js";
import { out } from "../output.js";

export async function handler(o: CommandOptions<"check">): Promise<number> {
  const report = await runCheck(hostFacts(o.root));
  out(o.json ? reportJson(report) : formatReport(report));
  return report.ready ? 0 : 1;
}
