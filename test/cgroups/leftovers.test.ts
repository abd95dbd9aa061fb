// No cgroup directory outlives its container: after delete, after the init
// process is killed from outside (kill -9), and after a create that fails.
// Checked in every hierarchy by findLeaks (cgroup dirs named after the id).

import { readFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult, failingHook } from "../helpers/index.js";

function cgroupLines(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
}

needs("containers").describe("cgroups: nothing is left behind", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("delete of a stopped container removes its cgroups in every hierarchy", async () => {
    const b = sb.bundle({
      args: ["true"],
      edit: (c) => {
        c.linux!.resources = { pids: { limit: 16 }, memory: { limit: 64 << 20 } };
      },
    });
    const id = sb.id();
    sb.track(id, b);
    sb.ok(["create", "--bundle", b.dir, id]);
    const pid = sb.state(id).pid!;
    // The waiting process is already in the container's cgroups, in every hierarchy.
    for (const line of cgroupLines(pid)) expect(line, line).toContain(id);
    expect(sb.leaksOf(id).some((l) => l.startsWith("cgroup "))).toBe(true);
    sb.ok(["start", id]);
    await sb.waitStatus(id, "stopped");
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("after kill -9 of init from the host, delete kills the processes it left (no pid namespace) and removes the cgroups", async () => {
    const b = sb.bundle({
      args: ["sh", "-c", "sleep 300 & sleep 300 & echo ready > /tmp/ready; wait"],
      edit: (c) => {
        c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== "pid");
      },
    });
    const id = sb.id();
    sb.track(id, b);
    sb.ok(["run", "-d", "--bundle", b.dir, id]);
    await sb.waitFile(b.inRootfs("/tmp/ready"));
    const pid = sb.state(id).pid!;
    const pidsBefore = sb.rt(["ps", "--format", "json", id]);
    expect(pidsBefore.code, describeResult(pidsBefore)).toBe(0);
    const orphans = (JSON.parse(pidsBefore.stdout) as number[]).filter((p) => p !== pid);
    expect(orphans.length).toBe(2);
    process.kill(pid, "SIGKILL");
    await sb.waitStatus(id, "stopped");
    // The two sleeps outlive init: they are still in the container's cgroup.
    for (const p of orphans) expect(() => process.kill(p, 0)).not.toThrow();
    sb.ok(["delete", id]);
    for (const p of orphans) {
      let alive = true;
      for (let i = 0; i < 100 && alive; i++) {
        try {
          process.kill(p, 0);
          const st = readFileSync(`/proc/${p}/stat`, "utf8");
          if (st.split(") ")[1]?.startsWith("Z")) alive = false;
          else await new Promise((r) => setTimeout(r, 20));
        } catch {
          alive = false;
        }
      }
      expect(alive, `pid ${p} survived delete`).toBe(false);
    }
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("after kill -9 of init in a pid namespace, delete removes the cgroups", async () => {
    const b = sb.bundle({ args: ["sh", "-c", "sleep 300 & echo ready > /tmp/ready; wait"] });
    const id = sb.id();
    sb.track(id, b);
    sb.ok(["run", "-d", "--bundle", b.dir, id]);
    await sb.waitFile(b.inRootfs("/tmp/ready"));
    process.kill(sb.state(id).pid!, "SIGKILL");
    await sb.waitStatus(id, "stopped");
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("a create that fails in a prestart hook leaves no cgroup", async () => {
    const b = sb.bundle({
      args: ["true"],
      edit: (c) => {
        c.linux!.resources = { pids: { limit: 16 } };
      },
    });
    b.config.hooks = { prestart: [failingHook(b, "prestart", 3)] };
    b.write();
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["create", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).not.toBe(0);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("a create whose process cannot start leaves no cgroup", async () => {
    const b = sb.bundle({ args: ["/no/such/program"] });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["run", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).not.toBe(0);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
