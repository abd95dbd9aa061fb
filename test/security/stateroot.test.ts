// Other users cannot start or abort a created container (probe finding F5):
// the state root is created or tightened to 0700, and the exec fifo is 0600,
// so even a root directory loosened later does not let them write it.

import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { describeResult, runtime, uniqueId, makeBundle, type Bundle } from "../helpers/index.js";
import { needs } from "../helpers/host.js";

needs("containers", "berth").describe("security: the state root and the exec fifo are the owner's alone", () => {
  const root = mkdtempSync("/tmp/berth-test-root-");
  const bundles: Bundle[] = [];
  const ids: string[] = [];
  afterAll(() => {
    for (const id of ids) runtime(["delete", "--force", id], { root });
    for (const b of bundles) rmSync(b.dir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it("a 0755 root is tightened to 0700; the fifo is 0600 and nobody else can write it", () => {
    chmodSync(root, 0o755);
    const b = makeBundle({ args: ["sleep", "60"] });
    bundles.push(b);
    const id = uniqueId("fifo");
    ids.push(id);
    const r = runtime(["create", "--bundle", b.dir, id], { root });
    expect(r.code, describeResult(r)).toBe(0);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    const fifo = join(root, id, "exec.fifo");
    expect(statSync(fifo).mode & 0o777).toBe(0o600);

    // Even where the root has been loosened again, another user cannot start it.
    chmodSync(root, 0o755);
    const w = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", `echo x > ${fifo}`], {
      encoding: "utf8",
      timeout: 10_000,
    });
    expect(w.status, w.stderr).not.toBe(0);
    expect(w.stderr).toMatch(/Permission denied/);
    const s = runtime(["state", id], { root });
    expect(JSON.parse(s.stdout).status).toBe("created");
  });
});
