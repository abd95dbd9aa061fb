// The core lifecycle: create → start → kill → delete, the states in between,
// the pid file, signal spellings, and the errors runc gives for operations in
// the wrong state (callers match these substrings).

import { readFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult, isAlive, sleep } from "../helpers/index.js";

needs("containers").describe("lifecycle: create, start, kill, delete", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("walks created → running → stopped → deleted with a pid file and visible output", async () => {
    const b = sb.bundle({ args: ["sh", "-c", "echo hello > /tmp/out; exec sleep 30"] });
    const id = sb.id();
    const pidFile = b.path("init.pid");
    sb.create(id, b, ["--pid-file", pidFile]);

    // pid file: exists as soon as create returns, decimal, no newline, equals state.pid.
    const pidText = readFileSync(pidFile, "utf8");
    expect(pidText).toMatch(/^[1-9][0-9]*$/);
    const created = sb.state(id);
    expect(created.status).toBe("created");
    expect(created.id).toBe(id);
    expect(created.bundle).toBe(b.dir);
    expect(created.pid).toBe(Number(pidText));
    expect(isAlive(Number(pidText))).toBe(true);
    // process.args must not have run yet.
    await sleep(100);
    expect(() => readFileSync(b.inRootfs("/tmp/out"))).toThrow();

    sb.ok(["start", id]);
    const running = sb.state(id);
    expect(running.status).toBe("running");
    expect(running.pid).toBe(created.pid);
    expect(await sb.waitFile(b.inRootfs("/tmp/out"), "hello")).toBe("hello\n");

    sb.ok(["kill", id, "KILL"]);
    await sb.waitStatus(id, "stopped");

    sb.ok(["delete", id]);
    const gone = sb.rt(["state", id]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain("does not exist");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  for (const sig of ["9", "KILL", "SIGKILL", "sigkill", "kill"]) {
    it(`kill accepts the signal spelled ${sig}`, async () => {
      const b = sb.bundle({ args: ["sleep", "30"] });
      const id = sb.id("sig");
      sb.runDetached(id, b);
      sb.ok(["kill", id, sig]);
      await sb.waitStatus(id, "stopped");
      sb.ok(["delete", id]);
      expect(await sb.waitClean(id)).toEqual([]);
    });
  }

  it("kill sends SIGTERM when no signal is given", async () => {
    const b = sb.bundle({ args: ["sh", "-c", "trap 'echo term > /tmp/sig; exit 0' TERM; while :; do sleep 0.05; done"] });
    const id = sb.id();
    sb.runDetached(id, b);
    await sleep(100);
    sb.ok(["kill", id]);
    expect(await sb.waitFile(b.inRootfs("/tmp/sig"), "term")).toBe("term\n");
    await sb.waitStatus(id, "stopped");
    sb.ok(["delete", id]);
  });

  it("kill of an unknown signal name fails and leaves the container running", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    const r = sb.rt(["kill", id, "BOGUS"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/signal/i);
    expect(sb.status(id)).toBe("running");
    sb.ok(["delete", "--force", id]);
  });

  it("kill of a stopped container fails with container not running", async () => {
    const b = sb.bundle({ args: ["true"] });
    const id = sb.id();
    sb.runDetached(id, b);
    await sb.waitStatus(id, "stopped");
    const r = sb.rt(["kill", id, "KILL"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("container not running");
    expect(sb.status(id)).toBe("stopped");
    sb.ok(["delete", id]);
  });

  it("kill of an unknown container fails with does not exist", () => {
    const r = sb.rt(["kill", sb.id(), "KILL"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not exist");
  });

  it("kill --all signals every process of the container", async () => {
    const b = sb.bundle({ args: ["sh", "-c", "sleep 30 & sleep 30 & wait"] });
    const id = sb.id();
    sb.runDetached(id, b);
    await sleep(150);
    const ex = sb.ok(["exec", "--detach", "--pid-file", b.path("exec.pid"), id, "sleep", "30"]);
    expect(ex.code).toBe(0);
    const execPid = Number(readFileSync(b.path("exec.pid"), "utf8"));
    sb.trackPid(id, execPid);
    sb.ok(["kill", "--all", id, "KILL"]);
    await sb.waitStatus(id, "stopped");
    const deadline = Date.now() + 3000;
    while (isAlive(execPid) && Date.now() < deadline) await sleep(25);
    expect(isAlive(execPid)).toBe(false);
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("kill -a is the short form of --all", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    sb.ok(["kill", "-a", id, "9"]);
    await sb.waitStatus(id, "stopped");
    sb.ok(["delete", id]);
  });

  it("start of a running container fails and leaves it running", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.create(id, b);
    sb.ok(["start", id]);
    const r = sb.rt(["start", id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/running/);
    expect(sb.status(id)).toBe("running");
    sb.ok(["delete", "--force", id]);
  });

  it("start of a stopped container fails", async () => {
    const b = sb.bundle({ args: ["true"] });
    const id = sb.id();
    sb.create(id, b);
    sb.ok(["start", id]);
    await sb.waitStatus(id, "stopped");
    const r = sb.rt(["start", id]);
    expect(r.code).toBe(1);
    expect(sb.status(id)).toBe("stopped");
    sb.ok(["delete", id]);
  });

  it("start of an unknown container fails with does not exist", () => {
    const r = sb.rt(["start", sb.id()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not exist");
  });

  it("create with an id already in use fails with already exists and keeps the first container", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.create(id, b);
    const pid = sb.state(id).pid;
    const b2 = sb.bundle({ args: ["true"] });
    const r = sb.rt(["create", "--bundle", b2.dir, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("already exists");
    const s = sb.state(id);
    expect(s.status).toBe("created");
    expect(s.pid).toBe(pid);
    expect(s.bundle).toBe(b.dir);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("concurrent creates of one id have exactly one winner; the losers leave nothing behind", async () => {
    const id = sb.id();
    const bundles = [0, 1, 2, 3].map(() => sb.bundle({ args: ["sleep", "30"] }));
    sb.track(id, bundles[0]);
    const runs = bundles.map((b) => sb.rtAsync(["create", "--bundle", b.dir, id]));
    const results = await Promise.all(runs.map((r) => r.done));
    const winners = results.filter((r) => r.code === 0);
    expect(winners, results.map(describeResult).join("\n")).toHaveLength(1);
    for (const r of results.filter((x) => x.code !== 0)) expect(r.stderr).toContain("already exists");
    const s = sb.state(id);
    expect(s.status).toBe("created");
    const winner = bundles[results.findIndex((r) => r.code === 0)]!;
    expect(s.bundle).toBe(winner.dir);
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("delete of a created container without --force succeeds and kills its init", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.create(id, b);
    const pid = sb.state(id).pid ?? 0;
    sb.ok(["delete", id]);
    expect(sb.status(id)).toBe("absent");
    expect(await sb.waitClean(id)).toEqual([]);
    expect(isAlive(pid)).toBe(false);
  });

  it("delete of a running container without --force fails and leaves it running", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    const r = sb.rt(["delete", id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not stopped|running/);
    expect(sb.status(id)).toBe("running");
  });

  it("delete --force of a running container kills it and removes everything", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    sb.ok(["delete", "--force", id]);
    expect(sb.status(id)).toBe("absent");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("delete -f is the short form of --force", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    sb.ok(["delete", "-f", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("delete --force of an unknown id succeeds", () => {
    const r = sb.rt(["delete", "--force", sb.id()]);
    expect(r.code).toBe(0);
  });

  it("delete of an unknown id without --force fails with does not exist", () => {
    const r = sb.rt(["delete", sb.id()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not exist");
  });

  it("state reports stopped once the process exits by itself", async () => {
    const b = sb.bundle({ args: ["true"] });
    const id = sb.id();
    sb.create(id, b);
    sb.ok(["start", id]);
    await sb.waitStatus(id, "stopped");
    const s = sb.state(id);
    expect(s.status).toBe("stopped");
    expect(s.id).toBe(id);
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("state of an unknown id fails with does not exist", () => {
    const r = sb.rt(["state", sb.id()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not exist");
  });
});
