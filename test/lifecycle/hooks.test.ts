// Hooks: all six kinds, their order, the state JSON on their stdin, args/env,
// timeouts, and what a failing hook does to the lifecycle.

import { existsSync, readFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { has, needs } from "../helpers/host.js";
import {
  HOOK_KINDS,
  Sandbox,
  addAllRecordingHooks,
  describeResult,
  failingHook,
  readHookLog,
  recordingHook,
  type Bundle,
  type HookKind,
} from "../helpers/index.js";

needs("containers").describe("lifecycle: hooks", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  function hookedBundle(args: string[] = ["sleep", "30"]): Bundle {
    const b = sb.bundle({ args });
    addAllRecordingHooks(b);
    b.write();
    return b;
  }

  function withFailing(kind: HookKind, args?: string[]): Bundle {
    const b = hookedBundle(args);
    const hooks = b.config.hooks ?? {};
    hooks[kind] = [failingHook(b, kind), ...(hooks[kind] ?? [])];
    b.write();
    return b;
  }

  const tags = (b: Bundle): string[] => readHookLog(b).map((r) => r.tag);

  it("create runs prestart, createRuntime, createContainer in that order, with the state on stdin", () => {
    const b = hookedBundle();
    const id = sb.id();
    sb.create(id, b);
    const recs = readHookLog(b).filter((r) => ["prestart", "createRuntime", "createContainer"].includes(r.tag));
    expect(recs.map((r) => r.tag)).toEqual(["prestart", "createRuntime", "createContainer"]);
    const pid = sb.state(id).pid;
    for (const r of recs) {
      expect(r.state, r.raw).toMatchObject({ id, bundle: b.dir });
      expect(typeof r.state?.ociVersion).toBe("string");
      expect(["creating", "created"]).toContain(r.state?.status);
      expect(r.state?.pid).toBeGreaterThan(0);
    }
    // prestart and createRuntime run in the runtime namespace: they see the host pid.
    expect(recs[0].state?.pid).toBe(pid);
    expect(recs[1].state?.pid).toBe(pid);
    expect(tags(b)).not.toContain("startContainer");
    sb.ok(["delete", "--force", id]);
  });

  // runc 1.1 runs poststart hooks at the end of create; runtime-spec (and runc ≥ 1.2) run them after start.
  needs("berth").it("the six hooks run in lifecycle order: create, start, then delete", async () => {
    const b = hookedBundle();
    const id = sb.id();
    sb.create(id, b);
    expect(tags(b)).toEqual(["prestart", "createRuntime", "createContainer"]);
    sb.ok(["start", id]);
    await sb.waitFile(b.inRootfs("/hooks.log"), /^poststart \{.*\}$/m);
    expect(tags(b)).toEqual(["prestart", "createRuntime", "createContainer", "startContainer", "poststart"]);
    const poststart = readHookLog(b)[4].state;
    expect(poststart).toMatchObject({ id, status: "running", pid: sb.state(id).pid });
    sb.ok(["kill", id, "KILL"]);
    await sb.waitStatus(id, "stopped");
    sb.ok(["delete", id]);
    expect(tags(b)).toEqual([...HOOK_KINDS]);
    expect(readHookLog(b)[5].state).toMatchObject({ id, status: "stopped", bundle: b.dir });
  });

  it("startContainer runs at start, before the user program, and poststop at delete", async () => {
    const b = hookedBundle(["sh", "-c", "cat /hooks.log > /tmp/seen; exec sleep 30"]);
    const id = sb.id();
    sb.create(id, b);
    sb.ok(["start", id]);
    const seen = await sb.waitFile(b.inRootfs("/tmp/seen"), "startContainer");
    expect(seen).toMatch(/^startContainer /m);
    const start = readHookLog(b).find((r) => r.tag === "startContainer");
    expect(start?.state).toMatchObject({ id, bundle: b.dir });
    sb.ok(["delete", "--force", id]);
    const recs = readHookLog(b);
    expect(recs[recs.length - 1].tag).toBe("poststop");
    expect(recs[recs.length - 1].state).toMatchObject({ id, status: "stopped" });
  });

  it("several hooks of one kind run in array order, with their args and env", () => {
    const b = sb.bundle({ args: ["true"] });
    const log = b.inRootfs("/hooks.log");
    b.config.hooks = {
      prestart: [
        recordingHook(b, "prestart", "first"),
        { path: "/bin/sh", args: ["sh", "-c", `echo "second $HOOK_VAR $0" >> ${log}`, "arg-zero"], env: ["HOOK_VAR=from-env"] },
        recordingHook(b, "prestart", "third"),
      ],
    };
    b.write();
    const id = sb.id();
    sb.create(id, b);
    const lines = readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l !== "");
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["first", "second", "third"]);
    expect(lines[1]).toBe("second from-env arg-zero");
    sb.ok(["delete", "--force", id]);
  });

  for (const kind of ["prestart", "createRuntime", "createContainer"] as const) {
    it(`a failing ${kind} hook fails create, runs poststop and leaves nothing behind`, async () => {
      const b = withFailing(kind);
      const id = sb.id();
      sb.track(id, b);
      const r = sb.rt(["create", "--bundle", b.dir, id]);
      expect(r.code, describeResult(r)).toBe(1);
      expect(r.stderr).toMatch(/hook/);
      expect(sb.status(id)).toBe("absent");
      const t = tags(b);
      expect(t).toContain(`${kind}-fail`);
      expect(t).not.toContain(kind); // hooks after the failing one do not run
      expect(t).not.toContain("startContainer");
      expect(t[t.length - 1]).toBe("poststop");
      expect(await sb.waitClean(id)).toEqual([]);
    });
  }

  it("a failing startContainer hook stops the container before the user program runs", async () => {
    const b = withFailing("startContainer", ["sh", "-c", "touch /tmp/ran; exec sleep 30"]);
    const id = sb.id();
    sb.create(id, b);
    sb.rt(["start", id]);
    await sb.waitStatus(id, "stopped");
    expect(existsSync(b.inRootfs("/tmp/ran"))).toBe(false);
    expect(tags(b)).toContain("startContainer-fail");
    expect(tags(b)).not.toContain("startContainer");
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  // runtime-spec 1.3 (runtime.md, lifecycle step 9): a failing poststart hook is an error and the
  // container is stopped; delete then removes it and runs poststop. runc 1.1 and runtime-spec 1.0
  // only warned (runtime-tools' poststart_fail still expects that).
  needs("berth").it("a failing poststart hook fails start and stops the container; delete runs poststop", async () => {
    const b = withFailing("poststart");
    const id = sb.id();
    sb.create(id, b);
    const r = sb.rt(["start", id]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/poststart hook/);
    expect(sb.status(id)).toBe("stopped");
    sb.ok(["delete", id]);
    expect(tags(b)).toContain("poststart-fail");
    expect(tags(b).at(-1)).toBe("poststop");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  needs("berth").it("run: a failing poststart hook fails run and leaves nothing behind", async () => {
    const b = withFailing("poststart");
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["run", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/poststart hook/);
    expect(sb.status(id)).toBe("absent");
    expect(tags(b).at(-1)).toBe("poststop");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("a hook without env inherits the runtime's environment; an empty env is empty", async () => {
    const b = sb.bundle({ args: ["true"] });
    const out = b.path("hook-env.log");
    b.config.hooks = {
      prestart: [
        { path: "/bin/sh", args: ["sh", "-c", `echo "inherit:$BERTH_HOOK_PROBE:$PATH" >> ${out}`] },
        { path: "/bin/sh", args: ["sh", "-c", `echo "empty:$BERTH_HOOK_PROBE" >> ${out}`], env: [] },
      ],
    };
    b.write();
    const id = sb.id();
    sb.track(id, b);
    const env = { ...process.env, BERTH_HOOK_PROBE: "from-caller", PATH: `/opt/berth-probe:${process.env.PATH ?? "/usr/bin:/bin"}` };
    const r = sb.rt(["run", "--bundle", b.dir, id], { env });
    expect(r.code, describeResult(r)).toBe(0);
    expect(readFileSync(out, "utf8").split("\n")).toEqual([`inherit:from-caller:${env.PATH}`, "empty:", ""]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("a failing poststop hook is only a warning: delete succeeds and removes the container", async () => {
    const b = withFailing("poststop");
    const id = sb.id();
    sb.create(id, b);
    sb.ok(["start", id]);
    const r = sb.rt(["delete", "--force", id]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(sb.status(id)).toBe("absent");
    expect(tags(b)).toContain("poststop-fail");
    // runtime.md step 13: the remaining poststop hooks still run (runc 1.1 stops at the first failure).
    if (has("berth")) expect(tags(b)).toContain("poststop");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("a hook that outlives its timeout fails create and leaves nothing behind", async () => {
    const b = sb.bundle({ args: ["true"] });
    b.config.hooks = { prestart: [{ path: "/bin/sh", args: ["sh", "-c", "exec sleep 10"], timeout: 1 }] };
    b.write();
    const id = sb.id();
    sb.track(id, b);
    const t0 = Date.now();
    const r = sb.rt(["create", "--bundle", b.dir, id]);
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(r.stderr).toMatch(/timed out|timeout/i);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
