// `run` in the foreground and detached: exit status propagation, stdio
// passthrough, --keep, and the pid file.

import { readFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult, runtimeAsync } from "../helpers/index.js";

needs("containers").describe("lifecycle: run", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("run exits with the container's exit status and removes the container", async () => {
    const b = sb.bundle({ args: ["sh", "-c", "exit 3"] });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["run", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(3);
    expect(sb.status(id)).toBe("absent");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("a foreground run forwards the signals it receives to the container process", async () => {
    // The container reports SIGTERM and SIGUSR1 through files, then exits 7 on the TERM.
    const b = sb.bundle({
      args: [
        "sh",
        "-c",
        "trap 'echo usr1 > /tmp/usr1' USR1; trap 'echo term > /tmp/term; exit 7' TERM; touch /tmp/ready; while :; do sleep 0.05; done",
      ],
    });
    const id = sb.id();
    sb.track(id, b);
    const run = runtimeAsync(["run", "--bundle", b.dir, id], { root: sb.root });
    await sb.waitFile(b.inRootfs("/tmp/ready"));
    run.kill("SIGUSR1");
    expect((await sb.waitFile(b.inRootfs("/tmp/usr1"))).trim()).toBe("usr1");
    run.kill("SIGTERM");
    const r = await run.done;
    expect(r.code, describeResult(r)).toBe(7);
    expect(readFileSync(b.inRootfs("/tmp/term"), "utf8").trim()).toBe("term");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("run exits 0 for a container that succeeds", () => {
    const b = sb.bundle({ args: ["true"] });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["run", "-b", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(0);
  });

  it("run exits 128+N when the container process is killed by signal N", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.track(id, b);
    const run = sb.rtAsync(["run", "--bundle", b.dir, id]);
    await sb.waitStatus(id, "running");
    sb.ok(["kill", id, "KILL"]);
    const r = await run.done;
    expect(r.code, describeResult(r)).toBe(137);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("run passes stdin, stdout and stderr through to the container", () => {
    const b = sb.bundle({ args: ["sh", "-c", 'read line; echo "out:$line"; echo "err:$line" >&2'] });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["run", "--bundle", b.dir, id], { input: "ping\n" });
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toBe("out:ping\n");
    expect(r.stderr).toBe("err:ping\n");
  });

  it("run --detach returns while the container runs and writes the pid file", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b, ["--pid-file", b.path("run.pid")]);
    const s = sb.state(id);
    expect(s.status).toBe("running");
    expect(readFileSync(b.path("run.pid"), "utf8")).toBe(String(s.pid));
    sb.ok(["delete", "--force", id]);
  });

  it("run -d is the short form of --detach", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.track(id, b);
    sb.ok(["run", "-d", "--bundle", b.dir, id]);
    expect(sb.status(id)).toBe("running");
    sb.ok(["delete", "--force", id]);
  });

  it("run --keep leaves the stopped container for state and delete", async () => {
    const b = sb.bundle({ args: ["sh", "-c", "exit 2"] });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["run", "--keep", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(2);
    expect(sb.status(id)).toBe("stopped");
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("run takes the bundle from the working directory when --bundle is absent", () => {
    const b = sb.bundle({ args: ["sh", "-c", "exit 4"] });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["run", id], { cwd: b.dir });
    expect(r.code, describeResult(r)).toBe(4);
  });
});
