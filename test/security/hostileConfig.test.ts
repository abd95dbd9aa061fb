// A hostile bundle gets an error at once (probe finding F8): config.json as a
// link to /dev/zero used to grow berth without bound, and JSON nested 100k deep
// ended in a bare "Maximum call stack size exceeded".

import { symlinkSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { Sandbox, describeResult } from "../helpers/index.js";
import { needs } from "../helpers/host.js";

needs("containers", "berth").describe("security: hostile config.json", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("a config.json linked to /dev/zero is refused as not a regular file, within the test's time", async () => {
    const b = sb.bundle({ noConfig: true });
    symlinkSync("/dev/zero", b.path("config.json"));
    const id = sb.id("zero");
    sb.track(id, b);
    const r = sb.rt(["create", "--bundle", b.dir, id], { timeoutMs: 10_000 });
    expect(r.timedOut, describeResult(r)).toBe(false);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/config\.json: not a regular file/);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("JSON nested 100000 levels deep is refused naming the file", async () => {
    const b = sb.bundle({ noConfig: true });
    b.write(`{"ociVersion":"1.0.2","root":{"path":"rootfs"},"annotations":{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`);
    const id = sb.id("deep");
    sb.track(id, b);
    const r = sb.rt(["create", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/config\.json: objects and arrays nest deeper than 512 levels/);
    expect(r.stderr).not.toMatch(/Maximum call stack/);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
