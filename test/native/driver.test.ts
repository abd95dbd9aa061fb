// berth-init on its own, without the berth CLI: native/tests/run.sh drives the
// executable with hand-written plans (namespaces, mounts, devices, console,
// exec, hooks, fd hygiene) and checks what each container prints.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CAN_RUN_CONTAINERS, IS_BERTH, REPO_ROOT } from "../helpers/index.js";

describe.skipIf(!CAN_RUN_CONTAINERS || !IS_BERTH)("berth-init driver (native/tests/run.sh)", () => {
  it("passes every case", () => {
    const r = spawnSync("sh", [join(REPO_ROOT, "native/tests/run.sh")], { encoding: "utf8", timeout: 120_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^\d+ passed, 0 failed$/m);
  }, 150_000);
});
