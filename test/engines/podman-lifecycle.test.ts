// A podman container's life after `run -d`, with berth and with runc as the runtime:
// exec (plain, stdin, --user, exit codes, --detach, HOME, process group), logs, top,
// stats, pause/unpause, kill with a signal, stop, restart and rm -f. Every container is
// removed at the end of its scenario and must leave nothing behind.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { sleep } from "../helpers/leaks.js";
import { command, describeCommand, type CommandResult } from "./command.js";
import { IMAGE_USER } from "./image.js";
import { Podman } from "./podman.js";
import { engineRuntimes, type EngineRuntime } from "./runtimes.js";

function expectRun(r: CommandResult, code: number, stdout?: string): void {
  expect(r.code, describeCommand(r)).toBe(code);
  if (stdout !== undefined) expect(r.stdout, describeCommand(r)).toBe(stdout);
}

/** A shell loop that exits `code` on `signal` and otherwise waits (sh as pid 1 ignores unhandled signals). */
function trapping(signal: string, code: number): string[] {
  return ["sh", "-c", `trap 'echo got-${signal}; exit ${code}' ${signal}; echo ready; while :; do sleep 0.1; done`];
}

needs("root", "podman").describe("engines: podman container lifecycle", () => {
  let pm: Podman;
  beforeAll(() => {
    pm = Podman.start();
  }, 120_000);
  afterAll(async () => {
    await pm?.stop();
  }, 120_000);

  for (const rt of engineRuntimes()) {
    needs(...rt.needs).describe(`with ${rt.name}`, () => {
      /** Run `body` against a fresh detached container, then remove it and check that nothing is left. */
      async function withContainer(flags: string[], cmd: string[], body: (id: string) => Promise<void> | void): Promise<void> {
        const id = pm.runDetached(rt, flags, cmd);
        try {
          await body(id);
        } finally {
          expect(await pm.remove(rt, id)).toEqual([]);
        }
      }

      it("run -d: the container runs, the runtime keeps its state, rm -f removes everything", async () => {
        await withContainer([], ["sleep", "1000"], (id) => {
          expect(pm.inspect(id, "{{.State.Status}}")).toBe("running");
          expect(existsSync(join(rt.defaultRoot, id)), `${rt.defaultRoot}/${id}`).toBe(true);
          const pid = Number(pm.inspect(id, "{{.State.Pid}}"));
          expect(pid).toBeGreaterThan(1);
        });
      });

      // The exec scenarios share one container, removed (and checked) after the last.
      let shared = "";
      beforeAll(() => {
        shared = pm.runDetached(rt, [], ["sleep", "1000"]);
      }, 60_000);
      afterAll(async () => {
        if (shared !== "") expect(await pm.remove(rt, shared)).toEqual([]);
      }, 60_000);
      const withShared = async (body: (id: string) => Promise<void> | void): Promise<void> => {
        await body(shared);
      };

      it("exec: output, stdin, exit codes and --user", async () => {
        await withShared((id) => {
          expectRun(pm.podman(["exec", id, "echo", "inside"]), 0, "inside\n");
          expectRun(pm.podman(["exec", "-i", id, "cat"], { input: "piped\n" }), 0, "piped\n");
          expectRun(pm.podman(["exec", id, "sh", "-c", "exit 7"]), 7);
          expectRun(pm.podman(["exec", "--user", `${IMAGE_USER.uid}`, id, "id", "-u"]), 0, `${IMAGE_USER.uid}\n`);
          expectRun(pm.podman(["exec", "-e", "X=1", "-w", "/tmp", id, "sh", "-c", 'echo "$X $(pwd)"']), 0, "1 /tmp\n");
        });
      });

      it("exec of a command that does not exist exits 127", async () => {
        await withShared((id) => {
          expectRun(pm.podman(["exec", id, "/no/such/program"]), 127);
        });
      });

      it("exec --user NAME gets HOME from the user's passwd entry", async () => {
        await withShared((id) => {
          expectRun(pm.podman(["exec", "--user", IMAGE_USER.name, id, "sh", "-c", 'echo "$HOME"']), 0, `${IMAGE_USER.home}\n`);
        });
      });

      it("exec'd processes lead their own process group", async () => {
        await withShared((id) => {
          // field 5 of /proc/PID/stat is the process group; $$ is the exec'd shell itself
          const r = pm.podman(["exec", id, "sh", "-c", "cut -d' ' -f1,5 /proc/$$/stat"]);
          expect(r.code, describeCommand(r)).toBe(0);
          const [pid, pgrp] = r.stdout.trim().split(" ");
          expect(pgrp, r.stdout).not.toBe("0");
          expect(pgrp).toBe(pid);
        });
      });

      it("exec --detach starts the process and returns", async () => {
        await withShared(async (id) => {
          expectRun(pm.podman(["exec", "-d", id, "sh", "-c", "echo detached > /tmp/detached-mark"]), 0);
          let r = pm.podman(["exec", id, "cat", "/tmp/detached-mark"]);
          for (let i = 0; i < 50 && r.stdout !== "detached\n"; i++) {
            await sleep(100);
            r = pm.podman(["exec", id, "cat", "/tmp/detached-mark"]);
          }
          expectRun(r, 0, "detached\n");
        });
      });

      it("logs shows stdout and stderr; top lists the processes; stats reads the cgroup", async () => {
        await withContainer([], ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exec sleep 1000"], async (id) => {
          let logs = pm.podman(["logs", id]);
          for (let i = 0; i < 50 && !logs.stdout.includes("to-stdout"); i++) {
            await sleep(100);
            logs = pm.podman(["logs", id]);
          }
          expect(logs.stdout, describeCommand(logs)).toContain("to-stdout");
          expect(logs.stderr, describeCommand(logs)).toContain("to-stderr");
          const top = pm.podman(["top", id]);
          expect(top.code, describeCommand(top)).toBe(0);
          expect(top.stdout).toContain("sleep 1000");
          const stats = pm.podman(["stats", "--no-stream", "--format", "{{.PIDs}}", id]);
          expect(stats.code, describeCommand(stats)).toBe(0);
          expect(stats.stdout.trim()).toBe("1");
        });
      });

      it("pause freezes the container and unpause thaws it", async () => {
        await withContainer([], ["sleep", "1000"], async (id) => {
          expectRun(pm.podman(["pause", id]), 0);
          expect(pm.inspect(id, "{{.State.Status}}")).toBe("paused");
          expect(runtimeStatus(rt, id)).toBe("paused");
          expectRun(pm.podman(["unpause", id]), 0);
          expect(pm.inspect(id, "{{.State.Status}}")).toBe("running");
          expect(runtimeStatus(rt, id)).toBe("running");
          expectRun(pm.podman(["exec", id, "echo", "thawed"]), 0, "thawed\n");
        });
      });

      it("kill -s delivers the signal to the container's process", async () => {
        await withContainer([], trapping("USR1", 42), async (id) => {
          await waitLogs(pm, id, "ready");
          expectRun(pm.podman(["kill", "-s", "USR1", id]), 0);
          await pm.waitStatus(id, "exited");
          expect(pm.inspect(id, "{{.State.ExitCode}}")).toBe("42");
          expect(pm.podman(["logs", id]).stdout).toContain("got-USR1");
        });
      });

      it("stop sends SIGTERM, and SIGKILL after the timeout", async () => {
        await withContainer([], trapping("TERM", 0), async (id) => {
          await waitLogs(pm, id, "ready");
          expectRun(pm.podman(["stop", "-t", "10", id]), 0);
          expect(pm.inspect(id, "{{.State.Status}}")).toBe("exited");
          expect(pm.inspect(id, "{{.State.ExitCode}}")).toBe("0");
        });
        await withContainer([], ["sleep", "1000"], (id) => {
          // sleep as pid 1 ignores SIGTERM: podman kills it after one second
          expectRun(pm.podman(["stop", "-t", "1", id]), 0);
          expect(pm.inspect(id, "{{.State.ExitCode}}")).toBe("137");
        });
      });

      it("restart starts the container again with a new process", async () => {
        await withContainer([], ["sleep", "1000"], async (id) => {
          const before = pm.inspect(id, "{{.State.Pid}}");
          expectRun(pm.podman(["restart", "-t", "0", id]), 0);
          await pm.waitStatus(id, "running");
          const after = pm.inspect(id, "{{.State.Pid}}");
          expect(after).not.toBe(before);
          expectRun(pm.podman(["exec", id, "echo", "again"]), 0, "again\n");
        });
      });

      it("rm -f of a running container leaves nothing behind", async () => {
        const id = pm.runDetached(rt, ["--memory", "32m"], ["sleep", "1000"]);
        expect(await pm.remove(rt, id)).toEqual([]);
        expect(pm.podman(["inspect", id]).code).not.toBe(0);
      });

      it("--uidmap: the container runs in a user namespace with the mapping asked for", () => {
        const r = pm.run(
          rt,
          ["--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"],
          ["sh", "-c", "cat /proc/self/uid_map; id -u; touch /tmp/x && echo wrote"],
        );
        expectRun(r, 0);
        expect(r.stdout.split("\n")[0]!.trim().split(/\s+/)).toEqual(["0", "100000", "65536"]);
        expect(r.stdout).toContain("\n0\nwrote\n");
      });

      it("a stopped container starts again with podman start", async () => {
        await withContainer([], ["sh", "-c", "echo run; exit 0"], async (id) => {
          await pm.waitStatus(id, "exited");
          expectRun(pm.podman(["start", "--attach", id]), 0, "run\n");
        });
      });
    });
  }
});

/** The container's status as the runtime itself reports it (`<runtime> state`). */
function runtimeStatus(rt: EngineRuntime, id: string): string {
  const r = command(rt.bin, ["--root", rt.defaultRoot, "state", id]);
  expect(r.code, describeCommand(r)).toBe(0);
  return (JSON.parse(r.stdout) as { status: string }).status;
}

/** Wait until the container's log holds `text`. */
async function waitLogs(pm: Podman, id: string, text: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (pm.podman(["logs", id]).stdout.includes(text)) return;
    await sleep(100);
  }
  throw new Error(`container ${id} never logged ${text}`);
}
