// The command-line surface callers depend on: list formats, --log with JSON
// lines, --version, --help on every command, both flag spellings, spec and
// features.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { has, needs } from "../helpers/host.js";
import { Sandbox, TMP_PREFIX, describeResult, disposeSharedRoot, newRoot, runtime } from "../helpers/index.js";
import { COMMANDS as GRAMMAR, GLOBAL_FLAGS, type CommandDef } from "../../src/cli/grammar.js";
import { completion } from "../../src/cli/docs/completion.js";

afterAll(() => disposeSharedRoot());

// events and update come with cgroup resource support.
const COMMANDS = ["create", "start", "run", "state", "kill", "delete", "list", "exec", "spec", "features", "ps", "pause", "resume"];

needs("runtime").describe("cli: commands that need no container", () => {
  it("--version prints the version and the spec version, exit 0", () => {
    const r = runtime(["--version"], { root: null });
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/^\S+ version \S+/m);
    expect(r.stdout).toMatch(/^spec: \d+\.\d+\.\d+/m);
    expect(r.stderr).toBe("");
  });

  it("-v is the short form of --version", () => {
    const r = runtime(["-v"], { root: null });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/version/);
  });

  it("--help prints usage, exit 0", () => {
    const r = runtime(["--help"], { root: null });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/create/);
    expect(r.stdout).toMatch(/delete/);
  });

  for (const cmd of COMMANDS) {
    it(`${cmd} --help prints usage naming the command, exit 0`, () => {
      const r = runtime([cmd, "--help"], { root: null });
      expect(r.code, describeResult(r)).toBe(0);
      expect(r.stdout).toContain(cmd);
    });
  }

  needs("berth").it("berth --help, berth help CMD and CMD -h come from the grammar; --help after exec's id is the command's", () => {
    const top = runtime(["--help"], { root: null });
    for (const c of GRAMMAR as readonly CommandDef[])
      expect(top.stdout).toMatch(new RegExp(`^  ${c.name} +${c.describe.replace(/[()]/g, "\\$&")}`, "m"));
    for (const f of GLOBAL_FLAGS) expect(top.stdout).toContain(`--${f.name}`);
    for (const args of [
      ["help", "exec"],
      ["exec", "-h"],
      ["--root", "/x", "exec", "--tty", "--help"],
    ]) {
      const r = runtime(args, { root: null });
      expect(r.code, describeResult(r)).toBe(0);
      expect(r.stdout).toMatch(/^Usage: berth exec /);
      expect(r.stdout).toContain("--preserve-fds N");
    }
    const inner = runtime(["exec", "berth-test-no-such-container", "ls", "--help"]);
    expect(inner.code).toBe(255);
    expect(inner.stderr).toContain("does not exist");
  });

  needs("berth").it("completion prints each shell's script; bash -n accepts it; an unknown shell fails", () => {
    for (const shell of ["bash", "zsh", "fish"] as const) {
      const r = runtime(["completion", shell], { root: null });
      expect(r.code, describeResult(r)).toBe(0);
      expect(r.stdout).toBe(completion(shell));
    }
    const bash = spawnSync("bash", ["-n"], { input: runtime(["completion", "bash"], { root: null }).stdout, encoding: "utf8" });
    expect(bash.status, bash.stderr).toBe(0);
    const bad = runtime(["completion", "tcsh"], { root: null });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("bash, zsh, fish");
  });

  it("an unknown command fails", () => {
    const r = runtime(["no-such-command"], { root: null });
    expect(r.code).not.toBe(0);
  });

  it("features prints JSON with ociVersionMin/Max and all six hooks on stdout, nothing on stderr", () => {
    const r = runtime(["features"], { root: null });
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stderr).toBe("");
    const f = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(typeof f.ociVersionMin).toBe("string");
    expect(typeof f.ociVersionMax).toBe("string");
    expect(f.ociVersionMin).toMatch(/^1\.\d+\.\d+/);
    expect(f.ociVersionMax).toMatch(/^1\.\d+\.\d+/);
    expect(f.hooks).toEqual(
      expect.arrayContaining(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]),
    );
    expect(Array.isArray(f.mountOptions)).toBe(true);
    const linux = f.linux as Record<string, unknown>;
    expect(linux.namespaces).toEqual(expect.arrayContaining(["pid", "network", "mount", "ipc", "uts", "user", "cgroup"]));
  });

  it("spec writes a config.json that parses and refuses to overwrite it", () => {
    const dir = mkdtempSync(`${TMP_PREFIX}spec-`);
    try {
      const r = runtime(["spec", "--bundle", dir], { root: null });
      expect(r.code, describeResult(r)).toBe(0);
      const c = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
      expect(c.ociVersion).toMatch(/^1\./);
      expect(c.root.path).toBe("rootfs");
      expect(c.process.args).toEqual(["sh"]);
      expect(c.process.terminal).toBe(true);
      expect(c.linux.namespaces.map((n: { type: string }) => n.type)).toEqual(
        expect.arrayContaining(["pid", "network", "ipc", "uts", "mount"]),
      );
      const again = runtime(["spec", "--bundle", dir], { root: null });
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/exists/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("spec writes into the working directory by default", () => {
    const dir = mkdtempSync(`${TMP_PREFIX}spec-`);
    try {
      const r = runtime(["spec"], { root: null, cwd: dir });
      expect(r.code, describeResult(r)).toBe(0);
      expect(existsSync(join(dir, "config.json"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("list on an empty root prints the header only; -q prints nothing; json prints an empty list", () => {
    const root = newRoot();
    try {
      const t = runtime(["list"], { root });
      expect(t.code).toBe(0);
      expect(t.stdout.trim()).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
      const q = runtime(["list", "-q"], { root });
      expect(q.code).toBe(0);
      expect(q.stdout).toBe("");
      const j = runtime(["list", "--format", "json"], { root });
      expect(j.code).toBe(0);
      // runc 1.1 prints null, newer runc and berth print [].
      expect([null, []]).toContainEqual(JSON.parse(j.stdout));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("list --format with an unknown format fails", () => {
    const r = runtime(["list", "--format", "bogus"]);
    expect(r.code).toBe(1);
  });

  it("--log FILE --log-format json writes one {level,msg,time} object per line for an error", () => {
    const dir = mkdtempSync(`${TMP_PREFIX}log-`);
    const log = join(dir, "log.json");
    try {
      const r = runtime(["--log", log, "--log-format", "json", "state", "berth-test-missing"]);
      expect(r.code).toBe(1);
      // The error also goes to stderr.
      expect(r.stderr).toContain("does not exist");
      const lines = readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l !== "");
      expect(lines.length).toBeGreaterThan(0);
      const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const o of objs) {
        expect(typeof o.level).toBe("string");
        expect(typeof o.msg).toBe("string");
        expect(o.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
      }
      const last = objs.filter((o) => o.level === "error").pop();
      expect(last?.msg).toContain("does not exist");
      // The log is appended to, never truncated.
      runtime(["--log=" + log, "--log-format=json", "state", "berth-test-missing-2"]);
      const after = readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l !== "");
      expect(after.length).toBeGreaterThan(lines.length);
      expect(after.slice(0, lines.length)).toEqual(lines);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

needs("containers").describe("cli: commands on containers", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("list shows containers as a table, as JSON and as ids", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const a = sb.id("list");
    const c = sb.id("list");
    sb.create(a, b);
    sb.runDetached(c, sb.bundle({ args: ["sleep", "30"] }));

    const t = sb.ok(["list"]);
    const rows = t.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
    const rowA = rows.find((r) => r.startsWith(a + " "));
    expect(rowA).toBeDefined();
    expect(rowA?.split(/\s+/)).toEqual([a, String(sb.state(a).pid), "created", b.dir, expect.stringMatching(/^\d{4}-/), "root"]);
    expect(rows.find((r) => r.startsWith(c + " "))).toMatch(/\srunning\s/);

    const q = sb.ok(["list", "-q"]);
    expect(
      q.stdout
        .split("\n")
        .filter((l) => l !== "")
        .sort(),
    ).toEqual([a, c].sort());

    const j = sb.ok(["list", "--format", "json"]);
    const arr = JSON.parse(j.stdout) as Array<Record<string, unknown>>;
    const objA = arr.find((o) => o.id === a);
    expect(objA).toMatchObject({ id: a, status: "created", bundle: b.dir, pid: sb.state(a).pid });
    expect(typeof objA?.ociVersion).toBe("string");
    expect(arr.find((o) => o.id === c)?.status).toBe("running");

    const f = sb.ok(["list", "-f", "json"]);
    expect(JSON.parse(f.stdout)).toHaveLength(2);
  });

  it("--root X and --root=X address the same containers; --bundle=X and --pid-file=X are accepted", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.track(id, b);
    const r = runtime(["create", `--bundle=${b.dir}`, `--pid-file=${b.path("eq.pid")}`, id], {
      root: null,
      globalArgs: [`--root=${sb.root}`],
    });
    expect(r.code, describeResult(r)).toBe(0);
    expect(readFileSync(b.path("eq.pid"), "utf8")).toBe(String(sb.state(id).pid));
    expect(sb.status(id)).toBe("created");
    sb.ok(["delete", id]);
  });

  it("--log with --log-format json writes no error line for a successful create/start/delete", () => {
    const dir = mkdtempSync(`${TMP_PREFIX}log-`);
    sb.trackPath(dir);
    const log = join(dir, "log.json");
    const g = ["--log", log, "--log-format", "json"];
    const b = sb.bundle({ args: ["true"] });
    const id = sb.id();
    sb.track(id, b);
    sb.ok(["create", "--bundle", b.dir, id], { globalArgs: g });
    sb.ok(["start", id], { globalArgs: g });
    sb.ok(["delete", "--force", id], { globalArgs: g });
    const text = existsSync(log) ? readFileSync(log, "utf8") : "";
    const objs = text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.filter((o) => o.level === "error")).toEqual([]);
  });

  it("ps --format json prints the container's pids as a JSON array of numbers", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id();
    sb.runDetached(id, b);
    const r = sb.ok(["ps", "--format", "json", id]);
    const pids = JSON.parse(r.stdout) as number[];
    expect(pids).toContain(sb.state(id).pid);
    sb.ok(["delete", "--force", id]);
  });
});

needs("containers").describe("cli: --debug", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("logs the steps of a command at debug level, to stderr or --log (also as JSON); nothing without it", () => {
    const b = sb.bundle({ args: ["true"] });
    const plain = sb.rt(["run", "--bundle", b.dir, sb.id("nodebug")]);
    expect(plain.code, describeResult(plain)).toBe(0);
    expect(plain.stderr).not.toContain("level=debug");

    const text = sb.rt(["run", "--bundle", b.dir, sb.id("debug")], { globalArgs: ["--debug"] });
    expect(text.code, describeResult(text)).toBe(0);
    expect(text.stderr).toMatch(/level=debug msg=/);
    if (has("berth")) {
      expect(text.stderr).toMatch(/level=debug msg="create [^"]*: created, init pid \d+"/);
      expect(text.stderr).toMatch(/level=debug msg="start [^"]*: releasing the exec barrier/);
    }

    const dir = mkdtempSync(`${TMP_PREFIX}log-`);
    try {
      const file = join(dir, "log.json");
      const json = sb.rt(["run", "--bundle", b.dir, sb.id("debugjson")], {
        globalArgs: ["--debug", "--log", file, "--log-format", "json"],
      });
      expect(json.code, describeResult(json)).toBe(0);
      const lines = readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { level: string; msg: string });
      expect(lines.some((l) => l.level === "debug")).toBe(true);
      if (has("berth")) expect(lines.some((l) => l.level === "debug" && /^create .*: created, init pid \d+$/.test(l.msg))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
