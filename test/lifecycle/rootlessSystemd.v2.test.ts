// Rootless berth with a user's own systemd instance (cgroup v2 + systemd): the test makes a
// user, enables lingering for it (logind then starts user@<uid>.service, whose cgroup subtree
// is delegated to the user, and dbus-user-session's bus in it), runs `spec --rootless` and
// the container commands as that user, and removes the user again.
//
// - --systemd-cgroup: the container's scope is started in the user's instance (its user.slice,
//   as runc's), its limits are in the scope's cgroup files, which the container sees as its own
//   /sys/fs/cgroup; exec, ps, pause/resume, kill --all and delete work on it.
// - cgroupfs: berth started in a scope of the user's (systemd-run --user --scope, Delegate=yes)
//   makes the container's cgroup beside that scope, where the user may write, with its limits.
// Both compared with runc where runc can do the same.

import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Spec } from "../../src/spec/types.js";
import { has, needs, RUNC_BIN } from "../helpers/host.js";
import { buildImageRootfs, tarRootfs } from "../engines/image.js";
import {
  findLeaks,
  makeBundle,
  runCaptured,
  RUNTIME_BIN,
  sleep,
  TMP_PREFIX,
  uniqueId,
  waitNoLeaks,
  type Bundle,
} from "../helpers/index.js";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  argv: string[];
}

const describeResult = (r: Result): string => `${r.argv.join(" ")} → ${r.code}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;

const PIDS = 42;
const MEMORY = 64 * 1024 * 1024;

function sh(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000 });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

needs("containers", "berth", "userns", "user-systemd").describe("rootless: a user with its own systemd instance", () => {
  let top = "";
  let user = "";
  let uid = -1;
  let gid = -1;
  let xdg = "";
  let bundle: Bundle;
  let base: Spec;
  /** The user manager's cgroup directory (user@<uid>.service). */
  let managerDir = "";
  const ids: { bin: string; id: string }[] = [];

  /** Run `bin args…` as the user, output through files; `scope`: in a new delegated scope of the user's instance. */
  const asUser = (
    bin: string,
    args: string[],
    opts: { scope?: boolean; env?: Record<string, string>; timeoutMs?: number } = {},
  ): Result => {
    const env = {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      HOME: join(top, "home"),
      USER: user,
      XDG_RUNTIME_DIR: xdg,
      ...opts.env,
    };
    const scope = opts.scope === true ? ["systemd-run", "--user", "--scope", "--quiet", "-p", "Delegate=yes", "--"] : [];
    const argv = ["setpriv", "--reuid", String(uid), "--regid", String(gid), "--init-groups", "--", ...scope, bin, ...args];
    return { ...runCaptured(argv, { cwd: bundle.dir, env, timeoutMs: opts.timeoutMs ?? 60_000 }), argv: [bin, ...args] };
  };
  const ok = (bin: string, args: string[], opts: { scope?: boolean; timeoutMs?: number } = {}): Result => {
    const r = asUser(bin, args, opts);
    if (r.code !== 0) throw new Error(`expected success:\n${describeResult(r)}`);
    return r;
  };
  const berth = (args: string[], opts: { scope?: boolean } = {}): Result => ok(RUNTIME_BIN, args, opts);
  const id = (bin: string, prefix: string): string => {
    const v = uniqueId(prefix);
    ids.push({ bin, id: v });
    return v;
  };
  const configure = (edit: (c: Spec) => void): void => {
    const c = structuredClone(base);
    edit(c);
    writeFileSync(bundle.path("config.json"), JSON.stringify(c, null, 2));
  };
  const sleeper = (c: Spec): void => {
    c.process!.terminal = false;
    c.process!.args = ["sleep", "1000"];
    c.linux!.resources = { pids: { limit: PIDS }, memory: { limit: MEMORY } };
  };
  const stateOf = (bin: string, c: string): { status: string; pid: number } =>
    JSON.parse(ok(bin, ["state", c]).stdout) as { status: string; pid: number };
  /** The cgroup2 directory a process is in. */
  const cgroupOf = (pid: number): string => {
    const line = readFileSync(`/proc/${pid}/cgroup`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("0::"));
    return join("/sys/fs/cgroup", line!.slice(3));
  };
  const read = (dir: string, file: string): string => readFileSync(join(dir, file), "utf8").trim();
  const waitStopped = async (bin: string, c: string): Promise<void> => {
    for (let i = 0; i < 200 && stateOf(bin, c).status !== "stopped"; i++) await sleep(25);
    expect(stateOf(bin, c).status).toBe("stopped");
  };
  const stateRoot = (): string => join(xdg, "berth");

  beforeAll(async () => {
    top = mkdtempSync(`${TMP_PREFIX}rlsd-`);
    chmodSync(top, 0o755);
    user = `berthrl${process.pid % 100000}`;
    const add = sh("useradd", ["--system", "--user-group", "--create-home", "--home-dir", join(top, "home"), "--shell", "/bin/sh", user]);
    if (add.status !== 0) throw new Error(`useradd: ${add.out}`);
    uid = Number(sh("id", ["-u", user]).out);
    gid = Number(sh("id", ["-g", user]).out);
    xdg = `/run/user/${uid}`;
    const linger = sh("loginctl", ["enable-linger", user]);
    if (linger.status !== 0) throw new Error(`loginctl enable-linger: ${linger.out}`);
    // logind starts user@<uid>.service; its bus socket (dbus.socket) comes up with it.
    const deadline = Date.now() + 120_000;
    while (!(existsSync(join(xdg, "bus")) && existsSync(join(xdg, "systemd/private")))) {
      if (Date.now() > deadline)
        throw new Error(`user@${uid}.service did not come up: ${sh("systemctl", ["status", `user@${uid}.service`]).out}`);
      await sleep(100);
    }
    managerDir = `/sys/fs/cgroup/user.slice/user-${uid}.slice/user@${uid}.service`;
    bundle = makeBundle({ parent: top, noConfig: true });
    chmodSync(bundle.dir, 0o755);
    chownSync(bundle.dir, uid, gid);
    ok(RUNTIME_BIN, ["spec", "--rootless"]);
    base = JSON.parse(readFileSync(bundle.path("config.json"), "utf8")) as Spec;
  });

  afterAll(async () => {
    if (uid >= 0 && bundle !== undefined) {
      for (const c of ids) asUser(c.bin, ["delete", "--force", c.id]);
      for (const c of ids) expect(await waitNoLeaks({ id: c.id, root: stateRoot(), bundle: bundle.dir })).toEqual([]);
    }
    if (user !== "") {
      sh("loginctl", ["disable-linger", user]);
      if (uid >= 0) sh("systemctl", ["stop", `user@${uid}.service`, `user-runtime-dir@${uid}.service`]);
      // What the user still runs outside its instance (rootless podman's pause process) goes too.
      if (uid >= 0) {
        for (const p of sh("ps", ["-o", "pid=", "-u", String(uid)])
          .out.split(/\s+/)
          .filter(Boolean)) {
          try {
            process.kill(Number(p), "SIGKILL");
          } catch {
            /* gone */
          }
        }
      }
      const del = sh("userdel", ["--remove", user]);
      if (del.status !== 0) throw new Error(`userdel: ${del.out}`);
    }
    if (top !== "") rmSync(top, { recursive: true, force: true });
    if (uid >= 0) expect(existsSync(`/sys/fs/cgroup/user.slice/user-${uid}.slice`)).toBe(false);
  });

  it("--systemd-cgroup: the scope is in the user's instance with the limits; exec, ps, pause/resume, update, kill --all, delete", async () => {
    configure(sleeper);
    const c = id(RUNTIME_BIN, "rlsd");
    berth(["--systemd-cgroup", "run", "-d", c]);
    const { pid } = stateOf(RUNTIME_BIN, c);
    // runc's place for a rootless scope: the user instance's user.slice
    const scope = join(managerDir, "user.slice", `berth-${c}.scope`);
    expect(cgroupOf(pid)).toBe(scope);
    expect(statSync(scope).uid).toBe(uid);
    expect(read(scope, "pids.max")).toBe(String(PIDS));
    expect(read(scope, "memory.max")).toBe(String(MEMORY));
    expect(
      ok("systemctl", ["--user", "show", "-p", "ActiveState", "-p", "TasksMax", `berth-${c}.scope`])
        .stdout.trim()
        .split("\n")
        .sort(),
    ).toEqual(["ActiveState=active", `TasksMax=${PIDS}`]);
    // exec from outside the user's subtree: the user's instance moves the process in (through
    // the system instance); inside, the scope is the container's /sys/fs/cgroup.
    const e = berth(["exec", c, "sh", "-c", "cat /proc/self/cgroup /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max"]);
    expect(e.stdout.trim().split("\n")).toEqual(["0::/", String(PIDS), String(MEMORY)]);
    expect(e.stderr).not.toMatch(/stays out/);
    berth(["exec", "-d", c, "sleep", "999"]);
    const pids = JSON.parse(berth(["ps", "--format", "json", c]).stdout) as number[];
    expect(pids).toContain(pid);
    expect(pids.length).toBe(2);
    for (const p of pids) expect(cgroupOf(p)).toBe(scope);
    berth(["pause", c]);
    expect(stateOf(RUNTIME_BIN, c).status).toBe("paused");
    expect(read(scope, "cgroup.freeze")).toBe("1");
    berth(["resume", c]);
    expect(stateOf(RUNTIME_BIN, c).status).toBe("running");
    expect(read(scope, "cgroup.freeze")).toBe("0");
    // update changes the scope's files and the unit's properties, in the user's instance
    berth(["update", "--pids-limit", String(PIDS + 8), c]);
    expect(read(scope, "pids.max")).toBe(String(PIDS + 8));
    expect(ok("systemctl", ["--user", "show", "-p", "TasksMax", `berth-${c}.scope`]).stdout.trim()).toBe(`TasksMax=${PIDS + 8}`);
    berth(["kill", "--all", c, "KILL"]);
    await waitStopped(RUNTIME_BIN, c);
    berth(["delete", c]);
    expect(existsSync(scope)).toBe(false);
    expect(ok("systemctl", ["--user", "show", "-p", "LoadState", `berth-${c}.scope`]).stdout.trim()).toBe("LoadState=not-found");
    expect(await waitNoLeaks({ id: c, root: stateRoot(), bundle: bundle.dir, pids })).toEqual([]);
  });

  it("--systemd-cgroup: the pids limit holds inside the container", () => {
    // A subshell forks sleepers until the limit stops it; then only builtins (no fork) report.
    const script =
      "(i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done) 2>/dev/null; echo status=$?; " +
      "read n < /sys/fs/cgroup/pids.current; echo current=$n; read k v < /sys/fs/cgroup/pids.events; echo $k=$v";
    configure((cfg) => {
      sleeper(cfg);
      cfg.process!.args = ["sh", "-c", script];
    });
    const r = asUser(RUNTIME_BIN, ["--systemd-cgroup", "run", id(RUNTIME_BIN, "rlsd-fork")]);
    expect(r.code, describeResult(r)).toBe(0);
    const out = Object.fromEntries(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => l.split("=") as [string, string]),
    );
    expect(out.status, describeResult(r)).not.toBe("0");
    expect(Number(out.current)).toBeLessThanOrEqual(PIDS);
    expect(Number(out.current)).toBeGreaterThanOrEqual(PIDS - 2);
    expect(Number(out.max)).toBeGreaterThan(0);
  });

  needs("runc").it("runc --systemd-cgroup puts its scope beside berth's, with the same limits", () => {
    configure(sleeper);
    const ours = id(RUNTIME_BIN, "rlsd-cmp");
    const theirs = id(RUNC_BIN, "rlsd-runc");
    berth(["--systemd-cgroup", "run", "-d", ours]);
    ok(RUNC_BIN, ["--systemd-cgroup", "run", "-d", theirs]);
    const a = cgroupOf(stateOf(RUNTIME_BIN, ours).pid);
    const b = cgroupOf(stateOf(RUNC_BIN, theirs).pid);
    expect(a).toBe(join(managerDir, "user.slice", `berth-${ours}.scope`));
    expect(b).toBe(join(managerDir, "user.slice", `runc-${theirs}.scope`));
    for (const f of ["pids.max", "memory.max", "cgroup.freeze"]) expect(read(a, f), f).toBe(read(b, f));
    berth(["delete", "--force", ours]);
    ok(RUNC_BIN, ["delete", "--force", theirs]);
    expect(existsSync(a)).toBe(false);
    expect(existsSync(b)).toBe(false);
  });

  it("berth check, run as the user, reports the user's instance", () => {
    const r = asUser(RUNTIME_BIN, ["check"]);
    expect(r.stdout, describeResult(r)).toMatch(/^ok\s+cgroups: systemd\s+the user's systemd \d+ answers on D-Bus/m);
  });

  it("--systemd-cgroup without a reachable user instance: an error naming --systemd-cgroup; nothing is left", () => {
    configure(sleeper);
    const empty = join(top, "no-bus");
    mkdirSync(empty, { mode: 0o700 });
    chownSync(empty, uid, gid);
    const c = uniqueId("rlsd-nobus");
    const r = asUser(RUNTIME_BIN, ["--systemd-cgroup", "run", "-d", c], { env: { XDG_RUNTIME_DIR: empty } });
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/--systemd-cgroup/);
    expect(r.stderr).toMatch(/user's systemd instance/);
    expect(findLeaks({ id: c, root: join(empty, "berth"), bundle: bundle.dir })).toEqual([]);
  });

  it("cgroupfs in a delegated scope: the container's cgroup is made beside it with the limits; exec, ps, pause/resume, delete", async () => {
    configure(sleeper);
    const c = id(RUNTIME_BIN, "rlfs");
    berth(["run", "-d", c], { scope: true });
    const { pid } = stateOf(RUNTIME_BIN, c);
    const dir = cgroupOf(pid);
    // runc's rule: the parent of berth's own cgroup (the transient scope), here the instance's app.slice
    expect(dir.startsWith(`${managerDir}/`)).toBe(true);
    expect(dir.endsWith(`/${c}`)).toBe(true);
    expect(statSync(dir).uid).toBe(uid);
    expect(read(dir, "pids.max")).toBe(String(PIDS));
    expect(read(dir, "memory.max")).toBe(String(MEMORY));
    const e = berth(["exec", c, "sh", "-c", "cat /proc/self/cgroup /sys/fs/cgroup/pids.max"], { scope: true });
    expect(e.stdout.trim().split("\n")).toEqual(["0::/", String(PIDS)]);
    berth(["exec", "-d", c, "sleep", "999"], { scope: true });
    const pids = JSON.parse(berth(["ps", "--format", "json", c]).stdout) as number[];
    expect(pids.length).toBe(2);
    berth(["pause", c]);
    expect(read(dir, "cgroup.freeze")).toBe("1");
    expect(stateOf(RUNTIME_BIN, c).status).toBe("paused");
    berth(["resume", c]);
    expect(stateOf(RUNTIME_BIN, c).status).toBe("running");
    berth(["delete", "--force", c]);
    expect(existsSync(dir)).toBe(false);
    expect(await waitNoLeaks({ id: c, root: stateRoot(), bundle: bundle.dir, pids })).toEqual([]);
  });

  needs("runc").it("cgroupfs in a delegated scope: runc makes its cgroup in the same place with the same limits", () => {
    configure(sleeper);
    const ours = id(RUNTIME_BIN, "rlfs-cmp");
    const theirs = id(RUNC_BIN, "rlfs-runc");
    berth(["run", "-d", ours], { scope: true });
    ok(RUNC_BIN, ["run", "-d", theirs], { scope: true });
    const a = cgroupOf(stateOf(RUNTIME_BIN, ours).pid);
    const b = cgroupOf(stateOf(RUNC_BIN, theirs).pid);
    expect(a.slice(0, -ours.length)).toBe(b.slice(0, -theirs.length));
    for (const f of ["pids.max", "memory.max"]) expect(read(a, f), f).toBe(read(b, f));
    berth(["delete", "--force", ours]);
    ok(RUNC_BIN, ["delete", "--force", theirs]);
    expect(existsSync(a)).toBe(false);
    expect(existsSync(b)).toBe(false);
  });

  // Rootless podman (in a user namespace of the user's, with newuidmap and the ranges below)
  // runs its runtime as root in that namespace: berth then drives the user's instance too.
  needs("podman", "uidmap").it(
    "rootless podman runs containers through berth, with its systemd and cgroupfs managers, as with runc",
    () => {
      const range = "1400000-1465535";
      const mod = sh("usermod", ["--add-subuids", range, "--add-subgids", range, user]);
      if (mod.status !== 0) throw new Error(`usermod: ${mod.out}`);
      try {
        const rootfs = buildImageRootfs(join(top, "image-rootfs"));
        const tar = tarRootfs(rootfs, join(top, "image.tar"));
        chmodSync(tar, 0o644);
        const image = "localhost/berth-rootless:latest";
        const podman = (runtime: string, args: string[]): Result =>
          ok("podman", ["--storage-driver", "vfs", "--runtime", runtime, "--events-backend", "file", ...args], { timeoutMs: 150_000 });
        podman(RUNTIME_BIN, ["import", "--quiet", tar, image]);
        const show = ["cat", "/sys/fs/cgroup/pids.max", "/proc/self/cgroup"];
        const run = (runtime: string, manager: string): string[] =>
          podman(runtime, ["--cgroup-manager", manager, "run", "--rm", "--network", "none", "--pids-limit", String(PIDS), image, ...show])
            .stdout.trim()
            .split("\n");
        for (const manager of ["systemd", "cgroupfs"]) {
          const ours = run(RUNTIME_BIN, manager);
          expect(ours, manager).toEqual([String(PIDS), "0::/"]);
          if (has("runc")) expect(run(RUNC_BIN, manager), manager).toEqual(ours);
        }
      } finally {
        sh("usermod", ["--del-subuids", range, "--del-subgids", range, user]);
      }
    },
  );
});
