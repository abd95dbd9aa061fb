// config.md hooks (POSIX platforms): order, state on stdin, and the namespace
// each kind runs in.

import { readFileSync, readlinkSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { needs } from "../test/helpers/host.js";
import { Sandbox, addAllRecordingHooks, readHookLog, recordingHook, type Bundle, type HookKind } from "../test/helpers/index.js";

needs("containers").describe("conformance: config.md hooks", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  /** A hook that writes the mount and network namespaces it runs in to <rootfs>/ns-<kind>. */
  function nsHook(b: Bundle, kind: HookKind) {
    const out = kind === "startContainer" ? `/ns-${kind}` : b.inRootfs(`/ns-${kind}`);
    return { path: "/bin/sh", args: ["sh", "-c", `readlink /proc/self/ns/mnt > ${out}; readlink /proc/self/ns/net >> ${out}`] };
  }

  it("config.md hooks: hooks of one kind are called in the listed order", () => {
    const b = sb.bundle({ args: ["true"] });
    b.config.hooks = { createRuntime: ["one", "two", "three"].map((t) => recordingHook(b, "createRuntime", t)) };
    b.write();
    const id = sb.id();
    sb.create(id, b);
    expect(readHookLog(b).map((r) => r.tag)).toEqual(["one", "two", "three"]);
    sb.ok(["delete", "--force", id]);
  });

  it("config.md hooks: the container state is passed to every hook on stdin", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    addAllRecordingHooks(b);
    b.write();
    const id = sb.id();
    sb.create(id, b);
    sb.ok(["start", id]);
    await sb.waitFile(b.inRootfs("/hooks.log"), /^startContainer \{.*\}$/m);
    sb.ok(["delete", "--force", id]);
    const recs = readHookLog(b);
    expect(recs.map((r) => r.tag).sort()).toEqual([
      "createContainer",
      "createRuntime",
      "poststart",
      "poststop",
      "prestart",
      "startContainer",
    ]);
    for (const r of recs)
      expect(r.state, `${r.tag}: ${r.raw}`).toMatchObject({
        id,
        bundle: b.dir,
        ociVersion: expect.any(String),
        status: expect.any(String),
      });
  });

  it("config.md prestart/createRuntime/createContainer: called in that order during create, before start", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    addAllRecordingHooks(b);
    b.write();
    const id = sb.id();
    sb.create(id, b);
    const tags = readHookLog(b)
      .map((r) => r.tag)
      .filter((t) => t !== "poststart");
    expect(tags).toEqual(["prestart", "createRuntime", "createContainer"]);
    sb.ok(["delete", "--force", id]);
  });

  it("config.md hooks: prestart, createRuntime, poststart and poststop run in the runtime namespace; createContainer and startContainer in the container's", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const kinds: HookKind[] = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];
    b.config.hooks = {};
    for (const k of kinds) b.config.hooks[k] = [nsHook(b, k)];
    b.write();
    const id = sb.id();
    sb.create(id, b);
    sb.ok(["start", id]);
    await sb.waitFile(b.inRootfs("/ns-startContainer"), "net:");
    await sb.waitFile(b.inRootfs("/ns-poststart"), "net:");
    const pid = sb.state(id).pid;
    const container = [readlinkSync(`/proc/${pid}/ns/mnt`), readlinkSync(`/proc/${pid}/ns/net`)];
    const host = [readlinkSync("/proc/self/ns/mnt"), readlinkSync("/proc/self/ns/net")];
    sb.ok(["delete", "--force", id]);
    const seen = (k: HookKind) =>
      readFileSync(b.inRootfs(`/ns-${k}`), "utf8")
        .trim()
        .split("\n");
    for (const k of ["prestart", "createRuntime", "poststart", "poststop"] as HookKind[]) expect(seen(k), k).toEqual(host);
    for (const k of ["createContainer", "startContainer"] as HookKind[]) expect(seen(k), k).toEqual(container);
  });

  // runc 1.1 calls poststart hooks at the end of create.
  needs("berth").it("config.md poststart: called after the user process has started, as part of start", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    addAllRecordingHooks(b);
    b.write();
    const id = sb.id();
    sb.create(id, b);
    expect(readHookLog(b).map((r) => r.tag)).not.toContain("poststart");
    sb.ok(["start", id]);
    expect(readHookLog(b).map((r) => r.tag)).toContain("poststart");
    sb.ok(["delete", "--force", id]);
  });
});
