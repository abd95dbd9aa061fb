// `exec` into a running (or created) container: trailing args and --process,
// --env, --cwd, --user, --detach with a pid file, and exit status propagation.

import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { DEFAULT_ENV, Sandbox, describeResult, isAlive, sleep, type Bundle } from "../helpers/index.js";

needs("containers").describe("lifecycle: exec", () => {
  const sb = new Sandbox();
  let b: Bundle;
  let id: string;
  beforeAll(() => {
    b = sb.bundle({ args: ["sleep", "60"] });
    id = sb.id("exec");
    sb.runDetached(id, b);
  });
  afterAll(() => sb.cleanup());

  it("runs trailing args and passes stdout", () => {
    const r = sb.rt(["exec", id, "echo", "hi", "there"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toBe("hi there\n");
  });

  it("propagates the exit status", () => {
    expect(sb.rt(["exec", id, "sh", "-c", "exit 5"]).code).toBe(5);
  });

  it("exits 128+N when the exec'd process dies of signal N", () => {
    expect(sb.rt(["exec", id, "sh", "-c", "kill -9 $$"]).code).toBe(137);
  });

  it("passes stdin and stderr", () => {
    const r = sb.rt(["exec", id, "sh", "-c", "cat; echo oops >&2"], { input: "data" });
    expect(r.stdout).toBe("data");
    expect(r.stderr).toBe("oops\n");
  });

  it("--env adds variables and --cwd sets the directory", () => {
    const r = sb.rt(["exec", "--env", "FOO=bar", "--env=BAZ=qux", "--cwd", "/tmp", id, "sh", "-c", "echo $FOO $BAZ; pwd"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toBe("bar qux\n/tmp\n");
  });

  it("--user uid:gid sets the identity", () => {
    const r = sb.rt(["exec", "--user", "1000:1000", id, "id"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/^uid=1000 gid=1000/);
  });

  it("-u is the short form of --user, and a uid alone keeps gid 0", () => {
    const r = sb.rt(["exec", "-u", "65534", id, "id", "-u"]);
    expect(r.stdout).toBe("65534\n");
  });

  it("--process FILE runs a full process description", () => {
    const proc = b.path("process.json");
    writeFileSync(
      proc,
      JSON.stringify({
        terminal: false,
        user: { uid: 1000, gid: 1000, additionalGids: [2000] },
        args: ["sh", "-c", "id; echo $PROC_VAR; pwd"],
        env: [...DEFAULT_ENV, "PROC_VAR=fromfile"],
        cwd: "/tmp",
      }),
    );
    const r = sb.rt(["exec", "--process", proc, id]);
    expect(r.code, describeResult(r)).toBe(0);
    const [idLine, v, cwd] = r.stdout.split("\n");
    expect(idLine).toMatch(/^uid=1000 gid=1000 groups=.*2000/);
    expect(v).toBe("fromfile");
    expect(cwd).toBe("/tmp");
  });

  it("-p is the short form of --process", () => {
    const proc = b.path("process2.json");
    writeFileSync(proc, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ["sh", "-c", "exit 7"], cwd: "/", env: DEFAULT_ENV }));
    expect(sb.rt(["exec", "-p", proc, id]).code).toBe(7);
  });

  it("--detach --pid-file returns at once and writes the exec'd pid", async () => {
    const pidFile = b.path("exec-detach.pid");
    const r = sb.rt(["exec", "--detach", "--pid-file", pidFile, id, "sleep", "30"]);
    expect(r.code, describeResult(r)).toBe(0);
    const text = readFileSync(pidFile, "utf8");
    expect(text).toMatch(/^[1-9][0-9]*$/);
    const pid = Number(text);
    sb.trackPid(id, pid);
    expect(isAlive(pid)).toBe(true);
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toBe("sleep\x0030\x00");
    process.kill(pid, "SIGKILL");
    const deadline = Date.now() + 3000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(20);
    expect(isAlive(pid)).toBe(false);
  });

  it("--pid-file in the foreground holds the exec'd process's pid, written before it ends (as runc)", () => {
    const pidFile = b.path("exec-fg.pid");
    const r = sb.rt(["exec", "--pid-file", pidFile, id, "sh", "-c", "echo $$"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(readFileSync(pidFile, "utf8")).toMatch(/^[1-9][0-9]*$/);
  });

  it("the exec'd process leads its own process group and session (as runc)", () => {
    // Fields 5 and 6 of /proc/self/stat: pgrp and session, as seen in the container's pid namespace.
    const r = sb.rt(["exec", id, "sh", "-c", "set -- $(cat /proc/self/stat); echo $1 $5 $6"]);
    expect(r.code, describeResult(r)).toBe(0);
    const [pid, pgrp, session] = r.stdout.trim().split(" ");
    expect(pgrp).not.toBe("0");
    expect(pgrp).toBe(session);
    expect(Number(pid)).toBeGreaterThanOrEqual(Number(pgrp));
  });

  it("the exec'd process sees only fds 0, 1 and 2 (3 is ls's own directory)", () => {
    const r = sb.rt(["exec", id, "ls", "/proc/self/fd"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout.split("\n").filter((l) => l !== "")).toEqual(["0", "1", "2", "3"]);
  });

  it("joins the container's namespaces (same hostname, pid 1 is the init)", () => {
    const r = sb.rt(["exec", id, "sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '"]);
    expect(r.stdout).toBe("berth-test\nsleep 60 ");
  });

  // runc ends a failed exec with status 255, keeping 1…254 for the process's own status.
  it("fails with status 255 and does not exist for an unknown container", () => {
    const r = sb.rt(["exec", sb.id(), "true"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain("does not exist");
  });

  it("fails with status 255 without a pid file when the executable does not exist", () => {
    const pidFile = b.path("never.pid");
    const r = sb.rt(["exec", "--detach", "--pid-file", pidFile, id, "/no/such/binary"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/no such file or directory|not found/i);
    expect(() => readFileSync(pidFile)).toThrow();
  });

  it("fails with status 255 when the pid file cannot be written, and the process does not stay (as runc)", async () => {
    const r = sb.rt([
      "exec",
      "--detach",
      "--pid-file",
      "/nonexistent-berth-dir/pid",
      id,
      "sh",
      "-c",
      "echo leaked > /tmp/pidfile-leak; sleep 30",
    ]);
    expect(r.code, describeResult(r)).toBe(255);
    expect(r.stderr).toMatch(/pid.file|\/nonexistent-berth-dir\/\.?pid/i);
    await sleep(300);
    expect(sb.rt(["exec", id, "sh", "-c", "pgrep -f pidfile-leak || echo none"]).stdout.trim()).toBe("none");
  });

  it("works in a created container before start", async () => {
    const b2 = sb.bundle({ args: ["sleep", "30"] });
    const id2 = sb.id();
    sb.create(id2, b2);
    const r = sb.rt(["exec", id2, "sh", "-c", "echo inside; exit 6"]);
    expect(r.stdout).toBe("inside\n");
    expect(r.code).toBe(6);
    expect(sb.status(id2)).toBe("created");
    sb.ok(["delete", "--force", id2]);
    expect(await sb.waitClean(id2)).toEqual([]);
  });

  it("fails with status 255 for a stopped container", async () => {
    const b2 = sb.bundle({ args: ["true"] });
    const id2 = sb.id();
    sb.runDetached(id2, b2);
    await sb.waitStatus(id2, "stopped");
    const r = sb.rt(["exec", id2, "true"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/stopped|not running/);
    sb.ok(["delete", id2]);
  });
});
