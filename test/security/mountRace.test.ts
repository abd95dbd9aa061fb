// Probe finding F1, the race: while create runs, a process outside swaps a
// directory on a read-only bind mount's destination path for a symlink to /
// and back, over and over. The bind must never end up writable: a write
// through it must never reach the host source, whatever else happens to the
// create (it may fail; the mount may land elsewhere inside the rootfs).

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { Sandbox, describeResult } from "../helpers/index.js";
import { needs } from "../helpers/host.js";

const RUNS = 40;

needs("containers", "berth").describe("security: a bind destination swapped during create", () => {
  const sb = new Sandbox();
  const source = mkdtempSync("/tmp/berth-test-robind-");
  afterAll(async () => {
    await sb.cleanup();
    rmSync(source, { recursive: true, force: true });
  });

  it(`a read-only bind never lets the container write the host source (${RUNS} racing creates)`, { timeout: 300_000 }, async () => {
    const b = sb.bundle({
      args: ["sh", "-c", "echo x > /mnt/a/b/owned 2>/dev/null && echo WROTE || echo refused"],
      edit: (c) => { c.mounts!.push({ destination: "/mnt/a/b", type: "bind", source, options: ["rbind", "ro"] }); },
    });
    mkdirSync(b.inRootfs("/mnt/a/b"), { recursive: true });
    // (run in the rootfs's /mnt, so its command line does not name the bundle: the leak check looks for that)
    const racer = spawn("sh", ["-c", "while :; do mv a a2 2>/dev/null; ln -s / a 2>/dev/null; rm -f a 2>/dev/null; mv a2 a 2>/dev/null; done"],
      { stdio: "ignore", cwd: b.inRootfs("/mnt") });
    try {
      for (let i = 0; i < RUNS; i++) {
        const id = sb.id("robind");
        sb.track(id, b);
        const r = sb.rt(["run", "--bundle", b.dir, id]);
        expect(readdirSync(source), describeResult(r)).toEqual([]);
        sb.rt(["delete", "--force", id]);
        expect(await sb.waitClean(id)).toEqual([]);
      }
    } finally {
      racer.kill("SIGKILL");
    }
  });
});
