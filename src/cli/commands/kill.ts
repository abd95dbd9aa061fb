import { killContainer } from "../../runtime/lifecycle.js";
import { parseSignal } from "../../linux/signals.js";
import { requireId, type GlobalArgs } from "../options.js";

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  const id = requireId(argv, "kill");
  const signal = parseSignal(String(argv.signal ?? "SIGTERM"));
  killContainer(argv.root, id, signal, argv.all === true);
  return 0;
}
