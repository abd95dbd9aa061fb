// delete --force kills only the container's processes (probe finding F6): with a
// cgroupsPath whose cgroup2 directory already existed (berth made only the v1
// ones), a process living in that directory was killed with the container. A
// directory that holds processes at create is refused outright (test/cgroups/
// shared.test.ts); one that gains a process after create keeps it on delete.

import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { Sandbox, rmdirCgroup, sleep } from "../helpers/index.js";
import { cgroup2Mount, needs } from "../helpers/host.js";

needs("containers", "berth", "cgroup-hybrid").describe("security: a bystander in a pre-existing cgroup", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("survives delete --force of a container that shares only that directory (joined after create)", async () => {
    const id = sb.id("bystander");
    const dir = join(cgroup2Mount()!, id);
    mkdirSync(dir);
    const bystander = spawn("sleep", ["120"], { stdio: "ignore" });
    try {
      const b = sb.bundle({
        args: ["sleep", "60"],
        edit: (c) => {
          c.linux!.cgroupsPath = `/${id}`;
        },
      });
      sb.runDetached(id, b);
      writeFileSync(join(dir, "cgroup.procs"), String(bystander.pid));
      sb.ok(["delete", "--force", id]);
      await sleep(200);
      expect(bystander.exitCode, "the bystander was killed").toBeNull();
      expect(bystander.signalCode, "the bystander was killed").toBeNull();
    } finally {
      bystander.kill("SIGKILL");
      await new Promise((r) => (bystander.exitCode !== null || bystander.signalCode !== null ? r(null) : bystander.once("exit", r)));
      rmdirCgroup(dir);
    }
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
