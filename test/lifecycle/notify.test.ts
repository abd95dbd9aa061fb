// NOTIFY_SOCKET (sd_notify through the container), as runc does it: with NOTIFY_SOCKET
// set for create/start/run, the container gets NOTIFY_SOCKET=/run/notify/notify.sock,
// and its READY=1 reaches the caller's socket followed by MAINPID=<the container's pid>.
// start (and run -d) return once READY came; a container that ends first ends the wait.

import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bindUnixgram, type Unixgram } from "../../src/linux/unixgram.js";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult, sleep, type Bundle } from "../helpers/index.js";
import { buildTools, type ToolBox } from "../tools/tools.js";

needs("containers", "cc").describe("lifecycle: NOTIFY_SOCKET", () => {
  const sb = new Sandbox();
  let tools: ToolBox;
  let dir: string;
  let host: Unixgram;
  let hostPath: string;
  beforeAll(async () => {
    tools = buildTools(["sdnotify"]);
    dir = mkdtempSync("/tmp/berth-test-notify-");
    hostPath = join(dir, "host.sock");
    host = await bindUnixgram(hostPath);
  });
  afterAll(async () => {
    await sb.cleanup();
    host?.close();
    tools?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (): NodeJS.ProcessEnv => ({ ...process.env, NOTIFY_SOCKET: hostPath });
  const bundle = (script: string): Bundle => {
    const b = sb.bundle({ args: ["sh", "-c", script] });
    copyFileSync(tools.path("sdnotify"), b.inRootfs("/bin/sdnotify"));
    return b;
  };
  const drain = (): string[] => {
    const out: string[] = [];
    for (let m = host.receive(); m !== undefined; m = host.receive()) out.push(m.toString());
    return out;
  };

  it("create sets the container's NOTIFY_SOCKET; start returns after READY=1, which reaches the caller with MAINPID", async () => {
    drain();
    const b = bundle("echo $NOTIFY_SOCKET > /tmp/seen; sleep 1; sdnotify 'STATUS=starting'; sdnotify 'READY=1'; exec sleep 60");
    const id = sb.id("notify");
    sb.create(id, b, [], { env: env() });
    const t0 = Date.now();
    const r = sb.rt(["start", id], { env: env() });
    expect(r.code, describeResult(r)).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // it waited for READY
    expect(drain()).toEqual(["READY=1\n", `MAINPID=${sb.state(id).pid}\n`]);
    const seen = sb.ok(["exec", id, "cat", "/tmp/seen"]).stdout;
    expect(seen).toBe("/run/notify/notify.sock\n");
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("run in the foreground passes READY=1 on while the container runs", async () => {
    drain();
    const b = bundle("sdnotify READY=1; sleep 1");
    const id = sb.id("notifyrun");
    sb.track(id, b);
    const r = sb.rt(["run", "--bundle", b.dir, id], { env: env() });
    expect(r.code, describeResult(r)).toBe(0);
    const got = drain();
    expect(got[0]).toBe("READY=1\n");
    expect(got[1]).toMatch(/^MAINPID=[1-9][0-9]*\n$/);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("a container that ends without READY ends start's wait; nothing is sent", async () => {
    drain();
    const b = bundle("sleep 1");
    const id = sb.id("notifyexit");
    sb.create(id, b, [], { env: env() });
    const r = sb.rt(["start", id], { env: env(), timeoutMs: 15_000 });
    expect(r.code, describeResult(r)).toBe(0);
    await sleep(200);
    expect(drain()).toEqual([]);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("without NOTIFY_SOCKET nothing is mounted or set", () => {
    const b = bundle("echo [$NOTIFY_SOCKET]; [ -e /run/notify ] && echo mounted || echo none");
    const e = { ...process.env };
    delete e.NOTIFY_SOCKET;
    const r = sb.ok(["run", "--bundle", b.dir, sb.id("nonotify")], { env: e });
    expect(r.stdout).toBe("[]\nnone\n");
  });
});
