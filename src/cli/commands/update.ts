import { updateContainer, UPDATE_FLAGS, type UpdateFlag } from "../../runtime/update.js";
import { requireId, type GlobalArgs } from "../options.js";

export async function handler(argv: Record<string, unknown> & GlobalArgs): Promise<number> {
  const id = requireId(argv, "update");
  const flags: Partial<Record<UpdateFlag, string>> = {};
  for (const f of UPDATE_FLAGS) {
    const v = argv[f];
    if (v !== undefined) flags[f] = String(Array.isArray(v) ? v[v.length - 1] : v);
  }
  const resources = argv.resources === undefined ? undefined : String(argv.resources);
  await updateContainer({ root: argv.root, id, resources, flags });
  return 0;
}
