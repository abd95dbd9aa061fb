// A create killed half-way leaves nothing `delete --force` cannot remove (probe
// finding F7): berth killed between berth-init's "ready" and the write of
// state.json used to leave a fully set-up init waiting on its fifo, invisible to
// state and list, and delete --force exited 0 leaving it running. berth now
// records the container as "creating" as soon as its pid is known.
//
// The kill lands at a sweep of delays across one create's duration, measured
// first on this machine (the window was 35-60 ms of a ~90 ms create on the
// reference machine; in the emulated guest a create takes seconds).

import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { RUNTIME_BIN, Sandbox, TMP_PREFIX, cleanEnv, sleep } from "../helpers/index.js";
import { needs } from "../helpers/host.js";

const STEPS = 30;

needs("containers", "berth").describe("security: a create killed half-way", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it(`leaves nothing after delete --force, whenever berth is killed (${STEPS} delays)`, { timeout: 600_000 }, async () => {
    const b = sb.bundle({ args: ["sleep", "300"] });
    const probe = sb.id("half-time");
    const t0 = Date.now();
    sb.create(probe, b);
    const createMs = Date.now() - t0;
    sb.ok(["delete", "--force", probe]);
    // 5% … 120% of a whole create
    const delays = Array.from({ length: STEPS }, (_, i) => Math.round((createMs * (5 + (i * 115) / (STEPS - 1))) / 100));
    const outcomes: string[] = [];
    for (const delay of delays) {
      const id = sb.id("half");
      sb.track(id, b);
      const child = spawn(RUNTIME_BIN, ["--root", sb.root, "create", "--bundle", b.dir, id], { stdio: "ignore", env: cleanEnv() });
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      await sleep(delay);
      child.kill("SIGKILL");
      await exited;
      const status = sb.status(id);
      const del = sb.rt(["delete", "--force", id]);
      expect(del.code === 0 || /does not exist/.test(del.stderr), `${delay} ms: delete --force: ${del.stderr}`).toBe(true);
      expect(await sb.waitClean(id), `${delay} ms (status after the kill: ${status})`).toEqual([]);
      outcomes.push(`${delay}:${status}`);
    }
    // The sweep must have reached the states it is about: killed before berth-init started and after the record exists.
    expect(
      outcomes.some((o) => /:(creating|created)$/.test(o)),
      outcomes.join(" "),
    ).toBe(true);
  });

  it("killed before berth-init started: stopped once that berth is gone, and a plain delete removes what it made", async () => {
    // A berth-init that never answers holds the create at its first step, with the record
    // written and the cgroups made but no container process yet (pid 0).
    const dir = mkdtempSync(`${TMP_PREFIX}stuck-init-`);
    const fake = join(dir, "berth-init");
    writeFileSync(fake, `#!/bin/sh\necho $$ > ${dir}/pid\nexec sleep 60\n`);
    chmodSync(fake, 0o755);
    const b = sb.bundle({ args: ["true"] });
    const id = sb.id("stuck");
    sb.track(id, b);
    const child = spawn(RUNTIME_BIN, ["--root", sb.root, "create", "--bundle", b.dir, id], {
      stdio: "ignore",
      env: cleanEnv({ BERTH_INIT: fake }),
    });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    try {
      let status = "absent";
      for (let i = 0; i < 200 && (status !== "creating" || !existsPid(dir)); i++) {
        await sleep(50);
        status = sb.status(id);
      }
      expect(status).toBe("creating");
      child.kill("SIGKILL");
      await exited;
      expect(sb.status(id)).toBe("stopped");
      sb.ok(["delete", id]);
      expect(await sb.waitClean(id)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      try {
        process.kill(Number(readFileSync(join(dir, "pid"), "utf8")), "SIGKILL");
      } catch {
        /* gone */
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function existsPid(dir: string): boolean {
  try {
    return readFileSync(join(dir, "pid"), "utf8").trim() !== "";
  } catch {
    return false;
  }
}
