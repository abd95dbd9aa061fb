// exec on cgroup v2 when the container's cgroup has handed its controllers to
// children: the kernel refuses new processes in such a cgroup (EBUSY), so the
// exec'd process joins the sub-cgroup the container's init is in, as with runc.
// Runs on any host where a cgroup made under the cgroup2 root gets a controller.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { cgroup2Mount, needs } from "../helpers/host.js";
import { Sandbox, describeResult } from "../helpers/index.js";

needs("containers", "cgroup2-controller").describe("cgroups: exec into a cgroup v2 container with delegated controllers", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("joins init's sub-cgroup when the container's own cgroup refuses processes", async () => {
    const id = sb.id("nest");
    const b = sb.bundle({
      args: ["sleep", "300"],
      edit: (c) => {
        c.linux!.cgroupsPath = `/${id}`;
      },
    });
    sb.track(id, b);
    sb.ok(["run", "-d", "--bundle", b.dir, id]);
    const dir = join(cgroup2Mount()!, id);
    const controllers = readFileSync(join(dir, "cgroup.controllers"), "utf8")
      .trim()
      .split(/\s+/)
      .filter((c) => c !== "");
    expect(controllers, `${dir}/cgroup.controllers`).not.toEqual([]);
    // What a nested manager (systemd in the container, say) does: move init down, delegate.
    mkdirSync(join(dir, "init"));
    writeFileSync(join(dir, "init", "cgroup.procs"), String(sb.state(id).pid));
    writeFileSync(join(dir, "cgroup.subtree_control"), `+${controllers[0]}`);
    const r = sb.rt(["exec", id, "cat", "/proc/self/cgroup"]);
    expect(r.code, describeResult(r)).toBe(0);
    const line = r.stdout.split("\n").find((l) => l.startsWith("0::"));
    expect(line, r.stdout).toMatch(/\/init$/);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
