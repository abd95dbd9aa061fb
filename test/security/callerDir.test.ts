// The caller's working directory is not configuration. berth runs as root in
// whatever directory its caller is in; files there (.env, bunfig.toml,
// package.json) must not change what it does. A .env naming another BERTH_INIT
// would otherwise make berth start that program as root.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, TMP_PREFIX, cleanEnv, describeResult } from "../helpers/index.js";

needs("containers", "berth").describe("security: files in the caller's directory", () => {
  const sb = new Sandbox();
  const dir = mkdtempSync(`${TMP_PREFIX}cwd-`);
  afterAll(async () => {
    await sb.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a .env, bunfig.toml and package.json in the working directory are ignored", () => {
    const marker = join(dir, "preloaded");
    writeFileSync(join(dir, ".env"), "BERTH_INIT=/nonexistent/berth-init\nBERTH_DEBUG_STACK=1\n");
    writeFileSync(join(dir, "preload.js"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x");\n`);
    writeFileSync(join(dir, "bunfig.toml"), `preload = ["./preload.js"]\n[run]\npreload = ["./preload.js"]\n`);
    writeFileSync(join(dir, "package.json"), `{ "type": "commonjs", "imports": { "#x": "./preload.js" } }\n`);
    const id = sb.id("cwd");
    const r = sb.rt(["run", "--bundle", sb.bundle({ args: ["sh", "-c", "echo ran"] }).dir, id], { cwd: dir, env: cleanEnv() });
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toContain("ran");
    expect(r.stderr).not.toMatch(/berth-init|nonexistent/);
    expect(() => rmSync(marker)).toThrow();
  });
});
