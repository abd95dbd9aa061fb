// Hooks on restore, as runc runs them: prestart and createRuntime run at criu's
// setup-namespaces notification, before the restored process resumes, with the
// restored container's state (its new pid) on stdin; a failing one fails the
// restore and leaves nothing. Needs a kernel criu supports (the qemu guest).

import { writeFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult, readHookLog, recordingHook } from "../helpers/index.js";
import { COUNTER, nextCount, readCounter, waitCount } from "../helpers/counter.js";

needs("containers", "criu").describe("restore runs the prestart and createRuntime hooks", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());
  const images = (): string => sb.tempDir("criu-");

  it("at setup-namespaces, with the restored init's pid and the container's id, bundle and annotations", async () => {
    const b = sb.bundle({ args: COUNTER });
    b.config.annotations = { "org.example.criu": "hooks" };
    b.config.hooks = {
      prestart: [recordingHook(b, "prestart")],
      createRuntime: [recordingHook(b, "createRuntime")],
      poststart: [recordingHook(b, "poststart")],
    };
    b.write();
    const id = sb.id();
    sb.runDetached(id, b);
    const file = b.inRootfs("/tmp/n");
    await waitCount(file, 3);
    expect(readHookLog(b).map((r) => r.tag)).toEqual(["prestart", "createRuntime", "poststart"]);
    const dir = images();
    const cp = sb.rt(["checkpoint", "--image-path", dir, id], { timeoutMs: 120_000 });
    expect(cp.code, describeResult(cp)).toBe(0);
    // Checkpointing runs no hook.
    expect(readHookLog(b)).toHaveLength(3);

    const rs = sb.rt(["restore", "-d", "--image-path", dir, "-b", b.dir, id], { timeoutMs: 120_000 });
    expect(rs.code, describeResult(rs)).toBe(0);
    const st = sb.state(id);
    expect(st.status).toBe("running");
    const log = readHookLog(b).slice(3);
    // As runc: no poststart on restore.
    expect(log.map((r) => r.tag)).toEqual(["prestart", "createRuntime"]);
    for (const r of log) {
      expect(r.state, r.raw).toMatchObject({
        id,
        status: "created",
        pid: st.pid,
        bundle: b.dir,
        annotations: { "org.example.criu": "hooks" },
      });
    }
    const stopped = readCounter(file);
    const seen = await nextCount(file, stopped.n);
    expect(seen.pid).toBe(1);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("a failing createRuntime hook fails the restore, names the hook, and leaves nothing", async () => {
    const b = sb.bundle({ args: COUNTER });
    const marker = b.path("fail-now");
    b.config.hooks = {
      createRuntime: [{ path: "/bin/sh", args: ["sh", "-c", `cat >/dev/null; if [ -e ${marker} ]; then echo no restore >&2; exit 7; fi`] }],
    };
    b.write();
    const id = sb.id();
    sb.runDetached(id, b);
    const file = b.inRootfs("/tmp/n");
    await waitCount(file, 3);
    const dir = images();
    const cp = sb.rt(["checkpoint", "--image-path", dir, id], { timeoutMs: 120_000 });
    expect(cp.code, describeResult(cp)).toBe(0);
    writeFileSync(marker, "");
    const stopped = readCounter(file);
    const rs = sb.rt(["restore", "-d", "--image-path", dir, "-b", b.dir, id], { timeoutMs: 120_000 });
    expect(rs.code, describeResult(rs)).toBe(1);
    expect(rs.stderr).toMatch(/hooks\.createRuntime\[0\].*exit status 7.*no restore/);
    expect(sb.status(id)).toBe("absent");
    expect(await sb.waitClean(id)).toEqual([]);
    // The restored process never ran on.
    await new Promise((r) => setTimeout(r, 500));
    expect(readCounter(file)).toEqual(stopped);
  });
});
