// Rootless berth (runc's rootless mode): uid 65534 runs `spec --rootless`, `run`, `exec`,
// `state`, `list`, `ps`, `kill` and `delete` with no --root (so the state goes to
// $XDG_RUNTIME_DIR/berth), on a bundle it owns whose rootfs root owns. Inside, the
// container's root is that user; no cgroup is writable for it on a host that delegates
// none, so the container runs without one and a limit is refused naming its JSON path;
// ids beyond its own go through newuidmap/newgidmap and /etc/subuid, /etc/subgid
// entries the test adds and removes. Compared with runc where it is installed.

import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Spec } from "../../src/spec/types.js";
import { AS_NOBODY, has, needs, RUNC_BIN } from "../helpers/host.js";
import { findLeaks, makeBundle, runCaptured, RUNTIME_BIN, TMP_PREFIX, uniqueId, waitNoLeaks, type Bundle } from "../helpers/index.js";

const NOBODY = 65534;
/** Subordinate ids the multi-id test gives uid 65534 (far from any a host hands out). */
const SUB_START = 1_300_000;
const SUB_SIZE = 65536;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  argv: string[];
}

/**
 * Run `bin args…` as uid 65534 with XDG_RUNTIME_DIR set; output through files (a detached
 * container keeps them). `cgroup`: a cgroup2 directory to run it in (root moves the shell there first).
 */
function asNobody(bin: string, args: string[], opts: { cwd: string; xdg: string; cgroup?: string }): Result {
  const env = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: opts.xdg,
    XDG_RUNTIME_DIR: opts.xdg,
    USER: "nobody",
  };
  const argv =
    opts.cgroup === undefined
      ? ["setpriv", ...AS_NOBODY, bin, ...args]
      : ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec setpriv "$@"', opts.cgroup, ...AS_NOBODY, bin, ...args];
  return { ...runCaptured(argv, { cwd: opts.cwd, env }), argv: [bin, ...args] };
}

function describeResult(r: Result): string {
  return `${r.argv.join(" ")} → ${r.code}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;
}

const SHOW_IDS = "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups";

needs("containers", "berth", "userns", "rootless-user").describe("rootless: uid 65534 runs containers", () => {
  let top = "";
  let xdg = "";
  let bundle: Bundle;
  let base: Spec;
  const ids: string[] = [];

  const berth = (args: string[]): Result => asNobody(RUNTIME_BIN, args, { cwd: bundle.dir, xdg });
  const ok = (args: string[]): Result => {
    const r = berth(args);
    if (r.code !== 0) throw new Error(`expected success:\n${describeResult(r)}`);
    return r;
  };
  const id = (prefix: string): string => {
    const v = uniqueId(prefix);
    ids.push(v);
    return v;
  };
  /** The config `spec --rootless` wrote, with `edit` applied. */
  const configure = (edit: (c: Spec) => void): void => {
    const c = structuredClone(base);
    edit(c);
    writeFileSync(bundle.path("config.json"), JSON.stringify(c, null, 2));
  };
  const withArgs =
    (...args: string[]) =>
    (c: Spec): void => {
      c.process!.terminal = false;
      c.process!.args = args;
    };
  const stateRoot = (): string => join(xdg, "berth");

  beforeAll(() => {
    top = mkdtempSync(`${TMP_PREFIX}rootless-`);
    chmodSync(top, 0o755);
    xdg = join(top, "xdg");
    mkdirSync(xdg, { mode: 0o700 });
    chownSync(xdg, NOBODY, NOBODY);
    // The bundle directory is the user's (spec writes config.json there); the rootfs stays root's, readable.
    bundle = makeBundle({ parent: top, noConfig: true });
    chmodSync(bundle.dir, 0o755);
    chownSync(bundle.dir, NOBODY, NOBODY);
    const r = asNobody(RUNTIME_BIN, ["spec", "--rootless"], { cwd: bundle.dir, xdg });
    if (r.code !== 0) throw new Error(`spec --rootless:\n${describeResult(r)}`);
    base = JSON.parse(readFileSync(bundle.path("config.json"), "utf8")) as Spec;
  });

  afterAll(async () => {
    if (bundle !== undefined) {
      for (const c of ids) berth(["delete", "--force", c]);
      for (const c of ids) expect(await waitNoLeaks({ id: c, root: stateRoot(), bundle: bundle.dir })).toEqual([]);
    }
    if (top !== "") rmSync(top, { recursive: true, force: true });
  });

  it("spec --rootless maps the caller's own ids and adds a user namespace", () => {
    expect(base.linux?.uidMappings).toEqual([{ containerID: 0, hostID: NOBODY, size: 1 }]);
    expect(base.linux?.gidMappings).toEqual([{ containerID: 0, hostID: NOBODY, size: 1 }]);
    expect(base.linux?.namespaces?.map((n) => n.type)).toContain("user");
    expect(base.linux?.resources).toBeUndefined();
  });

  it("run: the container's root is the user, mapped alone, with setgroups denied; nothing is left", async () => {
    configure(withArgs("sh", "-c", SHOW_IDS));
    const c = id("rl-run");
    const r = ok(["run", c]);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.trim().split(/\s+/).join(" "));
    expect(lines).toEqual(["0", "0", `0 ${NOBODY} 1`, `0 ${NOBODY} 1`, "deny"]);
    expect(await waitNoLeaks({ id: c, root: stateRoot(), bundle: bundle.dir })).toEqual([]);
  });

  it("the default state root is $XDG_RUNTIME_DIR/berth, the user's, 0700 and sticky (as runc's)", () => {
    const st = statSync(stateRoot());
    expect(st.uid).toBe(NOBODY);
    expect(st.mode & 0o7777).toBe(0o1700);
  });

  it("run -d, state, list, exec, ps, kill and delete, all as the user", async () => {
    configure(withArgs("sleep", "1000"));
    const c = id("rl-life");
    ok(["run", "-d", c]);
    const state = JSON.parse(ok(["state", c]).stdout) as { status: string; pid: number };
    expect(state.status).toBe("running");
    expect(readFileSync(`/proc/${state.pid}/status`, "utf8")).toMatch(new RegExp(`^Uid:\\s+${NOBODY}\\s`, "m"));
    expect(ok(["list"]).stdout).toMatch(new RegExp(`^${c}\\s+${state.pid}\\s+running\\s+.*\\snobody$`, "m"));
    const inside = ok(["exec", c, "sh", "-c", SHOW_IDS])
      .stdout.trim()
      .split("\n")
      .map((l) => l.trim().split(/\s+/).join(" "));
    expect(inside).toEqual(["0", "0", `0 ${NOBODY} 1`, `0 ${NOBODY} 1`, "deny"]);
    // Without a cgroup, ps finds the container's processes through its pid namespace.
    ok(["exec", "-d", c, "sleep", "999"]);
    const pids = JSON.parse(ok(["ps", "--format", "json", c]).stdout) as number[];
    expect(pids).toContain(state.pid);
    expect(pids.length).toBe(2);
    // No freezer cgroup either: pause fails and says why, the container runs on.
    const paused = berth(["pause", c]);
    expect(paused.code, describeResult(paused)).toBe(1);
    expect(paused.stderr).toMatch(/no freezer cgroup: it is rootless/);
    expect((JSON.parse(ok(["state", c]).stdout) as { status: string }).status).toBe("running");
    ok(["kill", c, "KILL"]);
    for (let i = 0; i < 100 && (JSON.parse(ok(["state", c]).stdout) as { status: string }).status !== "stopped"; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect((JSON.parse(ok(["state", c]).stdout) as { status: string }).status).toBe("stopped");
    ok(["delete", c]);
    expect(existsSync(join(stateRoot(), c))).toBe(false);
    expect(await waitNoLeaks({ id: c, root: stateRoot(), bundle: bundle.dir, pids: pids })).toEqual([]);
  });

  it("kill --all reaches every process of a container without a cgroup", async () => {
    configure(withArgs("sleep", "1000"));
    const c = id("rl-all");
    ok(["run", "-d", c]);
    ok(["exec", "-d", c, "sleep", "998"]);
    const pids = JSON.parse(ok(["ps", "--format", "json", c]).stdout) as number[];
    expect(pids.length).toBe(2);
    ok(["kill", "--all", c, "KILL"]);
    ok(["delete", "--force", c]);
    expect(await waitNoLeaks({ id: c, root: stateRoot(), bundle: bundle.dir, pids })).toEqual([]);
  });

  it("a limit that needs a cgroup the user cannot make is refused naming its JSON path; nothing is left", async () => {
    configure((cfg) => {
      withArgs("true")(cfg);
      cfg.linux!.resources = { memory: { limit: 64 * 1024 * 1024 } };
    });
    const c = id("rl-limit");
    const r = berth(["run", c]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/linux\.resources\.memory\.limit/);
    expect(findLeaks({ id: c, root: stateRoot(), bundle: bundle.dir })).toEqual([]);
  });

  it("an explicit linux.cgroupsPath the user may not write is an error (runc's rule), not skipped", () => {
    configure((cfg) => {
      withArgs("true")(cfg);
      cfg.linux!.cgroupsPath = `/berth-test-rootless/${uniqueId("cg")}`;
    });
    const c = id("rl-cgpath");
    const r = berth(["run", c]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/permission denied|operation not permitted/);
    expect(r.stderr).toMatch(/linux\.cgroupsPath/);
    expect(findLeaks({ id: c, root: stateRoot(), bundle: bundle.dir })).toEqual([]);
  });

  it("--systemd-cgroup without a systemd instance of the user's: an error naming the flag; nothing is left", () => {
    // This host's user has none: no systemd here, cgroup v1, or no user@65534.service.
    configure(withArgs("true"));
    const c = id("rl-sdnone");
    const r = berth(["--systemd-cgroup", "run", c]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/--systemd-cgroup/);
    expect(findLeaks({ id: c, root: stateRoot(), bundle: bundle.dir })).toEqual([]);
  });

  it("a config without a user namespace is refused naming linux.namespaces", () => {
    configure((cfg) => {
      withArgs("true")(cfg);
      cfg.linux!.namespaces = cfg.linux!.namespaces!.filter((n) => n.type !== "user");
      delete cfg.linux!.uidMappings;
      delete cfg.linux!.gidMappings;
    });
    const c = id("rl-nouserns");
    const r = berth(["run", c]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/linux\.namespaces.*requires a user namespace/);
    expect(existsSync(join(stateRoot(), c))).toBe(false);
  });

  needs("runc").it("runc runs the same bundle as the same user and its container shows the same ids", () => {
    configure(withArgs("sh", "-c", SHOW_IDS));
    const ours = ok(["run", id("rl-cmp")]).stdout;
    const c = uniqueId("rl-runc");
    const theirs = asNobody(RUNC_BIN, ["run", c], { cwd: bundle.dir, xdg });
    expect(theirs.code, describeResult(theirs)).toBe(0);
    asNobody(RUNC_BIN, ["delete", "--force", c], { cwd: bundle.dir, xdg });
    const norm = (s: string) =>
      s
        .trim()
        .split("\n")
        .map((l) => l.trim().split(/\s+/).join(" "));
    expect(norm(ours)).toEqual(norm(theirs.stdout));
  });

  // A cgroup2 subtree delegated to the user, as systemd's Delegate=yes makes one: the
  // directory and its cgroup.procs, cgroup.subtree_control and cgroup.threads are the
  // user's. berth runs in <dir>/leaf and makes the container's cgroup beside it.
  needs("cgroup-v2").describe("a cgroup delegated to the user (cgroup v2)", () => {
    let deleg = "";
    beforeAll(() => {
      deleg = `/sys/fs/cgroup/${uniqueId("rl-deleg")}`;
      mkdirSync(join(deleg, "leaf"), { recursive: true });
      for (const d of [deleg, join(deleg, "leaf")]) {
        chownSync(d, NOBODY, NOBODY);
        for (const f of ["cgroup.procs", "cgroup.subtree_control", "cgroup.threads"]) chownSync(join(d, f), NOBODY, NOBODY);
      }
    });
    afterAll(() => {
      if (deleg === "") return;
      for (const d of [join(deleg, "leaf"), deleg]) {
        try {
          rmdirSync(d);
        } catch {
          /* never made */
        }
      }
    });
    const inDeleg = (args: string[]): Result => asNobody(RUNTIME_BIN, args, { cwd: bundle.dir, xdg, cgroup: join(deleg, "leaf") });

    it("the container gets its own cgroup there, with its limits, and sees it as /sys/fs/cgroup; delete removes it", async () => {
      configure((c) => {
        withArgs("sleep", "1000")(c);
        c.linux!.resources = { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } };
      });
      const c = id("rl-deleg");
      const r = inDeleg(["run", "-d", c]);
      expect(r.code, describeResult(r)).toBe(0);
      const dir = join(deleg, c);
      expect(readFileSync(join(dir, "memory.max"), "utf8").trim()).toBe(String(64 * 1024 * 1024));
      expect(readFileSync(join(dir, "pids.max"), "utf8").trim()).toBe("50");
      const pid = (JSON.parse(ok(["state", c]).stdout) as { pid: number }).pid;
      expect(readFileSync(`/proc/${pid}/cgroup`, "utf8")).toContain(`0::/${deleg.slice("/sys/fs/cgroup/".length)}/${c}`);
      // exec from inside the delegated subtree joins the container's cgroup (runc's rule: the
      // caller must be able to move the process there)
      const e = inDeleg(["exec", c, "sh", "-c", "cat /sys/fs/cgroup/memory.max; cat /proc/self/cgroup"]);
      expect(e.code, describeResult(e)).toBe(0);
      expect(e.stdout.trim().split("\n")).toEqual([String(64 * 1024 * 1024), "0::/"]);
      expect(JSON.parse(ok(["ps", "--format", "json", c]).stdout)).toEqual([pid]);
      // From outside the subtree the process cannot be moved there: as runc, exec goes on (berth warns).
      const outside = berth(["exec", c, "true"]);
      expect(outside.code, describeResult(outside)).toBe(0);
      expect(outside.stderr).toMatch(/stays out of the container's cgroup/);
      ok(["delete", "--force", c]);
      expect(existsSync(dir)).toBe(false);
      expect(await waitNoLeaks({ id: c, root: stateRoot(), bundle: bundle.dir, pids: [pid] })).toEqual([]);
    });

    // Half a delegation: the user may mkdir in the directory, but its cgroup.procs (the common
    // ancestor's of berth's cgroup and the container's) is root's, so the kernel would refuse the
    // move. The container runs without a cgroup of its own, and a limit is refused.
    it("a directory the user may only mkdir in is not delegated: no cgroup there, and a limit is refused", async () => {
      const half = `/sys/fs/cgroup/${uniqueId("rl-half")}`;
      mkdirSync(join(half, "leaf"), { recursive: true });
      try {
        chownSync(half, NOBODY, NOBODY);
        for (const f of ["", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"]) chownSync(join(half, "leaf", f), NOBODY, NOBODY);
        const inHalf = (args: string[]): Result => asNobody(RUNTIME_BIN, args, { cwd: bundle.dir, xdg, cgroup: join(half, "leaf") });
        configure(withArgs("cat", "/proc/self/cgroup"));
        const c = id("rl-half");
        const r = inHalf(["run", c]);
        expect(r.code, describeResult(r)).toBe(0);
        expect(existsSync(join(half, c))).toBe(false);
        configure((cfg) => {
          withArgs("true")(cfg);
          cfg.linux!.resources = { pids: { limit: 50 } };
        });
        const limited = inHalf(["run", id("rl-half-lim")]);
        expect(limited.code, describeResult(limited)).toBe(1);
        expect(limited.stderr).toMatch(/linux\.resources\.pids\.limit/);
        expect(await waitNoLeaks({ id: c, root: stateRoot(), bundle: bundle.dir })).toEqual([]);
      } finally {
        for (const d of [join(half, "leaf"), half]) {
          try {
            rmdirSync(d);
          } catch {
            /* never made */
          }
        }
      }
    });
  });

  describe("several ids through newuidmap and newgidmap", () => {
    // Only this test's own line is added and removed again: other test files (the guest's
    // rootless podman test) add entries of their own meanwhile.
    const line = `${NOBODY}:${SUB_START}:${SUB_SIZE}`;
    const made = new Set<string>();
    beforeAll(() => {
      if (!has("uidmap")) return;
      for (const f of ["/etc/subuid", "/etc/subgid"]) {
        if (!existsSync(f)) made.add(f);
        const old = existsSync(f) ? readFileSync(f, "utf8") : "";
        const sep = old === "" || old.endsWith("\n") ? "" : "\n";
        writeFileSync(f, `${old}${sep}${line}\n`);
      }
    });
    afterAll(() => {
      if (!has("uidmap")) return;
      for (const f of ["/etc/subuid", "/etc/subgid"]) {
        const rest = readFileSync(f, "utf8")
          .split("\n")
          .filter((l) => l !== line);
        if (made.has(f) && rest.every((l) => l === "")) rmSync(f, { force: true });
        else writeFileSync(f, rest.join("\n"));
      }
    });
    const multi = (c: Spec): void => {
      const maps = [
        { containerID: 0, hostID: NOBODY, size: 1 },
        { containerID: 1, hostID: SUB_START, size: SUB_SIZE },
      ];
      c.linux!.uidMappings = maps;
      c.linux!.gidMappings = maps;
    };

    needs("uidmap").it(
      "the maps hold the user's ids and its ranges; setgroups stays allowed; uid 1000 inside is a subordinate id outside",
      async () => {
        configure((c) => {
          withArgs("sh", "-c", SHOW_IDS)(c);
          multi(c);
        });
        const lines = ok(["run", id("rl-multi")])
          .stdout.trim()
          .split("\n")
          .map((l) => l.trim().split(/\s+/).join(" "));
        expect(lines).toEqual([
          "0",
          "0",
          `0 ${NOBODY} 1`,
          `1 ${SUB_START} ${SUB_SIZE}`,
          `0 ${NOBODY} 1`,
          `1 ${SUB_START} ${SUB_SIZE}`,
          "allow",
        ]);
        configure((c) => {
          withArgs("sleep", "1000")(c);
          multi(c);
          c.process!.user = { uid: 1000, gid: 1000 };
        });
        const c = id("rl-sub");
        ok(["run", "-d", c]);
        const pid = (JSON.parse(ok(["state", c]).stdout) as { pid: number }).pid;
        const status = readFileSync(`/proc/${pid}/status`, "utf8");
        expect(status).toMatch(new RegExp(`^Uid:\\s+${SUB_START + 999}\\s`, "m"));
        expect(status).toMatch(new RegExp(`^Gid:\\s+${SUB_START + 999}\\s`, "m"));
        ok(["delete", "--force", c]);
        expect(await waitNoLeaks({ id: c, root: stateRoot(), bundle: bundle.dir, pids: [pid] })).toEqual([]);
      },
    );

    needs("uidmap").it("host ids outside the user's ranges: newuidmap refuses, the error names linux.uidMappings", () => {
      configure((c) => {
        withArgs("true")(c);
        c.linux!.uidMappings = [
          { containerID: 0, hostID: NOBODY, size: 1 },
          { containerID: 1, hostID: SUB_START + SUB_SIZE, size: 10 },
        ];
      });
      const c = id("rl-badmap");
      const r = berth(["run", c]);
      expect(r.code, describeResult(r)).toBe(1);
      expect(r.stderr).toMatch(/linux\.uidMappings/);
      expect(r.stderr).toMatch(/newuidmap/);
      expect(findLeaks({ id: c, root: stateRoot(), bundle: bundle.dir })).toEqual([]);
    });
  });
});
