// Bad command lines: invalid or duplicate ids, bad flag values, unknown
// flags, missing arguments. Each must exit 1 with a message naming what is
// wrong and leave nothing behind.

import { afterAll, afterEach, expect, it } from "vitest";
import { has, needs } from "../helpers/host.js";
import { Sandbox, describeResult, disposeSharedRoot, runtime } from "../helpers/index.js";
import { expectCleanFailure, expectFailure } from "./common.js";

afterAll(() => disposeSharedRoot());

needs("containers").describe("bad input: container ids and create flags", () => {
  let sb = new Sandbox();
  const all: Sandbox[] = [];
  afterEach(() => {
    all.push(sb);
    sb = new Sandbox();
  });
  afterAll(async () => {
    all.push(sb);
    for (const s of all) await s.cleanup();
  });

  for (const bad of ["a/b", "..", ".", "../escape", "with space", "semi;colon", ""]) {
    it(`create refuses the invalid id ${JSON.stringify(bad)}`, async () => {
      const b = sb.bundle();
      // The leak check searches for a unique stand-in id plus the bundle path; the
      // empty-root check covers whatever name a runtime might have used for `bad`.
      const standIn = sb.id("invalid");
      sb.track(standIn, b);
      const r = sb.rt(["create", "--bundle", b.dir, bad]);
      await expectCleanFailure(sb, r, standIn, { usageOnStdout: bad === "" });
      expect(r.stderr).toMatch(/id/i);
    });
  }

  it("create with a duplicate id fails and keeps the first container intact", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.create(id, b);
    const before = sb.state(id);
    const r = sb.rt(["create", "--bundle", sb.bundle().dir, id]);
    expectFailure(r);
    expect(r.stderr).toContain("already exists");
    expect(sb.state(id)).toEqual(before);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("--preserve-fds with a non-number fails naming the flag", async () => {
    const b = sb.bundle();
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["create", "--preserve-fds", "x", "--bundle", b.dir, id]);
    await expectCleanFailure(sb, r, id, { usageOnStdout: true });
    expect(r.stderr).toContain("preserve-fds");
    if (has("berth")) expect(r.stderr).toContain("--preserve-fds");
  });

  // runc 1.1 silently treats a negative count as 0.
  needs("berth").it("--preserve-fds with a negative number fails naming the flag", async () => {
    const b = sb.bundle();
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["create", "--preserve-fds", "-1", "--bundle", b.dir, id]);
    await expectCleanFailure(sb, r, id, { usageOnStdout: true });
    expect(r.stderr).toContain("--preserve-fds");
  });

  it("--pid-file in a directory that does not exist fails and removes the container", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["create", "--pid-file", "/nonexistent-berth-test-dir/x/pid", "--bundle", b.dir, id]);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("/nonexistent-berth-test-dir/x");
  });

  it("--console-socket without process.terminal fails and leaves nothing", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["create", "--console-socket", "/nonexistent-berth-test.sock", "--bundle", b.dir, id]);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toMatch(/console/);
  });

  it("process.terminal without --console-socket fails create and leaves nothing", async () => {
    const b = sb.bundle({
      args: ["sleep", "30"],
      edit: (c) => {
        if (c.process) c.process.terminal = true;
      },
    });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["create", "--bundle", b.dir, id]);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toMatch(/console/);
  });

  it("an unknown create flag fails naming the flag and creates nothing", async () => {
    const b = sb.bundle();
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["create", "--bogus-flag", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toContain("bogus-flag");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("kill with an unknown signal fails naming it and has no effect", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    for (const sig of ["BOGUS", "SIGBOGUS", "999", "-1", "1.5"]) {
      const r = sb.rt(["kill", id, sig]);
      expect(r.code, describeResult(r)).not.toBe(0);
      expect(sb.status(id)).toBe("running");
      if (has("berth")) {
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(sig);
      }
    }
    sb.ok(["delete", "--force", id]);
  });

  it("exec --user with a non-numeric user fails without starting anything", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    const r = sb.rt(["exec", "--user", "1000:abc", id, "true"]);
    expect(r.code).not.toBe(0);
    expect(sb.status(id)).toBe("running");
    if (has("berth")) expect(r.stderr).toContain("--user");
    sb.ok(["delete", "--force", id]);
  });

  it("exec --process with a missing file fails naming it", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    const r = sb.rt(["exec", "--process", "/nonexistent-berth-test-process.json", id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("/nonexistent-berth-test-process.json");
    sb.ok(["delete", "--force", id]);
  });
});

needs("runtime").describe("bad input: missing arguments and unknown flags", () => {
  const cases: Array<[string, string[]]> = [
    ["create without an id", ["create"]],
    ["start without an id", ["start"]],
    ["state without an id", ["state"]],
    ["kill without an id", ["kill"]],
    ["delete without an id", ["delete"]],
    ["exec without an id", ["exec"]],
    ["run without an id", ["run"]],
    ["ps without an id", ["ps"]],
    ["state with two ids", ["state", "berth-test-a", "berth-test-b"]],
    ["an unknown global flag", ["--bogus-global", "list"]],
    ["--log-format with an unknown value", ["--log-format", "xml", "list"]],
  ];
  for (const [name, args] of cases) {
    it(`${name} fails with status 1 and a message`, () => {
      const r = runtime(args);
      expect(r.code, describeResult(r)).toBe(1);
      expect(r.stderr.trim()).not.toBe("");
    });
  }

  it("exec with an id but no command and no --process fails", () => {
    const r = runtime(["exec", "berth-test-nothing"]);
    expect(r.code).not.toBe(0);
  });

  needs("berth").it("a missing id is reported by name", () => {
    const r = runtime(["start"]);
    expect(r.stderr).toMatch(/container[ -]id/i);
  });
});
