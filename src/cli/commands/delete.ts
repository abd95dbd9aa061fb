import { deleteContainer } from "../../runtime/lifecycle.js";
import type { CommandOptions } from "../options.js";

export async function handler(o: CommandOptions<"delete">): Promise<number> {
  await deleteContainer(o.root, o.id, o.force);
  return 0;
}
