// process.terminal, berth against runc: with --console-socket the caller gets
// the pty master (checked strictly by recvtty) and the container sees a
// terminal of the configured size on stdin, stdout, stderr and /dev/console.

import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { buildTools, startRecvtty, type RecvttyResult, type ToolBox } from "../tools/tools.js";
import { DIFFERENTIAL, Pair, RUNTIMES, describeOutcome, type Outcome, type Which } from "./harness.js";
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

// `run` in the foreground with a terminal and no console socket: the runtime relays the pty.
// The caller's stdin is a terminal (script gives one); stdout is a pipe, as when a script
// reads the output. Carriage returns the runtime relays show as "#".
needs(...DIFFERENTIAL, "script").describe("differential: terminal relayed by run in the foreground", () => {
  const pair = new Pair();
  const got = {} as Record<Which, string[]>;

  beforeAll(() => {
    const bundle = pair.bundle({
      args: ["sh", "-c", "echo one; echo two; stat -c '%u' $(tty)"],
      edit: (c) => {
        c.process!.terminal = true;
        c.process!.user = { uid: 1000, gid: 1000 };
      },
    });
    for (const which of ["runc", "berth"] as const) {
      const root = pair.scratch();
      const id = `berth-test-fg-${which}-${process.pid}`;
      const inner = `${RUNTIMES[which]} --root ${root} run --bundle ${bundle.dir} ${id} | tr '\\r' '#'`;
      const r = spawnSync("script", ["-qec", inner, "/dev/null"], { encoding: "utf8", timeout: 30_000 });
      got[which] = (r.stdout ?? "")
        .replace(/\r/g, "")
        .replace(/\0|\^@/g, "")
        .split("\n")
        .filter((l) => l !== "");
      spawnSync(RUNTIMES[which], ["--root", root, "delete", "--force", id]);
    }
  });
  afterAll(() => pair.cleanup());

  it("output lines end in plain \\n, as runc relays them", () => {
    expect(got.runc.slice(0, 2)).toEqual(["one", "two"]);
    expect(got.berth.slice(0, 2)).toEqual(got.runc.slice(0, 2));
  });

  it("the pty belongs to the process's user", () => {
    expect(got.runc[2]).toBe("1000");
    expect(got.berth[2]).toBe(got.runc[2]);
  });
});
