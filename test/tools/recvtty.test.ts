// recvtty checks the console-socket protocol strictly; sendtty plays a
// runtime that follows it, or breaks it in one specific way.

import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { buildTools, startRecvtty, type ToolBox } from "./tools.js";

const run = promisify(execFile);

needs("cc").describe("recvtty", () => {
  let tools: ToolBox;
  let dir: string;
  beforeAll(() => {
    tools = buildTools(["recvtty", "sendtty"]);
    dir = mkdtempSync("/tmp/berth-test-recvtty-");
  });
  afterAll(() => {
    tools?.remove();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function exchange(kind: string, text = "hello\n", mode: "relay" | "close" | "winsize" = "relay") {
    const rt = await startRecvtty(tools.path("recvtty"), dir, { mode, timeoutSec: 5 });
    const sender = run(tools.path("sendtty"), ["-k", kind, rt.socket, text]).catch((e: unknown) => e);
    const result = await rt.done;
    await sender;
    return result;
  }

  it("receives the pty master and its name, relays the output until the slave closes", async () => {
    const r = await exchange("good", "line one\nline two\n");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.name).toMatch(/^\/dev\/pts\/\d+$/);
    expect(r.output.replaceAll("\r", "")).toBe("line one\nline two\n");
    expect(readdirSync(dir)).not.toContain("console.sock");
  });

  it("winsize mode reports the pty size before relaying", async () => {
    const r = await exchange("good", "x", "winsize");
    expect(r.code).toBe(0);
    expect(r.winsize).toMatch(/^\d+ \d+$/);
  });

  it("close mode returns as soon as the fd arrived", async () => {
    const r = await exchange("good", "", "close");
    expect(r.code).toBe(0);
    expect(r.output).toBe("");
  });

  it.each([
    ["nofd", /no control data/],
    ["twofds", /cmsg_len is \d+, expected \d+ \(exactly one fd\); got 2 fds/],
    ["noname", /NUL byte|empty payload/],
    ["notty", /not a terminal/],
  ])("rejects a %s message with status 2", async (kind, message) => {
    const r = await exchange(kind);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("gives up with status 3 when nobody connects", async () => {
    const rt = await startRecvtty(tools.path("recvtty"), dir, { timeoutSec: 1 });
    const r = await rt.done;
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/timed out/);
    expect(readdirSync(dir)).not.toContain("console.sock");
  });
});
