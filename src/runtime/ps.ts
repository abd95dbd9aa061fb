// `ps`: the processes of a container, from its cgroup (or, for a rootless container
// without one, from its pid namespace).
import { bun, type BunApi } from "../bun.js";
import { childProcess } from "../lazy.js";
import { BerthError } from "../errors.js";
import { loadCgroupManager } from "../linux/cgroups/manager.js";
import { processesWithoutCgroup } from "./procfs.js";
import { loadRecord, type ContainerRecord } from "./stateStore.js";

export function containerPids(root: string, id: string): number[] {
  return processesOf(loadRecord(root, id));
}

/** The container's processes, sorted. */
export function processesOf(rec: ContainerRecord): number[] {
  const pids =
    Object.keys(rec.cgroup?.paths ?? {}).length > 0
      ? loadCgroupManager(rec.cgroup).pids()
      : processesWithoutCgroup(
          rec.pid,
          rec.initStartTime,
          rec.config.linux?.namespaces?.some((n) => n.type === "pid" && (n.path ?? "") === "") === true,
        );
  return pids.sort((a, b) => a - b);
}

/**
 * Run ps(1) and wait for it: status, stdout and stderr. Under Bun (the shipped executable)
 * through its native spawnSync; node:child_process costs Bun more to load than ps takes.
 */
function runPs(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (bun === undefined) {
    const res = childProcess().spawnSync("ps", args, { encoding: "utf8" });
    if (res.error !== undefined) throw BerthError.fromSys("ps", "ps", res.error, "install procps");
    return { status: res.status, stdout: res.stdout, stderr: res.stderr };
  }
  let res: ReturnType<BunApi["spawnSync"]>;
  try {
    res = bun.spawnSync(["ps", ...args], { stdout: "pipe", stderr: "pipe" });
  } catch (err) {
    throw BerthError.fromSys("ps", "ps", err, "install procps");
  }
  const text = new TextDecoder();
  return { status: res.exitCode, stdout: text.decode(res.stdout), stderr: text.decode(res.stderr) };
}

/** ps(1)'s output (default `ps -ef`) reduced to the header and the container's processes. */
export function psTable(pids: number[], psArgs: string[]): string {
  const args = psArgs.length > 0 ? psArgs : ["-ef"];
  const res = runPs(args);
  if (res.status !== 0) throw new BerthError(`ps ${args.join(" ")} failed: ${res.stderr.trim()}`, { op: "ps", path: "ps-args" });
  const lines = res.stdout.split("\n");
  const header = lines[0] ?? "";
  const col = header.trim().split(/\s+/).indexOf("PID");
  if (col < 0)
    throw new BerthError("ps output has no PID column", { op: "ps", path: "ps-args", hint: "pass ps options that print a PID column" });
  const want = new Set(pids);
  const rows = lines.slice(1).filter((l) => l.trim() !== "" && want.has(Number(l.trim().split(/\s+/)[col])));
  return [header, ...rows].join("\n") + "\n";
}
