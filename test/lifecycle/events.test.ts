// `events`: one stats event with --stats, a stream of stats every --interval
// that ends when the container stops, an "oom" event when the kernel OOM-kills
// a process of the container, and runc's errors. Layout-aware: the container
// is given cgroupsPath "/<id>", so its files are found on v1, hybrid and v2.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { UNIFIED } from "../../src/linux/cgroups/detect.js";
import { has, hostCgroupLayout, needs } from "../helpers/host.js";
import { Sandbox, describeResult, sleep, type AsyncRun, type Bundle, type RunResult } from "../helpers/index.js";

const LAYOUT = hostCgroupLayout();
const V2 = LAYOUT.layout === "v2";
const MiB = 1024 * 1024;

/** The container's memory cgroup directory (cgroupsPath "/<id>"). */
function memoryDir(id: string): string {
  const h = V2 ? LAYOUT.hierarchies[UNIFIED] : LAYOUT.hierarchies["memory"];
  if (h === undefined) throw new Error("no memory hierarchy");
  return join(h.mountPoint, id);
}

interface Event {
  type: string;
  id: string;
  data?: Record<string, any>;
}

function parseEvents(stdout: string): Event[] {
  return stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Event);
}

/** The complete lines a running runtime has printed so far (its stdout is a file, reopened through /proc). */
function linesSoFar(run: AsyncRun): number {
  try {
    return readFileSync(`/proc/${run.pid}/fd/1`, "utf8").split("\n").length - 1;
  } catch {
    return 0; // it has exited; its output is in the result
  }
}

needs("containers").describe("lifecycle: events", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  /**
   * Wait for a stream to end once its container has stopped. berth ends it
   * when the container stops; runc (v1) only once the cgroup is removed, so
   * other runtimes get a delete after a grace period.
   */
  async function streamEnd(ev: AsyncRun, id: string): Promise<RunResult> {
    const ended = await Promise.race([ev.done.then(() => true), sleep(5000).then(() => false)]);
    if (has("berth")) expect(ended, "the stream ends when the container stops").toBe(true);
    else if (!ended) sb.rt(["delete", "--force", id]);
    return ev.done;
  }

  function running(prefix: string, args: string[], edit?: (b: Bundle["config"]) => void): { id: string; b: Bundle } {
    const id = sb.id(prefix);
    const b = sb.bundle({
      args,
      edit: (c) => {
        c.linux!.cgroupsPath = `/${id}`;
        edit?.(c);
      },
    });
    sb.runDetached(id, b);
    return { id, b };
  }

  it("--stats prints one stats event with the container's pids and memory usage", async () => {
    const { id } = running("ev-stats", ["sleep", "30"]);
    const r = sb.ok(["events", "--stats", id]);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const ev = JSON.parse(lines[0]!) as Event;
    expect(ev.type).toBe("stats");
    expect(ev.id).toBe(id);
    expect(ev.data!.pids.current).toBeGreaterThanOrEqual(1);
    // runc's shape: these objects are always there
    for (const k of ["cpu", "cpuset", "memory", "pids", "blkio", "hugetlb", "intel_rdt"]) expect(ev.data).toHaveProperty(k);
    expect(ev.data!.memory.usage).toHaveProperty("limit");
    if (has("controller:memory")) expect(ev.data!.memory.usage.usage).toBeGreaterThan(0);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  // Each command can take seconds in a slow (emulated) guest: wait for the second
  // event rather than for a fixed time, within a generous bound.
  it("streams a stats event every --interval and ends when the container is killed", { timeout: 120_000 }, async () => {
    const { id } = running("ev-stream", ["sleep", "300"]);
    const ev = sb.rtAsync(["events", "--interval", "1s", id], { timeoutMs: 90_000 });
    let exited = false;
    void ev.done.then(() => {
      exited = true;
    });
    const deadline = Date.now() + 60_000;
    while (!exited && linesSoFar(ev) < 2 && Date.now() < deadline) await sleep(100);
    sb.ok(["kill", id, "KILL"]);
    const r = await streamEnd(ev, id);
    expect(r.timedOut, describeResult(r)).toBe(false);
    expect(r.code, describeResult(r)).toBe(0);
    const events = parseEvents(r.stdout);
    expect(events.length, describeResult(r)).toBeGreaterThanOrEqual(2);
    for (const e of events) {
      expect(e.type).toBe("stats");
      expect(e.id).toBe(id);
    }
    sb.rt(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  // The limit must bound what the process can use. With swap accounting, swap equal to
  // the limit leaves it no swap; without, the process could swap instead of being
  // OOM-killed, unless the host has no swap at all.
  needs("controller:memory", ...(has("swap-accounting") ? [] : ["no-swap" as const])).it(
    "reports an oom event when the container outgrows an 8 MiB memory limit",
    { timeout: 150_000 },
    async () => {
      const limit = 8 * MiB;
      // The container outgrows its limit only once told to (a file appears), after the
      // events stream has printed its first stats: on a slow machine a fixed delay could
      // let the OOM happen before `events` is watching.
      const { id, b } = running(
        "ev-oom",
        ["sh", "-c", 'while [ ! -e /tmp/go ]; do sleep 0.05; done; x=$(head -c 50000000 /dev/zero | tr "\\0" a); sleep 3'],
        (c) => {
          c.linux!.resources = { ...c.linux!.resources, memory: has("swap-accounting") ? { limit, swap: limit } : { limit } };
        },
      );
      const limitFile = join(memoryDir(id), V2 ? "memory.max" : "memory.limit_in_bytes");
      expect(Number(readFileSync(limitFile, "utf8").trim()), limitFile).toBe(limit);
      const ev = sb.rtAsync(["events", "--interval", "1s", id], { timeoutMs: 90_000 });
      const deadline = Date.now() + 60_000;
      while (linesSoFar(ev) < 1 && Date.now() < deadline) await sleep(100);
      writeFileSync(b.inRootfs("/tmp/go"), "");
      await sb.waitStatus(id, "stopped", 60_000);
      const r = await streamEnd(ev, id);
      expect(r.timedOut, describeResult(r)).toBe(false);
      expect(r.code, describeResult(r)).toBe(0);
      const ooms = parseEvents(r.stdout).filter((e) => e.type === "oom");
      expect(ooms.length, describeResult(r)).toBeGreaterThanOrEqual(1);
      expect(ooms[0]).toEqual({ type: "oom", id });
      sb.rt(["delete", id]);
      expect(await sb.waitClean(id)).toEqual([]);
    },
  );

  it("refuses a missing or stopped container and a bad --interval, as runc does", async () => {
    const missing = sb.rt(["events", "--stats", "berth-test-ev-no-such-container"]);
    expect(missing.code, describeResult(missing)).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);

    const { id } = running("ev-err", ["sleep", "30"]);
    for (const bad of ["abc", "5", "0", "-1s"]) {
      const r = sb.rt(["events", "--interval", bad, id]);
      expect(r.code, describeResult(r)).toBe(1);
      expect(r.stderr).toMatch(/interval/);
    }
    sb.ok(["kill", id, "KILL"]);
    await sb.waitStatus(id, "stopped");
    for (const args of [
      ["events", "--stats", id],
      ["events", id],
    ]) {
      const r = sb.rt(args);
      expect(r.code, describeResult(r)).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`container with id ${id} is not running`));
    }
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
