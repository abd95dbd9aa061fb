// checkpoint and restore of a container with a terminal (process.terminal): the pty's
// master is the caller's, outside the container, so the pty is external to the image and
// restore gives the restored process a new one, whose master goes to --console-socket.
// The restored shell keeps its memory, has the new pty as its controlling terminal and
// reads what is written to the new master. Needs a kernel criu supports (the qemu guest).

import { closeSync, readFileSync, statSync, writeSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult } from "../helpers/index.js";
import { ConsoleReceiver } from "../helpers/consoleReceiver.js";
import { nextCount, readCounter, waitCount } from "../helpers/counter.js";

// Counts in memory; a line written to the terminal lands in /tmp/got.
const COUNTER_TTY = [
  "sh",
  "-c",
  'i=0; while :; do i=$((i+1)); echo "$$ $i" > /tmp/n; if read -t 1 line; then echo "$line" > /tmp/got; fi; done',
];

/** The tty_nr field of /proc/<pid>/stat: the controlling terminal's device number (0: none). */
function ttyNr(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, "latin1");
  return Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[4]);
}

needs("containers", "criu").describe("checkpoint and restore of a container with a terminal", () => {
  const sb = new Sandbox();
  const receivers: ConsoleReceiver[] = [];
  const fds: number[] = [];
  afterAll(async () => {
    for (const fd of fds) closeSync(fd);
    for (const r of receivers) r.close();
    await sb.cleanup();
  });
  const receiver = (): ConsoleReceiver => {
    const r = new ConsoleReceiver();
    receivers.push(r);
    return r;
  };

  it("restore --console-socket hands over a new pty, the restored shell's controlling terminal; its memory is kept", async () => {
    const b = sb.bundle({ args: COUNTER_TTY, edit: (c) => (c.process!.terminal = true) });
    const id = sb.id();
    sb.track(id, b);
    const c1 = receiver();
    sb.ok(["run", "-d", "--console-socket", c1.socket, "-b", b.dir, id]);
    const first = c1.receive();
    fds.push(first.fd);
    const file = b.inRootfs("/tmp/n");
    await waitCount(file, 3);
    const dir = sb.tempDir("criu-");
    const cp = sb.rt(["checkpoint", "--image-path", dir, id], { timeoutMs: 120_000 });
    expect(cp.code, describeResult(cp)).toBe(0);
    expect(existsSync(join(dir, "berth-terminal.json"))).toBe(true);
    const stopped = readCounter(file);

    const c2 = receiver();
    const rs = sb.rt(["restore", "-d", "--console-socket", c2.socket, "--image-path", dir, "-b", b.dir, id], { timeoutMs: 120_000 });
    expect(rs.code, describeResult(rs)).toBe(0);
    const second = c2.receive();
    fds.push(second.fd);
    expect(second.fd).toBeGreaterThan(2);
    expect(second.name).toMatch(/^\/dev\/pts\/\d+$/);
    const pid = Number(sb.state(id).pid);
    // The new pty's slave is the restored shell's stdin and its controlling terminal.
    const slave = statSync(second.name).rdev;
    expect(statSync(`/proc/${pid}/fd/0`).rdev).toBe(slave);
    expect(ttyNr(pid)).toBe(slave);
    const seen = await nextCount(file, stopped.n);
    expect(seen.pid).toBe(1);
    expect(seen.n).toBeGreaterThan(stopped.n);
    writeSync(second.fd, "hello again\n");
    const got = b.inRootfs("/tmp/got");
    const deadline = Date.now() + 30_000;
    while (!(existsSync(got) && readFileSync(got, "utf8") === "hello again\n") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(got, "utf8")).toBe("hello again\n");
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("restore of a container with a terminal without --console-socket is refused, leaving nothing", () => {
    const b = sb.bundle({ args: ["true"], edit: (c) => (c.process!.terminal = true) });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["restore", "--image-path", b.path("none"), "-b", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/--console-socket/);
    expect(sb.status(id)).toBe("absent");
  });
});
