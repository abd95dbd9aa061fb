// A private podman for the engine scenarios: its own storage (vfs), run and tmp
// directories, containers.conf, storage.conf and network config directory under one
// temporary directory, file events, and one cgroup parent for all its containers. Nothing
// of the host's podman setup is read or written. One instance per test file shares the
// image between the runtimes.
//
// The cgroup manager is the host's: on a host where systemd runs (the `systemd`
// requirement), podman's systemd manager, as podman chooses by default there: the cgroup
// parent is a slice of its own, conmon runs in a scope libpod-conmon-<id>.scope and the
// runtime is given --systemd-cgroup and a cgroupsPath "<slice>:libpod:<id>", making the
// container's scope libpod-<id>.scope. Elsewhere the cgroupfs manager, with a plain
// directory as the parent.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { expect } from "vitest";
import { TMP_PREFIX } from "../helpers/env.js";
import { has } from "../helpers/host.js";
import { findLeaks, processesMatching, sleep } from "../helpers/leaks.js";
import { command, describeCommand, expectOk, type CommandOptions, type CommandResult } from "./command.js";
import { privatePodman } from "../../bench/engineSetup.mjs";
import { buildImageRootfs, tarRootfs } from "./image.js";
import { restoreRoots, snapshotRoots, sweepMountsAndCgroups, type EngineRuntime } from "./runtimes.js";

export interface RunFlags {
  /** --network value (default "none"). */
  network?: string;
  /** Leave out --rm. */
  keep?: boolean;
  /** Run this image instead of the test image. */
  image?: string;
}

/** podman's cgroup manager here: "systemd" where systemd runs, "cgroupfs" otherwise. */
export function podmanCgroupManager(): "systemd" | "cgroupfs" {
  return has("systemd") ? "systemd" : "cgroupfs";
}

export class Podman {
  /** The image every scenario runs. */
  readonly image = "localhost/berth-test-busybox:latest";
  /** The cgroup manager podman runs with (podmanCgroupManager()). */
  readonly cgroupManager = podmanCgroupManager();
  private readonly tag = randomBytes(4).toString("hex");
  /**
   * The cgroup parent of every container (and of conmon), as given to --cgroup-parent: the
   * directory "/berth-test-podman-<hex>" under cgroupfs, the slice
   * "berth_test_podman_<hex>.slice" under systemd (no "-" in the name: a dash would nest it in
   * berth.slice, berth-test.slice …).
   */
  readonly cgroupParent = this.cgroupManager === "systemd" ? `berth_test_podman_${this.tag}.slice` : `/berth-test-podman-${this.tag}`;
  /** The cgroup parent's path below the cgroup mount (in every v1 hierarchy, or the v2 one). */
  readonly cgroupParentPath = this.cgroupManager === "systemd" ? `/${this.cgroupParent}` : this.cgroupParent;
  readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly global: string[];
  private readonly nproc: number;
  /** The runtimes' default roots as they were before this podman ran anything. */
  private readonly roots = snapshotRoots();

  private constructor() {
    this.dir = mkdtempSync(`${TMP_PREFIX}podman-`);
    const setup = privatePodman(this.dir, this.cgroupManager);
    this.env = setup.env;
    this.global = setup.global;
    this.nproc = setup.nproc;
  }

  /** A private podman with the test image imported. */
  static start(): Podman {
    const p = new Podman();
    const rootfs = buildImageRootfs(join(p.dir, "image-rootfs"));
    const tar = tarRootfs(rootfs, join(p.dir, "image.tar"));
    p.ok(["import", "--quiet", tar, p.image]);
    rmSync(rootfs, { recursive: true, force: true });
    rmSync(tar, { force: true });
    return p;
  }

  /** Import another image made from the test image's contents, changed by `edit` (its rootfs directory). */
  importVariant(name: string, edit: (rootfs: string) => void): string {
    const rootfs = buildImageRootfs(join(this.dir, `${name}-rootfs`));
    edit(rootfs);
    const tar = tarRootfs(rootfs, join(this.dir, `${name}.tar`));
    const image = `localhost/berth-test-${name}:latest`;
    this.ok(["import", "--quiet", tar, image]);
    rmSync(rootfs, { recursive: true, force: true });
    rmSync(tar, { force: true });
    return image;
  }

  /** This podman's environment with `extra` added (for CommandOptions.env). */
  envWith(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return { ...this.env, ...extra };
  }

  /** `podman <private globals> args…`. */
  podman(args: string[], opts: CommandOptions = {}): CommandResult {
    return command("podman", [...this.global, ...args], { env: this.env, ...opts });
  }

  /** As podman(), throwing with the whole output unless it exits 0. */
  ok(args: string[], opts: CommandOptions = {}): CommandResult {
    return expectOk(this.podman(args, opts));
  }

  /**
   * --ulimit for RLIMIT_NPROC at the default of this podman: a container given any --ulimit
   * loses containers.conf's default_ulimits and would get podman's ceiling again.
   */
  nprocUlimit(): string[] {
    return ["--ulimit", `nproc=${this.nproc}:${this.nproc}`];
  }

  /** Flags that put a new container on `rt`, under this podman's cgroup parent, with no network. */
  containerFlags(rt: EngineRuntime, f: RunFlags = {}): string[] {
    return ["--runtime", rt.bin, "--cgroup-parent", this.cgroupParent, "--pull", "never", "--network", f.network ?? "none"];
  }

  /** `podman run --rm <flags> IMAGE cmd…` on `rt`. */
  run(rt: EngineRuntime, flags: string[], cmd: string[], opts: CommandOptions & RunFlags = {}): CommandResult {
    return this.podman(
      ["run", ...(opts.keep === true ? [] : ["--rm"]), ...this.containerFlags(rt, opts), ...flags, opts.image ?? this.image, ...cmd],
      opts,
    );
  }

  /** `podman run -d …`: the new container's full id. */
  runDetached(rt: EngineRuntime, flags: string[], cmd: string[], opts: RunFlags = {}): string {
    const r = this.ok(["run", "-d", ...this.containerFlags(rt, opts), ...flags, this.image, ...cmd]);
    return r.stdout.trim().split("\n").pop() ?? "";
  }

  /** `podman inspect --format F id`. */
  inspect(id: string, format: string): string {
    return this.ok(["inspect", "--format", format, id]).stdout.trim();
  }

  /** Wait until the container's State.Status is `status`. */
  async waitStatus(id: string, status: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      last = this.inspect(id, "{{.State.Status}}");
      if (last === status) return;
      await sleep(100);
    }
    throw new Error(`container ${id} is ${last}, not ${status}, after ${timeoutMs} ms`);
  }

  /** What container `id` left behind: the runtime's state, cgroups, mounts, processes, systemd units. */
  leaks(rt: EngineRuntime, id: string): string[] {
    const leaks = findLeaks({ id, root: rt.defaultRoot });
    if (this.cgroupManager === "systemd") leaks.push(...unitsMatching(id).map((u) => `systemd unit ${u}`));
    return leaks;
  }

  /** The container's cgroup as its init process sees it from the host ("/…/libpod-<id>.scope"). */
  hostCgroup(id: string): string {
    const pid = this.inspect(id, "{{.State.Pid}}");
    const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n");
    // the v1 pids hierarchy's line on a v1 or hybrid host, "0::/path" on pure v2
    const line = lines.find((l) => /^\d+:pids:/.test(l)) ?? lines.find((l) => l.startsWith("0::")) ?? "";
    return line.slice(line.indexOf(":", line.indexOf(":") + 1) + 1);
  }

  /** leaks(), polled until it is empty or `timeoutMs` passed (the engine's own processes exit a moment later). */
  async waitLeaks(rt: EngineRuntime, id: string, timeoutMs = 5000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leaks = this.leaks(rt, id);
      if (leaks.length === 0 || Date.now() > deadline) return leaks;
      await sleep(100);
    }
  }

  /** `podman rm -f` then wait until the container left nothing behind; returns the leftovers. */
  /** Run `body` against a fresh detached container, then remove it and check that nothing is left. */
  async withContainer(
    rt: EngineRuntime,
    flags: string[],
    cmd: string[],
    body: (id: string) => Promise<void> | void,
    removeTimeoutMs = 5000,
  ): Promise<void> {
    const id = this.runDetached(rt, flags, cmd);
    try {
      await body(id);
    } finally {
      expect(await this.remove(rt, id, removeTimeoutMs)).toEqual([]);
    }
  }

  async remove(rt: EngineRuntime, id: string, timeoutMs = 5000): Promise<string[]> {
    this.podman(["rm", "-f", "-t", "0", id]);
    return this.waitLeaks(rt, id, timeoutMs);
  }

  /**
   * Remove every container, then this podman's directories and cgroups. Throws when
   * something remains (processes, mounts, cgroups) after the containers are gone.
   */
  async stop(): Promise<void> {
    const problems: string[] = [];
    const roots = this.roots;
    const rm = this.podman(["rm", "-a", "-f", "-t", "0"]);
    if (rm.code !== 0) problems.push(`rm -a -f: ${describeCommand(rm)}`);
    const deadline = Date.now() + 5000;
    let procs = processesMatching([this.dir]);
    while (procs.length > 0 && Date.now() < deadline) {
      await sleep(100);
      procs = processesMatching([this.dir]);
    }
    problems.push(...procs.map((p) => `process ${p}`));
    this.podman(["rmi", "-a", "-f"]);
    if (this.cgroupManager === "systemd") {
      // The slice stays active after its last scope is gone; stopping it removes its cgroup.
      const active = unitsMatching(this.cgroupParent);
      problems.push(...active.filter((u) => u !== this.cgroupParent).map((u) => `systemd unit ${u}`));
      if (active.length > 0) command("systemctl", ["stop", ...active]);
    }
    problems.push(...sweepMountsAndCgroups(this.dir, this.cgroupParentPath));
    rmSync(this.dir, { recursive: true, force: true });
    restoreRoots(roots);
    if (problems.length > 0) throw new Error(`podman left behind:\n${problems.join("\n")}`);
  }
}

/** Loaded systemd units whose name contains `needle` (scopes and slices). */
function unitsMatching(needle: string): string[] {
  const r = command("systemctl", ["list-units", "--all", "--plain", "--no-legend", "--no-pager", "--type=scope,slice"]);
  return r.stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((u) => u.includes(needle));
}
