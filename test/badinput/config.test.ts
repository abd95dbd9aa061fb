// Bad bundles and bad config.json: create must fail with status 1, say what is
// wrong (berth names the file or JSON path), and leave nothing behind.

import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import { has, needs } from "../helpers/host.js";
import { Sandbox, TMP_PREFIX, type Bundle } from "../helpers/index.js";
import { expectCleanFailure } from "./common.js";

needs("containers").describe("bad input: bundle and config.json", () => {
  // One sandbox per test: every test checks that its root is left empty.
  let sb = new Sandbox();
  const all: Sandbox[] = [];
  afterEach(async () => {
    all.push(sb);
    sb = new Sandbox();
  });
  afterAll(async () => {
    all.push(sb);
    for (const s of all) await s.cleanup();
  });

  function attempt(b: Bundle | string, cmd: "create" | "run" = "create") {
    const id = sb.id("bad");
    sb.track(id, b);
    const dir = typeof b === "string" ? b : b.dir;
    return { id, r: sb.rt(cmd === "run" ? ["run", "--detach", "--bundle", dir, id] : ["create", "--bundle", dir, id]) };
  }

  /** A bundle whose config was edited by `edit` (untyped on purpose: the edits break the schema). */
  function badConfig(edit: (c: any) => void): Bundle {
    const b = sb.bundle();
    edit(b.config);
    b.write();
    return b;
  }

  it("missing bundle directory", async () => {
    const dir = join(mkdtempSync(`${TMP_PREFIX}gone-`), "missing");
    sb.trackPath(join(dir, ".."));
    const { id, r } = attempt(dir);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain(dir);
  });

  it("bundle without config.json", async () => {
    const b = sb.bundle({ noConfig: true });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("config.json");
  });

  it("config.json that is not JSON", async () => {
    const b = sb.bundle();
    b.write('{"ociVersion": "1.0.2", bad');
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    if (has("berth")) expect(r.stderr).toContain("config.json");
  });

  it("config.json that is an empty file", async () => {
    const b = sb.bundle();
    b.write("");
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
  });

  it("run (not only create) refuses bad input cleanly", async () => {
    const b = sb.bundle();
    b.write("[]");
    const { id, r } = attempt(b, "run");
    await expectCleanFailure(sb, r, id);
  });

  it("schema violation: process.args is a string", async () => {
    const b = badConfig((c) => {
      c.process.args = "sh";
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("process.args");
  });

  it("schema violation: unknown namespace type", async () => {
    const b = badConfig((c) => {
      c.linux.namespaces.push({ type: "bogus" });
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("bogus");
    if (has("berth")) expect(r.stderr).toContain("linux.namespaces[5].type");
  });

  it("schema violation: process.user.uid is negative", async () => {
    const b = badConfig((c) => {
      c.process.user.uid = -1;
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    if (has("berth")) expect(r.stderr).toContain("process.user.uid");
  });

  it("schema violation: mounts is an object", async () => {
    const b = badConfig((c) => {
      c.mounts = { destination: "/x" };
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    if (has("berth")) expect(r.stderr).toContain("mounts");
  });

  it("missing process.cwd", async () => {
    const b = badConfig((c) => {
      delete c.process.cwd;
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toMatch(/cwd/i);
    if (has("berth")) expect(r.stderr).toContain("process.cwd");
  });

  // runc 1.1 accepts any ociVersion string; berth checks it against the versions it supports.
  needs("berth").it("bad ociVersion", async () => {
    const b = badConfig((c) => {
      c.ociVersion = "banana";
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("ociVersion");
  });

  needs("berth").it("ociVersion of an unsupported major version", async () => {
    const b = badConfig((c) => {
      c.ociVersion = "2.0.0";
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("ociVersion");
  });

  it("root.path does not exist", async () => {
    const b = badConfig((c) => {
      c.root.path = "no-such-rootfs";
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("no-such-rootfs");
    if (has("berth")) expect(r.stderr).toMatch(/root\.path/);
  });

  it("rootfs directory missing from the bundle", async () => {
    const b = sb.bundle({ noRootfs: true });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("rootfs");
  });

  it("process.args[0] is not in the rootfs", async () => {
    const b = badConfig((c) => {
      c.process.args = ["/no/such/program"];
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("/no/such/program");
  });

  it("a namespace path that does not exist", async () => {
    const b = badConfig((c) => {
      c.linux.namespaces[1] = { type: "network", path: "/proc/0/ns/net-missing" };
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("/proc/0/ns/net-missing");
  });

  it("a mount whose source does not exist", async () => {
    const b = badConfig((c) => {
      c.mounts.push({ destination: "/data", type: "bind", source: "/nonexistent-berth-test-src", options: ["rbind"] });
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("/nonexistent-berth-test-src");
  });

  it("a duplicate namespace type", async () => {
    const b = badConfig((c) => {
      c.linux.namespaces.push({ type: "pid" });
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    if (has("berth")) expect(r.stderr).toContain("linux.namespaces[5]");
  });

  // config.md process.capabilities: unknown names are logged as a warning, not an error (runc does the same).
  it("an unknown capability name is only a warning", async () => {
    const b = badConfig((c) => {
      c.process.capabilities.bounding.push("CAP_BOGUS");
    });
    const id = sb.id();
    const r = sb.create(id, b);
    expect(r.stderr).toContain("CAP_BOGUS");
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("an unknown rlimit type", async () => {
    const b = badConfig((c) => {
      c.process.rlimits.push({ type: "RLIMIT_BOGUS", soft: 1, hard: 1 });
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("RLIMIT_BOGUS");
  });

  it("a hook whose path does not exist fails create cleanly", async () => {
    const b = badConfig((c) => {
      c.hooks = { prestart: [{ path: "/nonexistent-berth-test-hook" }] };
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
  });

  needs("berth").it("linux.intelRdt with a value the spec forbids: the error names the field", async () => {
    const b = badConfig((c) => {
      c.linux.intelRdt = { memBwSchema: "L3:0=f" };
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toContain("linux.intelRdt.memBwSchema");
  });

  needs("berth", "no-resctrl").it("linux.intelRdt on a host without resctrl: the spec's error, naming the field", async () => {
    const b = badConfig((c) => {
      c.linux.intelRdt = { closID: "gold", l3CacheSchema: "L3:0=f" };
    });
    const { id, r } = attempt(b);
    await expectCleanFailure(sb, r, id);
    expect(r.stderr).toMatch(/linux\.intelRdt: this host has no resctrl filesystem mounted/);
  });

  it("a bad bundle does not disturb a good container with another id", async () => {
    const good = sb.bundle({ args: ["sleep", "30"] });
    const goodId = sb.id("good");
    sb.create(goodId, good);
    const bad = sb.bundle();
    bad.write("nope");
    const badId = sb.id("bad");
    sb.track(badId, bad);
    const r = sb.rt(["create", "--bundle", bad.dir, badId]);
    expect(r.code).toBe(1);
    expect(sb.status(goodId)).toBe("created");
    expect(sb.leaksOf(badId), "bad").toEqual([]);
    sb.ok(["delete", "--force", goodId]);
    expect(await sb.waitClean(goodId)).toEqual([]);
  });
});
