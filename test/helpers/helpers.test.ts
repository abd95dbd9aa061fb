// Checks of the test utilities themselves (no runtime needed, except the last
// group, which runs one container to prove that leak detection sees it).

import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { needs } from "./host.js";
import { makeBundle, makeRootfs, Sandbox, uniqueId, findLeaks, cgroupDirsMatching } from "./index.js";

describe("makeRootfs / makeBundle", () => {
  const bundle = makeBundle({ args: ["sh", "-c", "exit 0"] });
  afterAll(() => rmSync(bundle.dir, { recursive: true, force: true }));

  it("builds a busybox rootfs with applets, users and mount points", () => {
    expect(bundle.dir).toMatch(/^\/tmp\/berth-test-bundle-/);
    expect(lstatSync(bundle.inRootfs("/bin/busybox")).isFile()).toBe(true);
    expect(readlinkSync(bundle.inRootfs("/bin/sh"))).toBe("/bin/busybox");
    expect(readlinkSync(bundle.inRootfs("/bin/ls"))).toBe("/bin/busybox");
    expect(readFileSync(bundle.inRootfs("/etc/passwd"), "utf8")).toMatch(/^nobody:x:65534:65534:/m);
    expect(readFileSync(bundle.inRootfs("/etc/group"), "utf8")).toMatch(/^root:x:0:/m);
    for (const d of ["proc", "sys", "dev", "tmp"]) expect(lstatSync(bundle.inRootfs(d)).isDirectory()).toBe(true);
  });

  it("writes a runc-like config.json", () => {
    const c = JSON.parse(readFileSync(bundle.path("config.json"), "utf8"));
    expect(c.process.args).toEqual(["sh", "-c", "exit 0"]);
    expect(c.process.terminal).toBe(false);
    expect(c.linux.namespaces.map((n: { type: string }) => n.type)).toEqual(["pid", "network", "ipc", "uts", "mount"]);
    expect(c.mounts[0]).toEqual({ destination: "/proc", type: "proc", source: "proc" });
    expect(c.linux.maskedPaths).toContain("/proc/kcore");
  });

  it("write() persists edits and raw text", () => {
    bundle.config.hostname = "edited";
    bundle.write();
    expect(JSON.parse(readFileSync(bundle.path("config.json"), "utf8")).hostname).toBe("edited");
    bundle.write("{not json");
    expect(readFileSync(bundle.path("config.json"), "utf8")).toBe("{not json");
  });

  it("makeRootfs is idempotent", () => {
    expect(() => makeRootfs(bundle.rootfs)).not.toThrow();
  });

  it("uniqueId is unique and names the test suite", () => {
    const a = uniqueId();
    expect(a).toMatch(/^berth-test-c-[0-9a-f]{10}$/);
    expect(uniqueId()).not.toBe(a);
  });

  it("findLeaks is empty for an id nobody used", () => {
    expect(findLeaks({ id: uniqueId(), bundle: bundle.dir })).toEqual([]);
  });
});

needs("containers").describe("leak detection sees a live container", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("reports the state dir and process while the container exists, nothing after delete", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    const leaks = sb.leaksOf(id);
    expect(leaks.some((l) => l.startsWith("state dir"))).toBe(true);
    expect(leaks.some((l) => l.includes("container pid") || l.startsWith("process"))).toBe(true);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
    expect(existsSync(`${sb.root}/${id}`)).toBe(false);
    expect(cgroupDirsMatching(id)).toEqual([]);
  });
});
