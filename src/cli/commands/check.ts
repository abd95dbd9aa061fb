import { hostFacts } from "../../runtime/check/hostFacts.js";
import { formatReport, reportJson, runCheck } from "../../runtime/check/report.js";
import type { GlobalArgs } from "../options.js";
import { out } from "../output.js";

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  const report = await runCheck(hostFacts());
  out(argv.json === true ? reportJson(report) : formatReport(report));
  return report.ready ? 0 : 1;
}
