// containerd's runc v2 shim driving berth (and runc, the same scenarios) through `ctr`:
// run in the foreground and detached, exec, kill, pause/resume, task metrics and ps,
// delete, --privileged, --read-only, seccomp, --mount, --net-host, --with-ns and both
// snapshotters. Every container is deleted at the end of its scenario and must leave
// nothing in the runtime's state root, the cgroup tree or the mount table.

import { mkdtempSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { sleep } from "../helpers/leaks.js";
import { uniqueId } from "../helpers/runtime.js";
import { command, type CommandResult, describeCommand, engineForSuite, expectRun } from "./command.js";
import { Containerd } from "./containerd.js";
import { IMAGE_USER } from "./image.js";
import { engineRuntimes, type EngineRuntime } from "./runtimes.js";

function statusField(status: string, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(\\S+)`, "m").exec(status)?.[1];
}

needs("root", "containerd").describe("engines: containerd (ctr, runc v2 shim)", () => {
  const ctd = engineForSuite(() => Containerd.start());

  for (const rt of engineRuntimes()) {
    needs(...rt.needs).describe(`with ${rt.name}`, () => {
      /** A foreground `ctr run --rm`; the container must be gone afterwards. */
      async function runOnce(flags: string[], cmd: string[], snapshotter?: "overlayfs" | "native"): Promise<CommandResult> {
        const id = uniqueId("ctd");
        const r = ctd.run(rt, id, flags, cmd, { snapshotter });
        expect(await ctd.remove(id), describeCommand(r)).toEqual([]);
        return r;
      }

      /** A detached container for `body`, deleted afterwards; nothing may be left. */
      async function withTask(flags: string[], cmd: string[], body: (id: string) => Promise<void> | void): Promise<void> {
        const id = uniqueId("ctd");
        ctd.runDetached(rt, id, flags, cmd);
        try {
          await body(id);
        } finally {
          expect(await ctd.remove(id)).toEqual([]);
        }
      }

      it("run: output and exit status", async () => {
        expectRun(await runOnce([], ["echo", "hello", "containerd"]), 0, "hello containerd\n");
        expectRun(await runOnce([], ["sh", "-c", "exit 3"]), 3);
      });

      it("run with the native snapshotter", async () => {
        expectRun(await runOnce([], ["sh", "-c", "echo native; test -x /bin/busybox"], "native"), 0, "native\n");
      });

      it("run -d, task ps and metrics, exec (output, exit status, --user), kill, delete", async () => {
        await withTask([], ["sleep", "1000"], async (id) => {
          expect(ctd.taskStatus(id)).toBe("RUNNING");
          const ps = ctd.ctr(["task", "ps", id]);
          expect(ps.code, describeCommand(ps)).toBe(0);
          expect(ps.stdout.trim().split("\n").length, ps.stdout).toBe(2);
          const metrics = ctd.ctr(["task", "metrics", id]);
          expect(metrics.code, describeCommand(metrics)).toBe(0);
          expect(metrics.stdout).toMatch(/pids\.current\s+1\b/);
          expectRun(ctd.ctr(["task", "exec", "--exec-id", "e1", id, "echo", "exec'd"]), 0, "exec'd\n");
          expectRun(ctd.ctr(["task", "exec", "--exec-id", "e2", id, "sh", "-c", "exit 5"]), 5);
          expectRun(
            ctd.ctr(["task", "exec", "--exec-id", "e3", "--user", String(IMAGE_USER.uid), id, "id", "-u"]),
            0,
            `${IMAGE_USER.uid}\n`,
          );
          expectRun(ctd.ctr(["task", "exec", "--exec-id", "e4", "--cwd", "/tmp", id, "pwd"]), 0, "/tmp\n");
          expectRun(ctd.ctr(["task", "kill", "-s", "SIGKILL", id]), 0);
          await ctd.waitTaskStatus(id, "STOPPED");
          expectRun(ctd.ctr(["task", "delete", id]), 0);
          expect(ctd.taskStatus(id)).toBeUndefined();
        });
      });

      it("kill -s delivers the signal to the container's process", async () => {
        const script = "trap 'echo got-USR1; exit 42' USR1; echo ready; while :; do sleep 0.1; done";
        await withTask([], ["sh", "-c", script], async (id) => {
          await waitFor(() => ctd.logs(id).includes("ready"), `${id} to log ready`);
          expectRun(ctd.ctr(["task", "kill", "-s", "SIGUSR1", id]), 0);
          await ctd.waitTaskStatus(id, "STOPPED");
          expect(ctd.logs(id)).toContain("got-USR1");
          const del = ctd.ctr(["task", "delete", id]);
          expect(del.code, describeCommand(del)).toBe(0);
          expect(del.stdout + del.stderr, describeCommand(del)).toContain("exit with non-zero exit code 42");
        });
      });

      it("pause and resume freeze and thaw the task", async () => {
        await withTask([], ["sleep", "1000"], (id) => {
          expectRun(ctd.ctr(["task", "pause", id]), 0);
          expect(ctd.taskStatus(id)).toBe("PAUSED");
          expect(runtimeStatus(rt, ctd.stateRoot(), id)).toBe("paused");
          expectRun(ctd.ctr(["task", "resume", id]), 0);
          expect(ctd.taskStatus(id)).toBe("RUNNING");
          expect(runtimeStatus(rt, ctd.stateRoot(), id)).toBe("running");
          expectRun(ctd.ctr(["task", "exec", "--exec-id", "after", id, "echo", "thawed"]), 0, "thawed\n");
        });
      });

      it("--privileged gives every capability the host allows and the host's devices", async () => {
        const r = await runOnce(
          ["--privileged"],
          ["sh", "-c", "cat /proc/self/status; test -c /dev/loop-control && echo has-loop-control"],
        );
        expect(r.code, describeCommand(r)).toBe(0);
        const bounding = statusField(readFileSync("/proc/self/status", "utf8"), "CapBnd");
        expect(statusField(r.stdout, "CapEff")).toBe(bounding);
        expect(r.stdout).toContain("has-loop-control");
      });

      it("--read-only makes the root read-only", async () => {
        const r = await runOnce(["--read-only"], ["sh", "-c", "touch /x 2>/dev/null && echo writable || echo read-only"]);
        expectRun(r, 0, "read-only\n");
      });

      it("--seccomp applies containerd's default profile; without it there is none", async () => {
        expectRun(await runOnce(["--seccomp"], ["grep", "^Seccomp:", "/proc/self/status"]), 0, "Seccomp:\t2\n");
        expectRun(await runOnce([], ["grep", "^Seccomp:", "/proc/self/status"]), 0, "Seccomp:\t0\n");
      });

      it("--mount binds a host directory, read-only with options=rbind:ro", async () => {
        const host = mkdtempSync(join(ctd.dir, "bind-"));
        writeFileSync(join(host, "in"), "from the host\n");
        const r = await runOnce(
          ["--mount", `type=bind,src=${host},dst=/data,options=rbind:ro`],
          ["sh", "-c", "cat /data/in; touch /data/new 2>/dev/null && echo writable || echo read-only"],
        );
        expectRun(r, 0, "from the host\nread-only\n");
        const rw = await runOnce(["--mount", `type=bind,src=${host},dst=/data,options=rbind:rw`], ["sh", "-c", "echo back > /data/out"]);
        expectRun(rw, 0);
        expect(readFileSync(join(host, "out"), "utf8")).toBe("back\n");
      });

      it("--net-host shares the host's network namespace; the default is a new one", async () => {
        const hostNs = readlinkSync("/proc/self/ns/net");
        expectRun(await runOnce(["--net-host"], ["readlink", "/proc/self/ns/net"]), 0, `${hostNs}\n`);
        const own = await runOnce([], ["readlink", "/proc/self/ns/net"]);
        expect(own.code, describeCommand(own)).toBe(0);
        expect(own.stdout).not.toBe(`${hostNs}\n`);
      });

      it("--with-ns joins another container's network namespace", async () => {
        await withTask([], ["sleep", "1000"], async (first) => {
          const pid = Number(
            ctd
              .ok(["task", "ls"])
              .stdout.split("\n")
              .find((l) => l.startsWith(first))
              ?.trim()
              .split(/\s+/)[1],
          );
          const theirs = readlinkSync(`/proc/${pid}/ns/net`);
          const r = await runOnce(["--with-ns", `network:/proc/${pid}/ns/net`], ["readlink", "/proc/self/ns/net"]);
          expectRun(r, 0, `${theirs}\n`);
        });
      });

      it("a failing create reports the runtime's error through containerd and leaves nothing behind", async () => {
        const id = uniqueId("ctd");
        const r = ctd.run(rt, id, [], ["/no/such/program"]);
        expect(r.code, describeCommand(r)).not.toBe(0);
        // the shim reads the runtime's last error from its --log file (JSON lines)
        expect(r.stderr).toMatch(/OCI runtime (create|start) failed: .*\/no\/such\/program/);
        expect(r.stderr).toMatch(/no such file or directory/i);
        expect(await ctd.remove(id)).toEqual([]);
      });
    });
  }
});

/** The container's status as the runtime reports it (`<runtime> --root R state id`). */
function runtimeStatus(rt: EngineRuntime, root: string, id: string): string {
  const r = command(rt.bin, ["--root", root, "state", id]);
  expect(r.code, describeCommand(r)).toBe(0);
  return (JSON.parse(r.stdout) as { status: string }).status;
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
