import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BerthError } from "../../errors.js";
import { defaultSpec } from "../../runtime/specTemplate.js";
import { isPureCgroupV2 } from "../../linux/cgroups/detect.js";
import type { CommandOptions } from "../options.js";

export async function handler(o: CommandOptions<"spec">): Promise<number> {
  const dir = resolve(o.bundle ?? ".");
  const file = join(dir, "config.json");
  if (existsSync(file)) {
    throw new BerthError("File config.json exists. Remove it first", { op: "spec", path: file, errno: "EEXIST" });
  }
  try {
    writeFileSync(file, JSON.stringify(defaultSpec({ rootless: o.rootless, cgroupV2: isPureCgroupV2() }), null, "\t") + "\n", {
      mode: 0o666,
    });
  } catch (err) {
    throw BerthError.fromSys("spec: write", file, err, "--bundle must name an existing directory");
  }
  return 0;
}
