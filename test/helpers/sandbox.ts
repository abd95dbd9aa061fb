// A per-test (or per-file) playground: one state root, the bundles and ids
// created through it, and a cleanup that force-deletes every container, checks
// that nothing is left on the host and removes the temporary directories.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { OciState } from "../../src/spec/types.js";
import { makeBundle, type Bundle, type BundleOptions } from "./bundle.js";
import { TMP_PREFIX } from "./env.js";
import { findLeaks, isAlive, sleep, waitNoLeaks } from "./leaks.js";
import { describeResult, newRoot, runtime, runtimeAsync, uniqueId, type AsyncRun, type RunOptions, type RunResult } from "./runtime.js";

export class Sandbox {
  private rootDir: string | undefined;
  private readonly ids = new Set<string>();
  private readonly bundles: Bundle[] = [];
  private readonly idBundle = new Map<string, string>();
  private readonly pids = new Map<string, Set<number>>();
  private readonly extraPaths: string[] = [];

  /**
   * The state root every call of this sandbox passes as --root, made on first use: a suite
   * skipped for a missing host feature makes its sandbox but never runs its cleanup.
   */
  get root(): string {
    return (this.rootDir ??= newRoot());
  }

  /** A fresh container id, remembered for cleanup. */
  id(prefix = "c"): string {
    const id = uniqueId(prefix);
    this.ids.add(id);
    return id;
  }

  /** A fresh bundle, removed at cleanup. */
  bundle(opts: BundleOptions = {}): Bundle {
    const b = makeBundle(opts);
    this.bundles.push(b);
    return b;
  }

  /** Remember an id (created outside `id()`) and its bundle for cleanup and leak checks. */
  track(id: string, bundle?: Bundle | string): void {
    this.ids.add(id);
    if (bundle !== undefined) this.idBundle.set(id, typeof bundle === "string" ? bundle : bundle.dir);
  }

  /** Remember a host pid that belongs to container `id` (checked dead at cleanup). */
  trackPid(id: string, pid: number): void {
    if (!this.pids.has(id)) this.pids.set(id, new Set());
    this.pids.get(id)?.add(pid);
  }

  /** Remove this path at cleanup as well. */
  trackPath(p: string): void {
    this.extraPaths.push(p);
  }

  /** A new directory under /tmp (named TMP_PREFIX + prefix), removed with the sandbox. */
  tempDir(prefix: string): string {
    const d = mkdtempSync(`${TMP_PREFIX}${prefix}`);
    this.trackPath(d);
    return d;
  }

  /** Run the runtime with this sandbox's root. */
  rt(args: string[], opts: Omit<RunOptions, "root"> = {}): RunResult {
    return runtime(args, { ...opts, root: this.root });
  }

  /** Start the runtime with this sandbox's root without waiting. */
  rtAsync(args: string[], opts: Omit<RunOptions, "root"> = {}): AsyncRun {
    return runtimeAsync(args, { ...opts, root: this.root });
  }

  /** Run and throw (with full output) unless the exit status is 0. */
  ok(args: string[], opts: Omit<RunOptions, "root"> = {}): RunResult {
    const r = this.rt(args, opts);
    if (r.code !== 0) throw new Error(`expected success:\n${describeResult(r)}`);
    return r;
  }

  /**
   * `create` of `bundle` that must be refused: exit status 1, stderr matching `pattern`,
   * the container absent afterwards and nothing left on the host. Returns stderr.
   */
  async refuseCreate(bundle: Bundle, pattern: RegExp, extra: string[] = []): Promise<string> {
    const id = this.id("refused");
    this.track(id, bundle);
    const r = this.rt(["create", ...extra, "--bundle", bundle.dir, id]);
    if (r.code !== 1 || !pattern.test(r.stderr))
      throw new Error(`expected create to fail with exit status 1 and ${pattern}:\n${describeResult(r)}`);
    const status = this.status(id);
    if (status !== "absent") throw new Error(`after the refused create the container is ${status}, not absent`);
    const leaks = await this.waitClean(id);
    if (leaks.length > 0) throw new Error(`the refused create left: ${leaks.join(", ")}`);
    return r.stderr;
  }

  /** `create --bundle <dir> <id>` (plus extra flags), must succeed; records the init pid. */
  create(id: string, bundle: Bundle, extra: string[] = [], opts: Omit<RunOptions, "root"> = {}): RunResult {
    this.track(id, bundle);
    const r = this.ok(["create", "--bundle", bundle.dir, ...extra, id], opts);
    this.state(id);
    return r;
  }

  /** `run --detach --bundle <dir> <id>`, must succeed. */
  runDetached(id: string, bundle: Bundle, extra: string[] = [], opts: Omit<RunOptions, "root"> = {}): RunResult {
    this.track(id, bundle);
    const r = this.ok(["run", "--detach", "--bundle", bundle.dir, ...extra, id], opts);
    this.state(id);
    return r;
  }

  /** Parsed `state <id>`; throws if the command fails. Records the pid. */
  state(id: string): OciState {
    const r = this.ok(["state", id]);
    const s = JSON.parse(r.stdout) as OciState;
    if (typeof s.pid === "number" && s.pid > 0) this.trackPid(id, s.pid);
    return s;
  }

  /** The status string, or "absent" when `state` fails. */
  status(id: string): string {
    const r = this.rt(["state", id]);
    if (r.code !== 0) return "absent";
    return (JSON.parse(r.stdout) as OciState).status;
  }

  /** Poll until `state` reports `status` (or throw after timeoutMs). */
  async waitStatus(id: string, status: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      last = this.status(id);
      if (last === status) return;
      await sleep(25);
    }
    throw new Error(`container ${id}: status is ${last}, expected ${status} within ${timeoutMs} ms`);
  }

  /** Poll until a host file exists and (optionally) contains `text` or matches it; returns its content. */
  async waitFile(path: string, text?: string | RegExp, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (existsSync(path)) {
        const c = readFileSync(path, "utf8");
        if (text === undefined || (typeof text === "string" ? c.includes(text) : text.test(c))) return c;
      }
      if (Date.now() > deadline)
        throw new Error(`${path}: did not appear${text !== undefined ? ` with ${String(text)}` : ""} within ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  /** `delete --force` every known container, quietly. */
  forceDeleteAll(): void {
    for (const id of this.ids) this.rt(["delete", "--force", id], { timeoutMs: 15_000 });
  }

  /** Leaks of one container right now (state dir, fifo, cgroup, mount, process). */
  leaksOf(id: string): string[] {
    return findLeaks({ id, root: this.root, bundle: this.idBundle.get(id), pids: [...(this.pids.get(id) ?? [])] });
  }

  /** Wait briefly for a container's traces to disappear; return what is still there. */
  async waitClean(id: string, timeoutMs = 3000): Promise<string[]> {
    return waitNoLeaks({ id, root: this.root, bundle: this.idBundle.get(id), pids: [...(this.pids.get(id) ?? [])] }, timeoutMs);
  }

  /**
   * Force-delete everything, then assert that no container left anything behind,
   * then remove the root and bundles. Throws listing the leaks (after removing
   * what it can, and SIGKILLing leftover container pids).
   */
  async cleanup(): Promise<void> {
    this.forceDeleteAll();
    const leaks: string[] = [];
    for (const id of this.ids) leaks.push(...(await this.waitClean(id)));
    for (const [, pids] of this.pids)
      for (const pid of pids)
        if (isAlive(pid))
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            /* gone */
          }
    for (const b of this.bundles) rmSync(b.dir, { recursive: true, force: true });
    for (const p of this.extraPaths) rmSync(p, { recursive: true, force: true });
    if (this.rootDir !== undefined) rmSync(this.rootDir, { recursive: true, force: true });
    if (leaks.length > 0) throw new Error(`containers left traces behind:\n  ${leaks.join("\n  ")}`);
  }
}
