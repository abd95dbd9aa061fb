// File descriptors reaching the container: only stdio by default, plus the
// ones --preserve-fds and LISTEN_FDS ask for, as fd 3, 4, …

import { closeSync, openSync, writeFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult } from "../helpers/index.js";

function fdList(stdout: string): string[] {
  return stdout.split("\n").filter((l) => /^\d+$/.test(l));
}

needs("containers").describe("lifecycle: file descriptors", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  function fileFd(name: string, content: string): number {
    const p = `${sb.root}/${name}`;
    writeFileSync(p, content);
    return openSync(p, "r");
  }

  it("the container init of run sees only 0, 1, 2 (and ls's own 3)", () => {
    const b = sb.bundle({ args: ["ls", "/proc/self/fd"] });
    const id = sb.id();
    sb.track(id, b);
    // Offer an extra fd to the runtime without asking for it to be preserved.
    const extra = fileFd("unasked", "x");
    try {
      const r = sb.rt(["run", "--bundle", b.dir, id], { extraFds: [extra] });
      expect(r.code, describeResult(r)).toBe(0);
      expect(fdList(r.stdout)).toEqual(["0", "1", "2", "3"]);
    } finally {
      closeSync(extra);
    }
  });

  it("create then start: the init sees only 0, 1, 2 (and ls's own 3)", async () => {
    const b = sb.bundle({ args: ["sh", "-c", "ls /proc/self/fd > /tmp/fds"] });
    const id = sb.id();
    sb.create(id, b);
    sb.ok(["start", id]);
    await sb.waitStatus(id, "stopped");
    const out = await sb.waitFile(b.inRootfs("/tmp/fds"));
    expect(fdList(out)).toEqual(["0", "1", "2", "3"]);
    sb.ok(["delete", id]);
  });

  it("stdio that is the host's /dev/null becomes the container's own /dev/null (as runc: criu can then checkpoint it); a pipe is left", () => {
    // The device and inode of fd 0 and of the container's /dev/null, then the type of fd 1 (a file here).
    const b = sb.bundle({ args: ["sh", "-c", 'stat -L -c "%d %i" /proc/self/fd/0 /dev/null; stat -L -c %F /proc/self/fd/1'] });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["run", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(0);
    const [stdin, devNull, stdout] = r.stdout.trim().split("\n");
    expect(stdin, r.stdout).toBe(devNull);
    expect(stdout, r.stdout).not.toMatch(/character/);
  });

  it("--preserve-fds N passes fds 3 … 3+N-1 into the container", () => {
    const b = sb.bundle({ args: ["sh", "-c", "cat <&3; cat <&4; ls /proc/self/fd"] });
    const id = sb.id();
    sb.track(id, b);
    const a = fileFd("pa", "first\n");
    const c = fileFd("pb", "second\n");
    try {
      const r = sb.rt(["run", "--preserve-fds", "2", "--bundle", b.dir, id], { extraFds: [a, c] });
      expect(r.code, describeResult(r)).toBe(0);
      const lines = r.stdout.split("\n");
      expect(lines.slice(0, 2)).toEqual(["first", "second"]);
      expect(fdList(r.stdout)).toEqual(["0", "1", "2", "3", "4", "5"]);
    } finally {
      closeSync(a);
      closeSync(c);
    }
  });

  it("--preserve-fds=N (equals form) works the same", () => {
    const b = sb.bundle({ args: ["sh", "-c", "cat <&3"] });
    const id = sb.id();
    sb.track(id, b);
    const a = fileFd("pc", "eq\n");
    try {
      const r = sb.rt(["run", "--preserve-fds=1", "--bundle", b.dir, id], { extraFds: [a] });
      expect(r.code, describeResult(r)).toBe(0);
      expect(r.stdout).toBe("eq\n");
    } finally {
      closeSync(a);
    }
  });

  it("LISTEN_FDS passes the socket-activation fds and sets LISTEN_FDS / LISTEN_PID=1", () => {
    const b = sb.bundle({ args: ["sh", "-c", 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3'] });
    const id = sb.id();
    sb.track(id, b);
    const a = fileFd("la", "activated\n");
    try {
      const r = sb.rt(["run", "--bundle", b.dir, id], { extraFds: [a], listenFds: 1 });
      expect(r.code, describeResult(r)).toBe(0);
      expect(r.stdout).toBe("1 1\nactivated\n");
    } finally {
      closeSync(a);
    }
  });

  it("LISTEN_FDS and --preserve-fds add up: activation fds first", () => {
    const b = sb.bundle({ args: ["sh", "-c", "cat <&3; cat <&4"] });
    const id = sb.id();
    sb.track(id, b);
    const a = fileFd("lb", "listen\n");
    const c = fileFd("lc", "preserved\n");
    try {
      const r = sb.rt(["run", "--preserve-fds", "1", "--bundle", b.dir, id], { extraFds: [a, c], listenFds: 1 });
      expect(r.code, describeResult(r)).toBe(0);
      expect(r.stdout).toBe("listen\npreserved\n");
    } finally {
      closeSync(a);
      closeSync(c);
    }
  });

  it("exec --preserve-fds passes fds into the exec'd process", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    const a = fileFd("ea", "toexec\n");
    try {
      const r = sb.rt(["exec", "--preserve-fds", "1", id, "sh", "-c", "cat <&3"], { extraFds: [a] });
      expect(r.code, describeResult(r)).toBe(0);
      expect(r.stdout).toBe("toexec\n");
    } finally {
      closeSync(a);
    }
    sb.ok(["delete", "--force", id]);
  });
});
