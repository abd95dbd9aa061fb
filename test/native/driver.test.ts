// berth-init on its own, without the berth CLI: native/tests/run.sh drives the
// built executable (dist/berth-init) with hand-written plans (namespaces, mounts,
// devices, console, exec, hooks, fd hygiene) and checks what each container prints.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/index.js";
import { has, needs } from "../helpers/host.js";

needs("containers", "berth", "cc", "script").describe("berth-init driver (native/tests/run.sh)", () => {
  let out = "";
  it("passes every case", () => {
    // the idmapped-mount case runs where the kernel can idmap a bind in /tmp
    const env = { ...process.env, BERTH_TEST_IDMAP: has("idmapped-mounts") ? "1" : "0" };
    const r = spawnSync("sh", [join(REPO_ROOT, "native/tests/run.sh")], { encoding: "utf8", timeout: 120_000, env });
    out = r.stdout;
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^\d+ passed, 0 failed$/m);
  }, 150_000);

  needs("idmapped-mounts").it("ran the idmapped-mount case", () => {
    expect(out).toMatch(/^ok {3}idmap$/m);
  });
});
