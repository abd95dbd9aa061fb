// A private containerd for the engine scenarios, started by the test and stopped by it:
// its own root, state directory, sockets, plugin directory and config (CRI off) under
// one temporary directory, driven by `ctr` in one namespace. Containers get the runtime
// with --runc-binary, its state root with --runc-root (so the runtime's leftovers can be
// checked) and a cgroup under one parent. The image is a hand-made OCI archive of the
// busybox rootfs, imported with `ctr images import`; nothing is pulled.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { TMP_PREFIX } from "../helpers/env.js";
import { findLeaks, isAlive, processesMatching, sleep } from "../helpers/leaks.js";
import { command, expectOk, type CommandOptions, type CommandResult } from "./command.js";
import { containerdConfig } from "../../bench/engineSetup.mjs";
import { buildImageRootfs, ociArchive, tarRootfs } from "./image.js";
import { sweepMountsAndCgroups, type EngineRuntime } from "./runtimes.js";

/** Directories the shims and ctr make under /run/containerd whatever the config says. */
const FIXED_RUN_DIRS = ["/run/containerd/fifo", "/run/containerd/s", "/run/containerd"];

export interface CtrRunOptions extends CommandOptions {
  /** Snapshotter (default overlayfs, containerd's own default). */
  snapshotter?: "overlayfs" | "native";
}

export class Containerd {
  readonly image = "localhost/berth-test-busybox:latest";
  readonly namespace = "berth-test";
  /** Parent of every container's cgroup: "/berth-test-containerd-<hex>". */
  readonly cgroupParent = `/berth-test-containerd-${randomBytes(4).toString("hex")}`;
  readonly dir: string;
  /** The runtime's --root (the shim appends the namespace). */
  readonly runtimeRoot: string;
  private readonly socket: string;
  private daemon: ChildProcess | undefined;
  private readonly preexistingRunDirs: Set<string>;

  private constructor() {
    this.dir = mkdtempSync(`${TMP_PREFIX}containerd-`);
    this.socket = join(this.dir, "containerd.sock");
    this.runtimeRoot = join(this.dir, "runtime-root");
    this.preexistingRunDirs = new Set(FIXED_RUN_DIRS.filter((d) => existsSync(d)));
  }

  /** Start a private containerd and import the test image. */
  static async start(): Promise<Containerd> {
    const c = new Containerd();
    try {
      await c.startDaemon();
      const rootfs = buildImageRootfs(join(c.dir, "image-rootfs"));
      const layer = tarRootfs(rootfs, join(c.dir, "layer.tar"));
      const archive = ociArchive(layer, c.image, join(c.dir, "image-build"), join(c.dir, "image.tar"));
      c.ok(["images", "import", archive]);
      for (const p of [rootfs, join(c.dir, "image-build"), archive]) rmSync(p, { recursive: true, force: true });
    } catch (err) {
      await c.stop().catch(() => undefined);
      throw err;
    }
    return c;
  }

  private async startDaemon(): Promise<void> {
    const d = this.dir;
    const config = join(d, "config.toml");
    writeFileSync(config, containerdConfig(d, this.socket));
    const log = openSync(join(d, "containerd.log"), "w");
    try {
      this.daemon = spawn("containerd", ["--config", config], { stdio: ["ignore", log, log] });
    } finally {
      closeSync(log);
    }
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (this.daemon.exitCode !== null) throw new Error(`containerd exited at start:\n${this.daemonLog()}`);
      if (existsSync(this.socket) && this.ctr(["version"], { timeoutMs: 5000 }).code === 0) return;
      if (Date.now() > deadline) throw new Error(`containerd did not answer within 20 s:\n${this.daemonLog()}`);
      await sleep(100);
    }
  }

  /** The last lines of containerd's own log (for messages). */
  daemonLog(lines = 30): string {
    try {
      return readFileSync(join(this.dir, "containerd.log"), "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  /** `ctr --address <private socket> --namespace berth-test args…`. */
  ctr(args: string[], opts: CommandOptions = {}): CommandResult {
    return command("ctr", ["--address", this.socket, "--namespace", this.namespace, ...args], opts);
  }

  ok(args: string[], opts: CommandOptions = {}): CommandResult {
    return expectOk(this.ctr(args, opts));
  }

  /** The runtime's state root for this namespace (what the shim passes as --root). */
  stateRoot(): string {
    return join(this.runtimeRoot, this.namespace);
  }

  /** `ctr run` flags that put container `id` on `rt`, with its state root and cgroup here. */
  runFlags(rt: EngineRuntime, id: string, snapshotter = "overlayfs"): string[] {
    return [
      "--runc-binary",
      rt.bin,
      "--runc-root",
      this.runtimeRoot,
      "--cgroup",
      `${this.cgroupParent}/${id}`,
      "--snapshotter",
      snapshotter,
    ];
  }

  /** `ctr run --rm <flags> IMAGE id cmd…` in the foreground. */
  run(rt: EngineRuntime, id: string, flags: string[], cmd: string[], opts: CtrRunOptions = {}): CommandResult {
    return this.ctr(["run", "--rm", ...this.runFlags(rt, id, opts.snapshotter), ...flags, this.image, id, ...cmd], opts);
  }

  /** The file a detached container's stdout and stderr go to. */
  logFile(id: string): string {
    return join(this.dir, "logs", `${id}.log`);
  }

  /** `ctr run -d` with output into logFile(id). */
  runDetached(rt: EngineRuntime, id: string, flags: string[], cmd: string[], opts: CtrRunOptions = {}): void {
    mkdirSync(join(this.dir, "logs"), { recursive: true });
    this.ok([
      "run",
      "-d",
      "--log-uri",
      `file://${this.logFile(id)}`,
      ...this.runFlags(rt, id, opts.snapshotter),
      ...flags,
      this.image,
      id,
      ...cmd,
    ]);
  }

  /** What a detached container wrote so far. */
  logs(id: string): string {
    try {
      return readFileSync(this.logFile(id), "utf8");
    } catch {
      return "";
    }
  }

  /** The task's status from `ctr task ls` (RUNNING, PAUSED, STOPPED …), or undefined without a task. */
  taskStatus(id: string): string | undefined {
    const r = this.ok(["task", "ls"]);
    for (const line of r.stdout.split("\n").slice(1)) {
      const [tid, , status] = line.trim().split(/\s+/);
      if (tid === id) return status;
    }
    return undefined;
  }

  async waitTaskStatus(id: string, status: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: string | undefined;
    while (Date.now() < deadline) {
      last = this.taskStatus(id);
      if (last === status) return;
      await sleep(100);
    }
    throw new Error(`task ${id} is ${last ?? "absent"}, not ${status}, after ${timeoutMs} ms`);
  }

  /** What container `id` left behind: the runtime's state, its cgroup, mounts, processes. */
  leaks(id: string): string[] {
    return findLeaks({ id, root: this.stateRoot() });
  }

  /** leaks(), polled until it is empty or `timeoutMs` passed (the engine's own processes exit a moment later). */
  async waitLeaks(id: string, timeoutMs = 5000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leaks = this.leaks(id);
      if (leaks.length === 0 || Date.now() > deadline) return leaks;
      await sleep(100);
    }
  }

  /** Delete the task (killing it) and the container, then wait until nothing of it is left; returns the leftovers. */
  async remove(id: string, timeoutMs = 5000): Promise<string[]> {
    this.ctr(["task", "delete", "--force", id]);
    this.ctr(["container", "delete", id]);
    return this.waitLeaks(id, timeoutMs);
  }

  /** Remove every container, stop containerd and its shims, and remove what it made. Throws on leftovers. */
  async stop(): Promise<void> {
    const problems: string[] = [];
    if (this.daemon !== undefined && this.daemon.exitCode === null) {
      const ls = this.ctr(["container", "ls", "--quiet"]);
      for (const id of ls.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "")) {
        problems.push(...(await this.remove(id)).map((l) => `${id}: ${l}`));
      }
      this.ctr(["images", "rm", this.image]);
      const exited = new Promise<void>((resolve) => this.daemon?.once("exit", () => resolve()));
      this.daemon.kill("SIGTERM");
      await Promise.race([exited, sleep(10_000)]);
      if (this.daemon.exitCode === null && this.daemon.signalCode === null) {
        problems.push("containerd did not exit on SIGTERM");
        this.daemon.kill("SIGKILL");
        await exited;
      }
    }
    // Shims outlive containerd by design; the ones this daemon started name its socket.
    for (const p of processesMatching([this.dir])) {
      const pid = Number(p.split(":")[0]);
      problems.push(`process ${p}`);
      if (isAlive(pid)) process.kill(pid, "SIGKILL");
    }
    problems.push(...sweepMountsAndCgroups(this.dir, this.cgroupParent));
    rmSync(this.dir, { recursive: true, force: true });
    for (const d of FIXED_RUN_DIRS) {
      if (this.preexistingRunDirs.has(d)) continue;
      try {
        if (readdirSync(d).length === 0) rmdirSync(d);
      } catch {
        /* absent, or in use by another containerd */
      }
    }
    if (problems.length > 0) throw new Error(`containerd left behind:\n${problems.join("\n")}\n${describeLog(this)}`);
  }
}

function describeLog(c: Containerd): string {
  return `containerd log:\n${c.daemonLog(10)}`;
}
