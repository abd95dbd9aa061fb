// --pidfd-socket on create, run and exec: the container process sends a pidfd of
// itself (payload "standard" for init, "setns" for exec, as runc's) to the unix
// socket named, once it is set up; recvtty in pidfd mode reports what it got.
// A path nothing listens on fails naming the flag (exit status 1; exec's 255, as
// runc's), and leaves nothing behind.

import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult, type Bundle } from "../helpers/index.js";
import { buildTools, startRecvtty, type Recvtty, type RecvttyResult, type ToolBox } from "../tools/tools.js";

interface Received {
  payload: string;
  pid: number;
  link: string;
  signal0: string;
}

function parse(r: RecvttyResult): Received {
  expect(r.code, r.stderr).toBe(0);
  const field = (k: string): string => /^(\S+) (.*)$/.exec(r.output.split("\n").find((l) => l.startsWith(`${k} `)) ?? "")?.[2] ?? "";
  return { payload: r.name, pid: Number(field("pid")), link: field("link"), signal0: field("signal0") };
}

needs("containers", "berth", "cc").describe("lifecycle: --pidfd-socket", () => {
  const sb = new Sandbox();
  let tools: ToolBox;
  let dir: string;
  let b: Bundle;
  beforeAll(() => {
    tools = buildTools(["recvtty"]);
    dir = mkdtempSync("/tmp/berth-test-pidfd-");
    b = sb.bundle({ args: ["sleep", "60"] });
  });
  afterAll(async () => {
    tools?.remove();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    await sb.cleanup();
  });

  const receiver = (): Promise<Recvtty> => startRecvtty(tools.path("recvtty"), dir, { mode: "pidfd", timeoutSec: 20 });

  it('create sends a pidfd of the init process, named "standard"', async () => {
    const rt = await receiver();
    const id = sb.id("pidfd-create");
    try {
      sb.create(id, b, ["--pidfd-socket", rt.socket]);
    } finally {
      rt.kill();
    }
    const got = parse(await rt.done);
    const pid = sb.state(id).pid!;
    expect(got).toEqual({ payload: "standard", pid, link: "anon_inode:[pidfd]", signal0: "ok" });
    // The container keeps no copy of the socket (nor of the pidfd).
    const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "";
      }
    });
    expect(fds.filter((l) => l.startsWith("socket:") || l === "anon_inode:[pidfd]")).toEqual([]);
  });

  it("run -d sends it too", async () => {
    const rt = await receiver();
    const id = sb.id("pidfd-run");
    try {
      sb.runDetached(id, b, ["--pidfd-socket", rt.socket]);
    } finally {
      rt.kill();
    }
    const got = parse(await rt.done);
    expect(got).toEqual({ payload: "standard", pid: sb.state(id).pid, link: "anon_inode:[pidfd]", signal0: "ok" });
  });

  it('exec sends a pidfd of the exec\'d process, named "setns"', async () => {
    const id = sb.id("pidfd-exec");
    sb.runDetached(id, b);
    const rt = await receiver();
    const pidFile = join(dir, "exec.pid");
    try {
      const r = sb.rt(["exec", "--detach", "--pid-file", pidFile, "--pidfd-socket", rt.socket, id, "sleep", "60"]);
      expect(r.code, describeResult(r)).toBe(0);
    } finally {
      rt.kill();
    }
    const got = parse(await rt.done);
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(pid).not.toBe(sb.state(id).pid);
    expect(got).toEqual({ payload: "setns", pid, link: "anon_inode:[pidfd]", signal0: "ok" });
  });

  it("a path nothing listens on fails naming --pidfd-socket, and leaves nothing behind", async () => {
    const missing = join(dir, "nobody.sock");
    await sb.refuseCreate(b, /--pidfd-socket must name a listening unix socket/, ["--pidfd-socket", missing]);
    const id = sb.id("pidfd-exec-bad");
    sb.runDetached(id, b);
    const before = sb.ok(["ps", "--format", "json", id]).stdout;
    const r = sb.rt(["exec", "--pidfd-socket", missing, id, "true"]);
    // exec's own failures exit 255, as runc's do, so they differ from the process's status.
    expect(r.code, describeResult(r)).toBe(255);
    expect(r.stderr).toMatch(/pidfd socket .*nobody\.sock.*--pidfd-socket must name a listening unix socket/);
    expect(sb.ok(["ps", "--format", "json", id]).stdout).toBe(before);
  });
});
