// runtime.md: the state document and the lifecycle operations.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { afterAll, expect, it } from "vitest";
import { needs } from "../test/helpers/host.js";
import { Sandbox, describeResult, isAlive, sleep } from "../test/helpers/index.js";

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

needs("containers").describe("conformance: runtime.md", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("runtime.md state: the state has ociVersion, id, status, pid and an absolute bundle", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.create(id, b);
    const s = sb.state(id) as unknown as Record<string, unknown>;
    expect(s.ociVersion).toMatch(SEMVER);
    expect(s.id).toBe(id);
    expect(s.status).toBe("created");
    expect(Number.isInteger(s.pid) && (s.pid as number) > 0).toBe(true);
    expect(typeof s.bundle).toBe("string");
    expect(isAbsolute(s.bundle as string)).toBe(true);
    expect(s.bundle).toBe(b.dir);
    if (s.annotations !== undefined) expect(typeof s.annotations).toBe("object");
    sb.ok(["delete", "--force", id]);
  });

  it("runtime.md state: annotations from config.json appear in the state", () => {
    const b = sb.bundle({
      args: ["sleep", "30"],
      edit: (c) => {
        c.annotations = { "org.example.key": "value" };
      },
    });
    const id = sb.id();
    sb.create(id, b);
    expect(sb.state(id).annotations).toEqual({ "org.example.key": "value" });
    sb.ok(["delete", "--force", id]);
  });

  it("runtime.md state: status is created after create and pid is the live container process", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.create(id, b);
    const s = sb.state(id);
    expect(s.status).toBe("created");
    expect(isAlive(s.pid ?? 0)).toBe(true);
    sb.ok(["delete", "--force", id]);
  });

  it("runtime.md state: status is running after start and stopped after the process exits", async () => {
    // It runs until told to stop (a file appears): a fixed sleep can end before `state`
    // answers on a slow machine.
    const b = sb.bundle({ args: ["sh", "-c", "while [ ! -e /tmp/stop ]; do sleep 0.05; done"] });
    const id = sb.id();
    sb.create(id, b);
    sb.ok(["start", id]);
    expect(sb.state(id).status).toBe("running");
    writeFileSync(b.inRootfs("/tmp/stop"), "");
    await sb.waitStatus(id, "stopped");
    sb.ok(["delete", id]);
  });

  it("runtime.md query state: querying a container that does not exist is an error", () => {
    const r = sb.rt(["state", sb.id()]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
  });

  it("runtime.md create: a non-unique id is an error and no new container is created", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.create(id, b);
    const before = sb.state(id);
    const b2 = sb.bundle({ args: ["sleep", "30"] });
    const r = sb.rt(["create", "--bundle", b2.dir, id]);
    expect(r.code).not.toBe(0);
    expect(sb.state(id)).toEqual(before);
    const ids = sb
      .ok(["list", "-q"])
      .stdout.split("\n")
      .filter((l) => l === id);
    expect(ids).toHaveLength(1);
    sb.ok(["delete", "--force", id]);
  });

  it("runtime.md create: process.args is not run until start", async () => {
    const b = sb.bundle({ args: ["sh", "-c", "touch /tmp/started; exec sleep 30"] });
    const id = sb.id();
    sb.create(id, b);
    await sleep(300);
    expect(existsSync(b.inRootfs("/tmp/started"))).toBe(false);
    sb.ok(["start", id]);
    await sb.waitFile(b.inRootfs("/tmp/started"));
    sb.ok(["delete", "--force", id]);
  });

  it("runtime.md lifecycle: config.json changes after create do not affect the container", async () => {
    const b = sb.bundle({ args: ["sh", "-c", "echo original > /tmp/which; exec sleep 30"] });
    const id = sb.id();
    sb.create(id, b);
    b.config.process = { ...(b.config.process ?? { user: { uid: 0, gid: 0 }, cwd: "/" }), args: ["sh", "-c", "echo changed > /tmp/which"] };
    b.write();
    sb.ok(["start", id]);
    expect(await sb.waitFile(b.inRootfs("/tmp/which"), "\n")).toBe("original\n");
    sb.ok(["delete", "--force", id]);
  });

  it("runtime.md start: starting a running container is an error with no effect", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    const pid = sb.state(id).pid;
    expect(sb.rt(["start", id]).code).not.toBe(0);
    expect(sb.state(id)).toMatchObject({ status: "running", pid });
    sb.ok(["delete", "--force", id]);
  });

  it("runtime.md start: starting a stopped container is an error with no effect", async () => {
    const b = sb.bundle({ args: ["sh", "-c", "echo x >> /tmp/runs"] });
    const id = sb.id();
    sb.runDetached(id, b);
    await sb.waitStatus(id, "stopped");
    expect(sb.rt(["start", id]).code).not.toBe(0);
    expect(sb.state(id).status).toBe("stopped");
    expect(readFileSync(b.inRootfs("/tmp/runs"), "utf8")).toBe("x\n");
    sb.ok(["delete", id]);
  });

  it("runtime.md start: the user program runs as specified by process", () => {
    const b = sb.bundle({ args: ["sh", "-c", "echo $0 $1", "first", "second"] });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["run", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toBe("first second\n");
  });

  it("runtime.md kill: signalling a stopped container is an error with no effect", async () => {
    const b = sb.bundle({ args: ["true"] });
    const id = sb.id();
    sb.runDetached(id, b);
    await sb.waitStatus(id, "stopped");
    expect(sb.rt(["kill", id, "TERM"]).code).not.toBe(0);
    expect(sb.state(id).status).toBe("stopped");
    sb.ok(["delete", id]);
  });

  it("runtime.md kill: the signal reaches the container process (created and running)", async () => {
    const b = sb.bundle({ args: ["sh", "-c", "trap 'echo usr1 >> /tmp/sig' USR1; while :; do sleep 0.05; done"] });
    const id = sb.id();
    sb.create(id, b);
    sb.ok(["kill", id, "KILL"]);
    await sb.waitStatus(id, "stopped");
    sb.ok(["delete", id]);

    const b2 = sb.bundle({ args: ["sh", "-c", "trap 'echo usr1 >> /tmp/sig' USR1; while :; do sleep 0.05; done"] });
    const id2 = sb.id();
    sb.runDetached(id2, b2);
    await sleep(150);
    sb.ok(["kill", id2, "USR1"]);
    expect(await sb.waitFile(b2.inRootfs("/tmp/sig"), "usr1")).toBe("usr1\n");
    expect(sb.status(id2)).toBe("running");
    sb.ok(["delete", "--force", id2]);
  });

  it("runtime.md delete: deleting a running container is an error with no effect", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    const before = sb.state(id);
    expect(sb.rt(["delete", id]).code).not.toBe(0);
    expect(sb.state(id)).toEqual(before);
    expect(isAlive(before.pid ?? 0)).toBe(true);
    sb.ok(["delete", "--force", id]);
  });

  // runtime.md says deleting a created container is an error; berth follows runc (and crun,
  // youki), which delete it, because containerd deletes created containers without --force.
  it("runtime.md delete (runc behaviour): deleting a created container kills and removes it", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.create(id, b);
    sb.ok(["delete", id]);
    expect(sb.status(id)).toBe("absent");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("runtime.md delete: deleting removes what create made (state, cgroups, mounts, processes)", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    sb.ok(["kill", id, "KILL"]);
    await sb.waitStatus(id, "stopped");
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("runtime.md errors: a failed create leaves the environment as if it was never attempted", async () => {
    const b = sb.bundle({ args: ["/no/such/binary"] });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["create", "--bundle", b.dir, id]);
    expect(r.code).not.toBe(0);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("runtime.md lifecycle: a failing prestart hook is an error and the container is destroyed", async () => {
    const b = sb.bundle({
      args: ["true"],
      edit: (c) => {
        c.hooks = { prestart: [{ path: "/bin/false" }] };
      },
    });
    const id = sb.id();
    sb.track(id, b);
    expect(sb.rt(["create", "--bundle", b.dir, id]).code).not.toBe(0);
    expect(sb.status(id)).toBe("absent");
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
