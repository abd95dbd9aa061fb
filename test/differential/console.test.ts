// process.terminal, berth against runc: with --console-socket the caller gets
// the pty master (checked strictly by recvtty) and the container sees a
// terminal of the configured size on stdin, stdout, stderr and /dev/console.

import { afterAll, beforeAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { buildTools, startRecvtty, type RecvttyResult, type ToolBox } from "../tools/tools.js";
import { DIFFERENTIAL, Pair, describeOutcome, type Outcome, type Which } from "./harness.js";
import { normaliseTty } from "./normalise.js";

const SCRIPT = [
  "tty",
  "if [ -t 0 ] && [ -t 1 ] && [ -t 2 ]; then echo isatty; else echo notatty; fi",
  "stty size",
  "stat -c '%F %t:%T %a' /dev/console",
  "readlink /proc/self/fd/0",
  "echo TERM=$TERM",
  "exit 0",
].join("; ");

needs(...DIFFERENTIAL, "cc").describe("differential: terminal with --console-socket", () => {
  const pair = new Pair();
  let tools: ToolBox;
  const got = {} as Record<Which, { run: Outcome; tty: RecvttyResult }>;

  beforeAll(async () => {
    tools = buildTools(["recvtty"]);
    const bundle = pair.bundle({
      args: ["sh", "-c", SCRIPT],
      edit: (c) => {
        c.process!.terminal = true;
        c.process!.consoleSize = { height: 30, width: 100 };
      },
    });
    for (const which of ["runc", "berth"] as const) {
      const dir = pair.scratch();
      const rt = await startRecvtty(tools.path("recvtty"), dir, { mode: "winsize", timeoutSec: 15 });
      const run = pair.run(which, bundle, { runArgs: ["--detach", "--console-socket", rt.socket], keep: true });
      if (run.code !== 0) rt.kill();
      const killer = setTimeout(() => rt.kill(), 15_000);
      const tty = await rt.done;
      clearTimeout(killer);
      if (run.root !== undefined) pair.delete(which, run.root);
      got[which] = { run, tty };
    }
  });
  afterAll(() => {
    pair.cleanup();
    tools?.remove();
  });

  it("`run --detach --console-socket` succeeds and sends exactly one well-formed fd", () => {
    expect(got.runc.run.code, describeOutcome(got.runc.run)).toBe(0);
    expect(got.berth.run.code, describeOutcome(got.berth.run)).toBe(0);
    expect(got.runc.tty.code, got.runc.tty.stderr).toBe(0);
    expect(got.berth.tty.code, `recvtty: ${got.berth.tty.stderr}`).toBe(0);
  });

  it("the payload names a pty device", () => {
    expect(got.runc.tty.name).toMatch(/^\/dev\/(ptmx|pts\/\d+)$/);
    expect(got.berth.tty.name).toMatch(/^\/dev\/(ptmx|pts\/\d+)$/);
  });

  it("the pty has the configured size before the process runs", () => {
    expect(got.runc.tty.winsize).toBe("30 100");
    expect(got.berth.tty.winsize).toBe(got.runc.tty.winsize);
  });

  it("the container sees the same terminal (tty name, isatty, size, /dev/console, TERM)", () => {
    const runc = normaliseTty(got.runc.tty.output).split("\n");
    const berth = normaliseTty(got.berth.tty.output).split("\n");
    expect(runc).toContain("isatty");
    expect(berth).toEqual(runc);
  });
});
