// checkpoint and restore with criu, as runc's: the round trip keeps the process's
// memory and its pid in its pid namespace, the container is gone after a checkpoint
// unless --leave-running, and restore leaves it running. The round trip needs a
// kernel criu supports (the qemu guest); on a host where `criu check` fails, the
// error and the untouched container are what is tested.

import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult } from "../helpers/index.js";
import { RUNTIME_BIN } from "../helpers/env.js";
import { COUNTER, exited, nextCount, numbers, readCounter, waitCount, waitNumbers } from "../helpers/counter.js";

needs("containers", "criu").describe("checkpoint and restore (criu)", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());
  const images = (): string => sb.tempDir("criu-");

  it("checkpoint stops and removes the container; restore --detach continues the same process (its memory, pid 1 in its namespace)", async () => {
    const b = sb.bundle({ args: COUNTER });
    const id = sb.id();
    sb.runDetached(id, b);
    const file = b.inRootfs("/tmp/n");
    const before = await waitCount(file, 10);
    expect(before.pid).toBe(1);
    const dir = images();
    const cp = sb.rt(["checkpoint", "--image-path", dir, id], { timeoutMs: 120_000 });
    expect(cp.code, describeResult(cp)).toBe(0);
    expect(sb.status(id)).toBe("absent");
    expect(JSON.parse(readFileSync(join(dir, "descriptors.json"), "utf8"))).toHaveLength(3);
    // Nothing counts while checkpointed.
    const stopped = readCounter(file);
    await new Promise((r) => setTimeout(r, 500));
    expect(readCounter(file)).toEqual(stopped);

    const pidFile = join(dir, "restored.pid");
    const rs = sb.rt(["restore", "--detach", "--image-path", dir, "--bundle", b.dir, "--pid-file", pidFile, id], { timeoutMs: 120_000 });
    expect(rs.code, describeResult(rs)).toBe(0);
    const st = sb.state(id);
    expect(st.status).toBe("running");
    expect(Number(readFileSync(pidFile, "utf8"))).toBe(st.pid);
    const after = await waitCount(file, stopped.n + 2);
    // A restarted shell would count from 1 again; the restored one goes on.
    expect(after.pid).toBe(1);
    expect(after.n).toBeGreaterThan(stopped.n);
    sb.ok(["kill", id, "KILL"]);
    await sb.waitStatus(id, "stopped");
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("stdio pipes: the restored process writes to the pipes restore was given (descriptors.json, --inherit-fd)", async () => {
    const b = sb.bundle({ args: ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done"] });
    const id = sb.id();
    sb.track(id, b);
    const dir = images();
    const out1 = b.path("out1");
    const out2 = b.path("out2");
    // The container's stdin, stdout and stderr are anonymous pipes (the shell's), as a
    // container engine's would be.
    const berth = `"${RUNTIME_BIN}" --root "${sb.root}"`;
    const p1 = spawn("/bin/sh", ["-c", `true | ${berth} run -d -b "${b.dir}" ${id} 2>&1 | cat > "${out1}"`], { stdio: "ignore" });
    await waitNumbers(out1, 5);
    const cp = sb.rt(["checkpoint", "--image-path", dir, id], { timeoutMs: 120_000 });
    expect(cp.code, describeResult(cp)).toBe(0);
    const desc = JSON.parse(readFileSync(join(dir, "descriptors.json"), "utf8")) as string[];
    expect(desc.every((d) => d.startsWith("pipe:"))).toBe(true);
    await exited(p1);
    const last = numbers(out1).pop() ?? 0;
    const p2 = spawn("/bin/sh", ["-c", `true | ${berth} restore -d --image-path "${dir}" -b "${b.dir}" ${id} 2>&1 | cat > "${out2}"`], {
      stdio: "ignore",
    });
    const got = await waitNumbers(out2, 3);
    expect(sb.state(id).status).toBe("running");
    // The count goes on where it stopped (the pipe's unread line may come again).
    expect(got[0]).toBeGreaterThanOrEqual(last);
    expect(got[0]).toBeLessThanOrEqual(last + 1);
    sb.ok(["delete", "--force", id]);
    await exited(p2);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("restore in the foreground waits for the container, exits with its status and deletes it", async () => {
    // Counts to 40 and exits 3: restored in the middle, it finishes the count it had begun.
    const b = sb.bundle({
      args: [
        "sh",
        "-c",
        'exec </dev/null >/dev/null 2>&1; i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo "$$ $i" > /tmp/n; sleep 0.1; done; exit 3',
      ],
    });
    const id = sb.id();
    sb.runDetached(id, b);
    const file = b.inRootfs("/tmp/n");
    await waitCount(file, 5);
    const dir = images();
    const cp = sb.rt(["checkpoint", "--image-path", dir, id], { timeoutMs: 120_000 });
    expect(cp.code, describeResult(cp)).toBe(0);
    const stopped = readCounter(file);
    expect(stopped.n).toBeLessThan(40);
    const rs = sb.rt(["restore", "--image-path", dir, "-b", b.dir, id], { timeoutMs: 180_000 });
    expect(rs.code, describeResult(rs)).toBe(3);
    expect(readCounter(file)).toEqual({ pid: 1, n: 40 });
    expect(sb.status(id)).toBe("absent");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("--leave-running keeps the container running; its image restores under another id", async () => {
    const b = sb.bundle({ args: COUNTER });
    const id = sb.id();
    sb.runDetached(id, b);
    const file = b.inRootfs("/tmp/n");
    const beforeDump = await waitCount(file, 5);
    const dir = images();
    const cp = sb.rt(["checkpoint", "--leave-running", "--image-path", dir, id], { timeoutMs: 120_000 });
    expect(cp.code, describeResult(cp)).toBe(0);
    expect(sb.state(id).status).toBe("running");
    const afterDump = await nextCount(file, -1);
    // The original counts on for 2 s more before it is deleted, so that the restored one,
    // which counts on from its count at the dump, stays below it however late (on a loaded
    // machine) the test reads its first count.
    await waitCount(file, afterDump.n + 20);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
    const last = readCounter(file);

    const id2 = sb.id();
    sb.track(id2, b);
    const rs = sb.rt(["restore", "-d", "--image-path", dir, "-b", b.dir, id2], { timeoutMs: 120_000 });
    expect(rs.code, describeResult(rs)).toBe(0);
    expect(sb.state(id2).status).toBe("running");
    // The restored shell counts on from its count at the dump (after the value read before
    // the checkpoint), not from 1, nor from where the deleted one stopped.
    const seen = await nextCount(file, last.n);
    expect(seen.pid).toBe(1);
    expect(seen.n).toBeGreaterThan(beforeDump.n);
    expect(seen.n).toBeLessThan(last.n);
    sb.ok(["delete", "--force", id2]);
    expect(await sb.waitClean(id2)).toEqual([]);
  });
});

needs("containers", "criu", "systemd").describe("checkpoint and restore with the systemd cgroup driver", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("restore puts the restored process in the container's systemd scope", async () => {
    const g = ["--systemd-cgroup"];
    const b = sb.bundle({
      args: COUNTER,
      edit: (c) => {
        c.linux!.cgroupsPath = "system.slice:berth-test:criu";
      },
    });
    const id = sb.id();
    sb.track(id, b);
    sb.ok([...g, "run", "-d", "-b", b.dir, id]);
    const file = b.inRootfs("/tmp/n");
    await waitCount(file, 5);
    const dir = sb.tempDir("criu-");
    const cp = sb.rt([...g, "checkpoint", "--image-path", dir, id], { timeoutMs: 120_000 });
    expect(cp.code, describeResult(cp)).toBe(0);
    const stopped = readCounter(file);
    const rs = sb.rt([...g, "restore", "-d", "--image-path", dir, "-b", b.dir, id], { timeoutMs: 120_000 });
    expect(rs.code, describeResult(rs)).toBe(0);
    const pid = Number(sb.state(id).pid);
    // systemd's own hierarchy: cgroup2 on a v2 host, name=systemd on a hybrid one.
    const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
    const line = lines.find((l) => /^\d+:name=systemd:/.test(l)) ?? lines.find((l) => l.startsWith("0::")) ?? "";
    expect(line.slice(line.indexOf(":", line.indexOf(":") + 1) + 1), lines.join("\n")).toBe("/system.slice/berth-test-criu.scope");
    // The first line the restored shell writes follows the count it had (a new one would write 1).
    const seen = await nextCount(file, stopped.n);
    expect(seen.pid).toBe(1);
    expect(seen.n).toBeGreaterThan(stopped.n);
    sb.ok([...g, "delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});

needs("containers").describe("checkpoint and restore: errors", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("checkpoint of a container that does not exist, or is not running, is an error that changes nothing", async () => {
    const r = sb.rt(["checkpoint", "berth-test-no-such-container"]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/does not exist/);

    const b = sb.bundle({ args: ["true"] });
    const id = sb.id();
    sb.create(id, b);
    const c = sb.rt(["checkpoint", "--image-path", b.path("img"), id]);
    expect(c.code, describeResult(c)).toBe(1);
    expect(c.stderr).toMatch(/cannot be checkpointed in created state/);
    expect(sb.status(id)).toBe("created");
    expect(existsSync(b.path("img"))).toBe(false);
    sb.ok(["start", id]);
    await sb.waitStatus(id, "stopped");
    const s = sb.rt(["checkpoint", "--image-path", b.path("img"), id]);
    expect(s.code, describeResult(s)).toBe(1);
    expect(s.stderr).toMatch(/cannot be checkpointed in stopped state/);
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("restore without a checkpoint image is an error that leaves nothing", async () => {
    const b = sb.bundle({ args: ["true"] });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["restore", "-d", "--image-path", b.path("none"), "-b", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/descriptors\.json/);
    expect(sb.status(id)).toBe("absent");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  needs("berth").it("restore of a config with linux.intelRdt is refused naming the field, and leaves nothing", async () => {
    const b = sb.bundle({ args: ["true"] });
    b.config.linux = { ...b.config.linux, intelRdt: { closID: "gold" } };
    b.write();
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["restore", "-d", "--image-path", b.path("none"), "-b", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/linux\.intelRdt: restore cannot place the restored processes in a resctrl group/);
    expect(sb.status(id)).toBe("absent");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("--lazy-pages is refused with an error naming the flag", () => {
    const r = sb.rt(["checkpoint", "--lazy-pages", "berth-test-x"]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/--lazy-pages/);
  });
});

needs("containers", "berth", "no-criu").describe("checkpoint where criu cannot work (criu check fails)", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("checkpoint fails with criu check's output, exit 1, and the container runs on untouched", async () => {
    const b = sb.bundle({ args: COUNTER });
    const id = sb.id();
    sb.runDetached(id, b);
    const file = b.inRootfs("/tmp/n");
    const before = await waitCount(file, 3);
    const dir = b.path("img");
    const r = sb.rt(["checkpoint", "--image-path", dir, id], { timeoutMs: 60_000 });
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/criu cannot checkpoint or restore on this kernel/);
    expect(r.stderr).toMatch(/`criu check` failed: .*Error/);
    expect(existsSync(dir)).toBe(false);
    expect(sb.state(id).status).toBe("running");
    const after = await waitCount(file, before.n + 2);
    expect(after.pid).toBe(1);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("restore fails the same way and leaves nothing behind", async () => {
    const b = sb.bundle({ args: COUNTER });
    const id = sb.id();
    sb.track(id, b);
    const dir = sb.tempDir("criu-");
    writeFileSync(join(dir, "descriptors.json"), JSON.stringify(["/dev/null", "/dev/null", "/dev/null"]));
    const r = sb.rt(["restore", "-d", "--image-path", dir, "-b", b.dir, id], { timeoutMs: 60_000 });
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/criu cannot checkpoint or restore on this kernel/);
    expect(sb.status(id)).toBe("absent");
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
