// pause and resume (the cgroup freezer), and how kill, exec, start and delete
// treat a paused container, as runc's do.

import { readFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult } from "../helpers/index.js";

function procState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] ?? "?";
  } catch {
    return "gone";
  }
}

needs("containers").describe("lifecycle: pause and resume", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("pause freezes a running container and resume thaws it; state shows paused in between", async () => {
    // The container counts; while paused the count must not move.
    const b = sb.bundle({ args: ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.02; done"] });
    const id = sb.id();
    sb.track(id, b);
    sb.ok(["run", "-d", "--bundle", b.dir, id]);
    await sb.waitFile(b.inRootfs("/tmp/n"));
    sb.ok(["pause", id]);
    expect(sb.state(id).status).toBe("paused");
    const before = readFileSync(b.inRootfs("/tmp/n"), "utf8");
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(b.inRootfs("/tmp/n"), "utf8")).toBe(before);
    sb.ok(["resume", id]);
    expect(sb.state(id).status).toBe("running");
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(b.inRootfs("/tmp/n"), "utf8")).not.toBe(before);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("a paused container refuses exec and start; resume of a running one and pause of a stopped one are errors", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.track(id, b);
    sb.ok(["run", "-d", "--bundle", b.dir, id]);
    const r0 = sb.rt(["resume", id]);
    expect(r0.code, describeResult(r0)).not.toBe(0);
    sb.ok(["pause", id]);
    const ex = sb.rt(["exec", id, "true"]);
    expect(ex.code, describeResult(ex)).not.toBe(0);
    expect(ex.stderr).toMatch(/paused/);
    expect(sb.rt(["start", id]).code).not.toBe(0);
    sb.ok(["kill", id, "KILL"]);
    await sb.waitStatus(id, "stopped");
    expect(sb.rt(["pause", id]).code).not.toBe(0);
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("delete --force removes a paused container", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.track(id, b);
    sb.ok(["run", "-d", "--bundle", b.dir, id]);
    const pid = Number(sb.state(id).pid);
    sb.ok(["pause", id]);
    sb.ok(["delete", "--force", id]);
    expect(sb.status(id)).toBe("absent");
    expect(["gone", "Z"]).toContain(procState(pid));
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
