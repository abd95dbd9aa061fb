// Private podman and containerd for the benchmark, set up as the engine suite does
// (test/engines/podman.ts, containerd.ts): each keeps its storage, state, sockets and
// configuration in one directory under the bench's scratch directory, its containers under
// one cgroup parent, and runs an image made here from the busybox rootfs (nothing is
// pulled). Each runtime's state goes to a root of its own in the scratch directory too.
// Everything runs synchronously (stop() included), so the cleanup at exit can use it.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { containerdConfig, ociArchive, privatePodman, tarRootfs } from "./engineSetup.mjs";

const FIXED_RUN_DIRS = ["/run/containerd/fifo", "/run/containerd/s", "/run/containerd"]; // made by ctr and the shims whatever the config says

/** Whether `name` is on PATH. */
export function have(name) {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

export function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Live processes (not this one) whose command line names `dir`. */
function processesNaming(dir) {
  const out = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, "utf8").includes(dir) && alive(Number(name))) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Unmount (lazily) whatever is mounted under `dir`, deepest first. */
export function unmountUnder(dir) {
  const points = fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((p) => p !== undefined && (p === dir || p.startsWith(dir + "/")));
  for (const p of points.sort((a, b) => b.length - a.length)) spawnSync("umount", ["-l", p], { stdio: "ignore" });
}

/** Remove the cgroup `rel` and everything below it in every hierarchy. */
export function removeCgroupTree(rel) {
  const base = "/sys/fs/cgroup";
  const mounts = fs.existsSync(path.join(base, "cgroup.procs")) ? [base] : fs.readdirSync(base).map((n) => path.join(base, n));
  const remove = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) remove(path.join(dir, e.name));
    try {
      fs.rmdirSync(dir);
    } catch {
      // busy: reported by the leftover check
    }
  };
  for (const m of mounts) remove(path.join(m, rel));
}

/** Run `file args` with output in files (engines start daemons that keep inherited pipes open). */
function run(file, args, { env, dir, timeoutMs = 60_000 } = {}) {
  const outPath = path.join(dir, ".out");
  const errPath = path.join(dir, ".err");
  const out = fs.openSync(outPath, "w");
  const err = fs.openSync(errPath, "w");
  let r;
  const t0 = process.hrtime.bigint();
  try {
    r = spawnSync(file, args, { stdio: ["ignore", out, err], env: env ?? process.env, timeout: timeoutMs, killSignal: "SIGKILL" });
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const res = { ms, code: r.status, stdout: fs.readFileSync(outPath, "utf8"), stderr: fs.readFileSync(errPath, "utf8"), error: r.error };
  res.describe = () => `${file} ${args.join(" ")} → ${r.error ? r.error.message : `exit ${r.status ?? r.signal}`}\n${res.stderr.trim()}`;
  return res;
}

/** podman with private storage (vfs), run, tmp and network directories, cgroupfs, file events. */
export class Podman {
  image = "localhost/berth-bench-busybox:latest";

  constructor(work, rootfs, tag) {
    this.dir = path.join(work, "podman");
    this.cgroupParent = `/berth-bench-podman-${tag}`;
    ({ env: this.env, global: this.global } = privatePodman(this.dir, "cgroupfs"));
    const tar = tarRootfs(rootfs, path.join(this.dir, "image.tar"));
    this.ok(["import", "--quiet", tar, this.image]);
    fs.rmSync(tar);
  }

  podman(args, opts = {}) {
    return run("podman", [...this.global, ...args], { env: this.env, dir: this.dir, ...opts });
  }

  ok(args) {
    const r = this.podman(args);
    if (r.code !== 0) throw new Error(r.describe());
    return r;
  }

  /** `podman run --rm IMAGE true` on runtime `bin` keeping its state in `root`. */
  run(bin, root) {
    return this.podman([
      "--runtime-flag",
      `root=${root}`,
      "run",
      "--rm",
      "--runtime",
      bin,
      "--cgroup-parent",
      this.cgroupParent,
      "--pull",
      "never",
      "--network",
      "none",
      this.image,
      "true",
    ]);
  }

  stop() {
    if (this.stopped) return;
    this.stopped = true;
    this.podman(["rm", "-a", "-f", "-t", "0"]);
    this.podman(["rmi", "-a", "-f"]);
    const deadline = Date.now() + 5000;
    while (processesNaming(this.dir).length > 0 && Date.now() < deadline) sleepSync(100);
    for (const pid of processesNaming(this.dir)) process.kill(pid, "SIGKILL");
    unmountUnder(this.dir);
    removeCgroupTree(this.cgroupParent);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A private containerd (CRI off) driven by ctr in one namespace; runtimes get their binary and root per container. */
export class Containerd {
  image = "localhost/berth-bench-busybox:latest";
  namespace = "berth-bench";

  constructor(work, tag) {
    this.dir = path.join(work, "containerd");
    fs.mkdirSync(this.dir);
    this.cgroupParent = `/berth-bench-containerd-${tag}`;
    this.socket = path.join(this.dir, "containerd.sock");
    this.preexisting = new Set(FIXED_RUN_DIRS.filter((d) => fs.existsSync(d)));
  }

  /** Start the daemon and import the image; throws with containerd's log when it does not come up. */
  async start(rootfs) {
    const d = this.dir;
    const config = path.join(d, "config.toml");
    fs.writeFileSync(config, containerdConfig(d, this.socket));
    const log = fs.openSync(path.join(d, "containerd.log"), "w");
    try {
      this.daemon = spawn("containerd", ["--config", config], { stdio: ["ignore", log, log] });
    } finally {
      fs.closeSync(log);
    }
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (this.daemon.exitCode !== null) throw new Error(`containerd exited at start:\n${this.log()}`);
      if (fs.existsSync(this.socket) && this.ctr(["version"], { timeoutMs: 5000 }).code === 0) break;
      if (Date.now() > deadline) throw new Error(`containerd did not answer within 20 s:\n${this.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const layer = tarRootfs(rootfs, path.join(d, "layer.tar"));
    const archive = ociArchive(layer, this.image, path.join(d, "image-build"), path.join(d, "image.tar"));
    const r = this.ctr(["images", "import", archive]);
    if (r.code !== 0) throw new Error(r.describe());
    for (const p of [layer, archive, path.join(d, "image-build")]) fs.rmSync(p, { recursive: true, force: true });
  }

  log() {
    try {
      return fs.readFileSync(path.join(this.dir, "containerd.log"), "utf8").split("\n").slice(-15).join("\n");
    } catch {
      return "";
    }
  }

  ctr(args, opts = {}) {
    return run("ctr", ["--address", this.socket, "--namespace", this.namespace, ...args], { dir: this.dir, ...opts });
  }

  /** `ctr run --rm IMAGE id true` through the runc v2 shim with runtime `bin`, state under `root`. */
  run(bin, root, id) {
    return this.ctr([
      "run",
      "--rm",
      "--runc-binary",
      bin,
      "--runc-root",
      root,
      "--cgroup",
      `${this.cgroupParent}/${id}`,
      this.image,
      id,
      "true",
    ]);
  }

  stop() {
    if (this.stopped) return;
    this.stopped = true;
    if (this.daemon !== undefined && this.daemon.exitCode === null && alive(this.daemon.pid)) {
      const ls = this.ctr(["container", "ls", "--quiet"]);
      for (const id of ls.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "")) {
        this.ctr(["task", "delete", "--force", id]);
        this.ctr(["container", "delete", id]);
      }
      this.ctr(["images", "rm", this.image]);
      this.daemon.kill("SIGTERM");
      const deadline = Date.now() + 10_000;
      while (alive(this.daemon.pid) && Date.now() < deadline) sleepSync(50);
      if (alive(this.daemon.pid)) this.daemon.kill("SIGKILL");
    }
    // Shims outlive containerd by design; the ones this daemon started name its socket.
    for (const pid of processesNaming(this.dir)) process.kill(pid, "SIGKILL");
    unmountUnder(this.dir);
    removeCgroupTree(this.cgroupParent);
    fs.rmSync(this.dir, { recursive: true, force: true });
    for (const d of FIXED_RUN_DIRS) {
      if (this.preexisting.has(d)) continue;
      try {
        if (fs.readdirSync(d).length === 0) fs.rmdirSync(d);
      } catch {
        // absent, or in use by another containerd
      }
    }
  }
}
