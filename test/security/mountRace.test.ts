// Probe finding F1, the race: while create runs, a process outside swaps the
// directory a read-only bind mount goes on for a symlink to / and back, over and
// over. Resolving the destination twice (once to mount, again to make it
// read-only) lets the second pass reach the rootfs's own root mount, which is
// made read-only instead, and the bind stays writable. The bind must never end up
// writable: a write through it must never reach the host source, whatever else
// happens to the create (it may fail). Nor may a mount land on the rootfs's root
// (where a swapped-in link to / leads) instead of its destination.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { basename } from "node:path";
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

  it(`a read-only bind stays read-only, where it was asked for (${RUNS} racing creates)`, { timeout: 900_000 }, async () => {
    const b = sb.bundle({
      // The racer goes on while the container runs, so it tries the directory under both its names.
      args: [
        "sh",
        "-c",
        "cat /proc/self/mountinfo; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do for d in a a2; do [ -d /mnt/$d ] && [ ! -L /mnt/$d ] && echo x > /mnt/$d/owned 2>/dev/null; done; done; true",
      ],
      edit: (c) => {
        c.root!.readonly = false;
        c.mounts!.push({ destination: "/mnt/a", type: "bind", source, options: ["rbind", "ro"] });
      },
    });
    mkdirSync(b.inRootfs("/mnt/a"), { recursive: true });
    // (run in the rootfs's /mnt, so its command line does not name the bundle: the leak check looks for that)
    const racer = spawn(
      "sh",
      ["-c", "while :; do mv a a2 2>/dev/null; ln -s / a 2>/dev/null; rm -f a 2>/dev/null; mv a2 a 2>/dev/null; done"],
      { stdio: "ignore", cwd: b.inRootfs("/mnt") },
    );
    let started = 0;
    try {
      for (let i = 0; i < RUNS; i++) {
        const id = sb.id("robind");
        sb.track(id, b);
        const r = sb.rt(["run", "--bundle", b.dir, id]);
        // What an attacker wants: a write through the bind reaching the host source.
        expect(readdirSync(source), describeResult(r)).toEqual([]);
        if (r.code === 0) {
          started++;
          // Where the mount landed: on its destination (under either name), read-only; the root stays as asked (rw).
          const lines = r.stdout
            .split("\n")
            .map((l) => l.split(" "))
            .filter((f) => f.length > 6);
          const binds = lines.filter((f) => f[3]!.endsWith(basename(source)));
          expect(binds.length, describeResult(r)).toBe(1);
          expect(binds[0]![4], describeResult(r)).toMatch(/^\/mnt\/a2?$/);
          expect(binds[0]![5], describeResult(r)).toMatch(/^ro\b/);
          const root = lines.find((f) => f[4] === "/");
          expect(root?.[5], describeResult(r)).toMatch(/^rw\b/);
        }
        sb.rt(["delete", "--force", id]);
        expect(await sb.waitClean(id)).toEqual([]);
      }
    } finally {
      racer.kill("SIGKILL");
    }
    // The race must not stop every create: some start and are checked.
    expect(started).toBeGreaterThan(0);
  });

  it(`a tmpfs lands on its destination or create fails (${RUNS} racing creates)`, { timeout: 900_000 }, async () => {
    const b = sb.bundle({
      args: ["cat", "/proc/self/mountinfo"],
      edit: (c) => {
        c.mounts!.push({ destination: "/mnt/t", type: "tmpfs", source: "tmpfs", options: ["size=1236k"] });
      },
    });
    mkdirSync(b.inRootfs("/mnt/t"), { recursive: true });
    const racer = spawn(
      "sh",
      ["-c", "while :; do mv t t2 2>/dev/null; ln -s / t 2>/dev/null; rm -f t 2>/dev/null; mv t2 t 2>/dev/null; done"],
      { stdio: "ignore", cwd: b.inRootfs("/mnt") },
    );
    let started = 0;
    try {
      for (let i = 0; i < RUNS; i++) {
        const id = sb.id("tmpfsrace");
        sb.track(id, b);
        const r = sb.rt(["run", "--bundle", b.dir, id]);
        if (r.code === 0) {
          started++;
          const ours = r.stdout
            .split("\n")
            .filter((l) => l.includes("size=1236k"))
            .map((l) => l.split(" ")[4]);
          expect(ours, describeResult(r)).toHaveLength(1);
          expect(ours[0], describeResult(r)).toMatch(/^\/mnt\/t2?$/);
        }
        sb.rt(["delete", "--force", id]);
        expect(await sb.waitClean(id)).toEqual([]);
      }
    } finally {
      racer.kill("SIGKILL");
    }
    expect(started).toBeGreaterThan(0);
  });
});
