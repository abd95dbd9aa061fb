// A podman container's life after `run -d`, with berth and with runc as the runtime:
// exec (plain, stdin, --user, exit codes, --detach, HOME, process group), logs, user
// namespaces and start of a stopped container. What works through the container's cgroup
// (top, stats, pause/unpause, kill, stop, restart, rm -f) is in podman-cgroups.test.ts,
// which also runs in the cgroup v2 + systemd guest. Every container is removed at the end
// of its scenario and must leave nothing behind.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { sleep } from "../helpers/leaks.js";
import { describeCommand, engineForSuite, expectRun } from "./command.js";
import { IMAGE_USER } from "./image.js";
import { Podman } from "./podman.js";
import { engineRuntimes } from "./runtimes.js";

needs("root", "podman").describe("engines: podman container lifecycle", () => {
  const pm = engineForSuite(() => Podman.start());

  for (const rt of engineRuntimes()) {
    needs(...rt.needs).describe(`with ${rt.name}`, () => {
      it("run -d: the container runs, the runtime keeps its state, rm -f removes everything", async () => {
        await pm.withContainer(rt, [], ["sleep", "1000"], (id) => {
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

      it("logs shows stdout and stderr", async () => {
        await pm.withContainer(rt, [], ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exec sleep 1000"], async (id) => {
          let logs = pm.podman(["logs", id]);
          for (let i = 0; i < 50 && !logs.stdout.includes("to-stdout"); i++) {
            await sleep(100);
            logs = pm.podman(["logs", id]);
          }
          expect(logs.stdout, describeCommand(logs)).toContain("to-stdout");
          expect(logs.stderr, describeCommand(logs)).toContain("to-stderr");
        });
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
        await pm.withContainer(rt, [], ["sh", "-c", "echo run; exit 0"], async (id) => {
          await pm.waitStatus(id, "exited");
          expectRun(pm.podman(["start", "--attach", id]), 0, "run\n");
        });
      });
    });
  }
});
