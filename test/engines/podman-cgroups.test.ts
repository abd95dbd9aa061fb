// The podman scenarios that work through the container's cgroup, with berth and with runc as
// the runtime: where the container's cgroup is (under the cgroup parent; a systemd scope
// under podman's systemd manager), resource limits at run and with `podman update`, top and
// stats, pause/unpause (the freezer), kill and stop, restart (a new cgroup) and rm -f of a
// container with a limit. Every container is removed at the end of its scenario and must
// leave nothing behind (runtime state, cgroups, mounts, processes, systemd units).
//
// podman runs with the host's cgroup manager (test/engines/podman.ts): cgroupfs on this
// project's hybrid development host, systemd in the cgroup v2 + systemd guest
// (scripts/vm/run.sh runs this file there by default), where podman gives the runtime
// --systemd-cgroup.

import { expect, it } from "vitest";
import { hostCgroupLayout, needs } from "../helpers/host.js";
import { sleep } from "../helpers/leaks.js";
import { command, describeCommand, engineForSuite, expectRun } from "./command.js";
import { Podman } from "./podman.js";
import { engineRuntimes, type EngineRuntime } from "./runtimes.js";

/** True on a pure cgroup v2 host (the container sees its own cgroup at /sys/fs/cgroup). */
const V2 = (): boolean => hostCgroupLayout().layout === "v2";

/** A shell reading one cgroup file inside the container: the v1 hierarchy's or the unified one's. */
function cgroupFile(v1: string, v2: string): string[] {
  return ["sh", "-c", `cat /sys/fs/cgroup/${V2() ? v2 : v1}`];
}

/** A shell loop that exits `code` on `signal` and otherwise waits (sh as pid 1 ignores unhandled signals). */
function trapping(signal: string, code: number): string[] {
  return ["sh", "-c", `trap 'echo got-${signal}; exit ${code}' ${signal}; echo ready; while :; do sleep 0.1; done`];
}

needs("root", "podman").describe("engines: podman and the container's cgroup", () => {
  const pm = engineForSuite(() => Podman.start());

  for (const rt of engineRuntimes()) {
    needs(...rt.needs).describe(`with ${rt.name}`, () => {
      it("the container's cgroup is under the cgroup parent (its own systemd scope under the systemd manager); exec joins it", async () => {
        await pm.withContainer(
          rt,
          [],
          ["sleep", "1000"],
          (id) => {
            const expected =
              pm.cgroupManager === "systemd" ? `${pm.cgroupParentPath}/libpod-${id}.scope` : `${pm.cgroupParentPath}/libpod-${id}`;
            expect(pm.hostCgroup(id)).toBe(expected);
            if (pm.cgroupManager === "systemd") {
              const unit = command("systemctl", ["is-active", `libpod-${id}.scope`]);
              expect(unit.stdout.trim(), describeCommand(unit)).toBe("active");
            }
            const r = pm.podman(["exec", id, "sh", "-c", "cat /proc/1/cgroup; echo --; cat /proc/$$/cgroup"]);
            expect(r.code, describeCommand(r)).toBe(0);
            const [init, exec] = r.stdout.split("--\n");
            expect(exec, r.stdout).toBe(init);
          },
          30_000,
        );
      });

      it("--memory, --memory-reservation, --pids-limit, --cpus, --cpu-shares and --cpuset-cpus reach the container's cgroup", () => {
        // one container for all six (a podman run costs seconds in the emulated guest)
        const flags = [
          "--memory",
          "64m",
          "--memory-reservation",
          "32m",
          "--pids-limit",
          "50",
          "--cpus",
          "0.5",
          "--cpu-shares",
          "512",
          "--cpuset-cpus",
          "0",
        ];
        const files = V2()
          ? ["memory.max", "memory.low", "pids.max", "cpu.max", "cpu.weight", "cpuset.cpus"]
          : [
              "memory/memory.limit_in_bytes",
              "memory/memory.soft_limit_in_bytes",
              "pids/pids.max",
              "cpu/cpu.cfs_quota_us",
              "cpu/cpu.cfs_period_us",
              "cpu/cpu.shares",
              "cpuset/cpuset.cpus",
            ];
        const r = pm.run(rt, flags, ["sh", "-c", files.map((f) => `echo "${f}=$(cat /sys/fs/cgroup/${f})"`).join("; ")]);
        // shares 512 is weight 1 + (512 - 2) * 9999 / 262142 = 20 on v2 (runc's conversion)
        const values = V2()
          ? [`${64 << 20}`, `${32 << 20}`, "50", "50000 100000", "20", "0"]
          : [`${64 << 20}`, `${32 << 20}`, "50", "50000", "100000", "512", "0"];
        expectRun(r, 0, files.map((f, i) => `${f}=${values[i]}\n`).join(""));
      });

      it("update changes a running container's memory and cpu limits", async () => {
        await pm.withContainer(
          rt,
          ["--memory", "64m", "--cpus", "0.5"],
          ["sleep", "1000"],
          (id) => {
            // podman 4's update has no --pids-limit
            expectRun(pm.podman(["update", "--memory", "96m", "--cpus", "0.25", id]), 0);
            expectRun(pm.podman(["exec", id, ...cgroupFile("memory/memory.limit_in_bytes", "memory.max")]), 0, `${96 * 1024 * 1024}\n`);
            expectRun(pm.podman(["exec", id, ...cgroupFile("cpu/cpu.cfs_quota_us", "cpu.max")]), 0, V2() ? "25000 100000\n" : "25000\n");
          },
          30_000,
        );
      });

      it("top lists the container's processes; stats reads its cgroup", async () => {
        await pm.withContainer(
          rt,
          [],
          ["sleep", "1000"],
          (id) => {
            const top = pm.podman(["top", id]);
            expect(top.code, describeCommand(top)).toBe(0);
            expect(top.stdout).toContain("sleep 1000");
            const stats = pm.podman(["stats", "--no-stream", "--format", "{{.PIDs}} {{.MemUsage}}", id]);
            expect(stats.code, describeCommand(stats)).toBe(0);
            expect(stats.stdout.trim(), describeCommand(stats)).toMatch(/^1 \d/);
          },
          30_000,
        );
      });

      it("pause freezes the container and unpause thaws it", async () => {
        await pm.withContainer(
          rt,
          [],
          ["sleep", "1000"],
          async (id) => {
            expectRun(pm.podman(["pause", id]), 0);
            expect(pm.inspect(id, "{{.State.Status}}")).toBe("paused");
            expect(runtimeStatus(rt, id)).toBe("paused");
            expectRun(pm.podman(["unpause", id]), 0);
            expect(pm.inspect(id, "{{.State.Status}}")).toBe("running");
            expect(runtimeStatus(rt, id)).toBe("running");
            expectRun(pm.podman(["exec", id, "echo", "thawed"]), 0, "thawed\n");
          },
          30_000,
        );
      });

      it("kill -s delivers the signal to the container's process", async () => {
        await pm.withContainer(
          rt,
          [],
          trapping("USR1", 42),
          async (id) => {
            await waitLogs(pm, id, "ready");
            expectRun(pm.podman(["kill", "-s", "USR1", id]), 0);
            await pm.waitStatus(id, "exited", 60_000);
            expect(pm.inspect(id, "{{.State.ExitCode}}")).toBe("42");
            expect(pm.podman(["logs", id]).stdout).toContain("got-USR1");
          },
          30_000,
        );
      });

      it("stop sends SIGTERM, and SIGKILL after the timeout", async () => {
        await pm.withContainer(
          rt,
          [],
          trapping("TERM", 0),
          async (id) => {
            await waitLogs(pm, id, "ready");
            expectRun(pm.podman(["stop", "-t", "10", id]), 0);
            expect(pm.inspect(id, "{{.State.Status}}")).toBe("exited");
            expect(pm.inspect(id, "{{.State.ExitCode}}")).toBe("0");
          },
          30_000,
        );
        await pm.withContainer(
          rt,
          [],
          ["sleep", "1000"],
          (id) => {
            // sleep as pid 1 ignores SIGTERM: podman kills it after one second
            expectRun(pm.podman(["stop", "-t", "1", id]), 0);
            expect(pm.inspect(id, "{{.State.ExitCode}}")).toBe("137");
          },
          30_000,
        );
      });

      it("restart starts the container again with a new process in the container's cgroup", async () => {
        await pm.withContainer(
          rt,
          ["--pids-limit", "50"],
          ["sleep", "1000"],
          async (id) => {
            const before = pm.inspect(id, "{{.State.Pid}}");
            const cgroup = pm.hostCgroup(id);
            expectRun(pm.podman(["restart", "-t", "0", id]), 0);
            await pm.waitStatus(id, "running", 60_000);
            expect(pm.inspect(id, "{{.State.Pid}}")).not.toBe(before);
            expect(pm.hostCgroup(id)).toBe(cgroup);
            expectRun(pm.podman(["exec", id, ...cgroupFile("pids/pids.max", "pids.max")]), 0, "50\n");
          },
          30_000,
        );
      });

      it("rm -f of a running container with a memory limit leaves nothing behind", async () => {
        const id = pm.runDetached(rt, ["--memory", "32m"], ["sleep", "1000"]);
        expect(await pm.remove(rt, id, 30_000)).toEqual([]);
        expect(pm.podman(["inspect", id]).code).not.toBe(0);
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
  for (let i = 0; i < 300; i++) {
    if (pm.podman(["logs", id]).stdout.includes(text)) return;
    await sleep(100);
  }
  throw new Error(`container ${id} never logged ${text}`);
}
