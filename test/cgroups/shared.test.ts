// Two containers cannot share a cgroup: a create whose cgroupsPath already holds
// processes fails (runc 1.2's rule; runc 1.1 only warned), touching nothing of the
// first container, and leaves nothing of its own behind.

import { existsSync, readFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import type { Spec } from "../../src/spec/types.js";
import { needs } from "../helpers/host.js";
import { Sandbox } from "../helpers/index.js";

// A deliberate difference from runc 1.1, which only warned (runc 1.2 refuses, as berth does).
needs("containers", "berth").describe("cgroups: a cgroupsPath in use", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("a second container in a cgroup with processes is refused; the first runs on", async () => {
    const path = `/berth-test-shared-${process.pid}`;
    const edit = (c: Spec): void => {
      c.linux!.cgroupsPath = path;
      c.linux!.resources = { pids: { limit: 100 } };
    };
    const first = sb.id("shared1");
    sb.runDetached(first, sb.bundle({ args: ["sleep", "60"], edit }));
    const second = sb.bundle({
      args: ["sleep", "60"],
      edit: (c) => {
        edit(c);
        c.linux!.resources = { pids: { limit: 5 } };
      },
    });
    await sb.refuseCreate(second, /linux\.cgroupsPath: container's cgroup is not empty: 1 process\(es\) found/);
    expect(sb.status(first)).toBe("running");
    // The second create's limit (5) never reached the shared cgroup.
    const max = [`/sys/fs/cgroup/pids${path}/pids.max`, `/sys/fs/cgroup${path}/pids.max`].find((f) => existsSync(f));
    if (max !== undefined) expect(readFileSync(max, "utf8").trim()).toBe("100");
    sb.ok(["delete", "--force", first]);
    expect(await sb.waitClean(first)).toEqual([]);
  });
});
