// --trace[=FILE]: the timeline of create, run and exec, from berth and berth-init,
// as a table on stderr and (with =FILE) Chrome trace-event JSON.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, recordingHook, type Bundle } from "../helpers/index.js";

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur: number;
  pid: number;
  tid: number;
}

needs("containers", "berth").describe("lifecycle: --trace", () => {
  const sb = new Sandbox();
  const dir = mkdtempSync(join(tmpdir(), "berth-test-trace-"));
  afterAll(async () => {
    await sb.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  function hooked(args: string[]): Bundle {
    const b = sb.bundle({ args });
    b.config.hooks = {
      prestart: [recordingHook(b, "prestart")],
      createRuntime: [recordingHook(b, "createRuntime")],
      createContainer: [recordingHook(b, "createContainer")],
      poststart: [recordingHook(b, "poststart")],
    };
    b.write();
    return b;
  }

  const within = (inner: TraceEvent, outer: TraceEvent): boolean =>
    inner.ts >= outer.ts - 0.001 && inner.ts + inner.dur <= outer.ts + outer.dur + 0.001;

  it("create --trace=FILE writes nested Chrome trace JSON with berth's and berth-init's steps, and the table", () => {
    const b = hooked(["sleep", "30"]);
    const id = sb.id();
    const file = join(dir, "create.json");
    const r = sb.create(id, b, [], { globalArgs: [`--trace=${file}`] });
    const events = (JSON.parse(readFileSync(file, "utf8")) as { traceEvents: TraceEvent[] }).traceEvents;
    const byName = (name: string): TraceEvent => {
      const e = events.find((x) => x.name === name);
      if (e === undefined) throw new Error(`no ${name} in ${events.map((x) => x.name).join(", ")}`);
      return e;
    };
    for (const e of events) {
      expect(e.ph).toBe("X");
      expect(e.dur).toBeGreaterThanOrEqual(0);
      expect(typeof e.pid).toBe("number");
    }
    const total = byName("total (create)");
    for (const e of events) expect(within(e, total), `${e.name} inside the total`).toBe(true);
    for (const name of ["validate config", "build plan", "cgroup setup", "berth-init"]) expect(within(byName(name), total)).toBe(true);
    const init = byName("berth-init");
    const hostHooks = byName("prestart and createRuntime hooks");
    expect(within(hostHooks, init)).toBe(true);
    expect(byName("hook prestart[0] /bin/sh").cat).toBe("hook");
    expect(within(byName("hook prestart[0] /bin/sh"), hostHooks)).toBe(true);
    expect(within(byName("hook createRuntime[0] /bin/sh"), hostHooks)).toBe(true);
    // berth-init's stages, in the order it runs them, inside the berth-init span.
    const stages = [
      "init: namespaces",
      "init: fork the container process",
      "init: mounts",
      "init: devices and symlinks",
      "init: createContainer hooks",
      "init: pivot_root",
      "init: process: rlimits, scheduling, seccomp, credentials, capabilities",
    ];
    let last = -1;
    for (const s of stages) {
      const e = byName(s);
      expect(e.cat).toBe("berth-init");
      expect(within(e, init), `${s} inside berth-init`).toBe(true);
      expect(e.ts).toBeGreaterThanOrEqual(last);
      last = e.ts;
    }
    // Each mount is a span of its own inside "mounts"; credentials and capabilities inside the process stage.
    const mounts = byName("init: mounts");
    for (const m of b.config.mounts ?? [])
      expect(within(byName(`init: mount ${m.destination}`), mounts), `mount ${m.destination} inside mounts`).toBe(true);
    expect(
      within(
        byName("init: credentials and capabilities"),
        byName("init: process: rlimits, scheduling, seccomp, credentials, capabilities"),
      ),
    ).toBe(true);
    // The in-container hook runs after the host hooks (the container waits for them).
    expect(byName("init: createContainer hooks").ts).toBeGreaterThanOrEqual(byName("hook createRuntime[0] /bin/sh").ts);
    expect(r.stderr).toMatch(/start ms\s+dur ms\s+step\n/);
    expect(r.stderr).toMatch(/\n\s*0\.000\s+\d+\.\d{3} {2}total \(create\)\n/);
    expect(r.stderr).toMatch(/\d {4}validate config\n/);
    expect(r.stderr).toMatch(/\d {8}hook prestart\[0\] \/bin\/sh\n/);
    expect(r.stderr).toMatch(/\d {6}init: mounts\n/);
    sb.ok(["delete", "--force", id]);
  });

  it("run --trace prints the table with the start, the poststart hook and the container's run", () => {
    const b = hooked(["true"]);
    const id = sb.id();
    sb.track(id, b);
    const r = sb.ok(["--trace", "run", "--bundle", b.dir, id]);
    for (const step of [
      "total (run)",
      "validate config",
      "cgroup setup",
      "init: pivot_root",
      "start: release the exec barrier",
      "hook poststart[0] /bin/sh",
      "container running",
    ]) {
      expect(r.stderr).toContain(`  ${step}\n`);
    }
  });

  it("exec --trace shows the plan, berth-init's stages and the process", () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    b.write();
    const id = sb.id();
    sb.runDetached(id, b);
    const file = join(dir, "exec.json");
    const r = sb.ok([`--trace=${file}`, "exec", id, "true"]);
    const names = (JSON.parse(readFileSync(file, "utf8")) as { traceEvents: TraceEvent[] }).traceEvents.map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "total (exec)",
        "build plan",
        "berth-init",
        "init: namespaces",
        "init: fork the container process",
        "init: session keyring, console and pidfd",
        "init: process: rlimits, scheduling, seccomp, credentials, capabilities",
        "init: credentials and capabilities",
        "process running",
      ]),
    );
    expect(r.stderr).toContain("  total (exec)\n");
    sb.ok(["delete", "--force", id]);
  });

  it("without --trace there is no table and no trace file", () => {
    const b = hooked(["sleep", "30"]);
    const id = sb.id();
    const r = sb.create(id, b);
    expect(r.stderr).not.toContain("start ms");
    expect(r.stderr).not.toContain("total (");
    expect(existsSync(join(dir, "none.json"))).toBe(false);
    sb.ok(["delete", "--force", id]);
  });
});
