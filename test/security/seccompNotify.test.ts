// SCMP_ACT_NOTIFY with a seccomp agent (linux.seccomp.listenerPath): the agent
// (test/tools/seccompagent.c) receives the container process state and the
// listener at create and for each exec, and what it answers is what the
// container's notified syscalls return. A profile that notifies the very
// syscalls berth-init makes after loading the filter does not deadlock it; an
// agent that is missing, or never takes the listener, fails create naming the
// field and leaves nothing behind.

import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Seccomp } from "../../src/linux/seccomp/profile.js";
import { Sandbox, describeResult, type Bundle } from "../helpers/index.js";
import { needs } from "../helpers/host.js";
import { buildTools, startSeccompAgent, type AgentOptions, type SeccompAgent, type ToolBox } from "../tools/tools.js";

const MKDIR = ["mkdir", "mkdirat"];
const SYS_WAIT4 = 61;

/** The container tries mkdir and says what it saw: "mkdir-ok absent" means the agent said yes and made nothing. */
const PROBE =
  'if mkdir /tmp/x 2>/tmp/err; then r=mkdir-ok; else r=$(cat /tmp/err); fi; [ -d /tmp/x ] && d=present || d=absent; echo "$r $d"';

function notify(agent: SeccompAgent, names: string[], extra: Partial<Seccomp> = {}): Seccomp {
  return { defaultAction: "SCMP_ACT_ALLOW", listenerPath: agent.socket, syscalls: [{ names, action: "SCMP_ACT_NOTIFY" }], ...extra };
}

needs("containers", "berth", "cc", "seccomp-notify").describe("seccomp notify: the agent at listenerPath", () => {
  const sb = new Sandbox();
  let tools: ToolBox;
  const agents: SeccompAgent[] = [];
  const dirs: string[] = [];
  beforeAll(() => {
    tools = buildTools(["seccompagent"]);
  });
  afterAll(async () => {
    for (const a of agents) await a.kill();
    await sb.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    tools?.remove();
  });

  async function agent(opts: AgentOptions = {}): Promise<SeccompAgent> {
    const dir = mkdtempSync("/tmp/berth-test-agent-");
    dirs.push(dir);
    const a = await startSeccompAgent(tools.path("seccompagent"), dir, opts);
    agents.push(a);
    return a;
  }

  function bundle(args: string[], seccomp: Seccomp, nnp = true): Bundle {
    return sb.bundle({
      args,
      edit: (c) => {
        c.linux!.seccomp = seccomp;
        c.process!.noNewPrivileges = nnp;
        c.annotations = { "org.example.agent": "yes" };
      },
    });
  }

  it("create sends the container process state and the listener; the container's mkdir returns what the agent answers", async () => {
    const a = await agent({ errno: 0 });
    const id = sb.id("notify");
    const b = bundle(
      ["sh", "-c", `${PROBE} > /tmp/result.tmp; mv /tmp/result.tmp /tmp/result; sleep 60`],
      notify(a, MKDIR, { listenerMetadata: "MKNOD=/dev/null;tag=1" }),
    );
    sb.create(id, b);
    // The agent has the listener when create returns (before start, as with runc).
    const states = a.states();
    expect(states, a.output()).toHaveLength(1);
    const pid = sb.state(id).pid;
    expect(states[0]!.fds).toBe(1);
    expect(states[0]!.listener).toBe(true);
    expect(states[0]!.doc).toEqual({
      ociVersion: "1.3.0",
      fds: ["seccompFd"],
      pid,
      metadata: "MKNOD=/dev/null;tag=1",
      state: { ociVersion: "1.3.0", id, status: "creating", pid, bundle: b.dir, annotations: { "org.example.agent": "yes" } },
    });
    sb.ok(["start", id]);
    // The agent said the mkdir succeeded and made nothing: the container sees exactly that.
    expect(await sb.waitFile(b.inRootfs("/tmp/result"), "\n", 10_000)).toBe("mkdir-ok absent\n");
    expect(
      a.notifications().some(([, nr]) => nr === 83 || nr === 258),
      a.output(),
    ).toBe(true);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("without no_new_privs (the filter is loaded before the capabilities are dropped) the agent's errno comes back", async () => {
    const a = await agent({ errno: 13 });
    const id = sb.id("notifycap");
    const b = bundle(["sh", "-c", PROBE], notify(a, MKDIR), false);
    sb.track(id, b);
    const r = sb.rt(["run", "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/^mkdir: can't create directory '\/tmp\/x': Permission denied absent$/m);
    expect(a.states()).toHaveLength(1);
    expect(a.states()[0]!.doc).not.toHaveProperty("metadata");
  });

  needs("userns").it("in a user namespace the listener is handed on the same way", async () => {
    const a = await agent({ errno: 0 });
    const id = sb.id("notifyuserns");
    const b = sb.bundle({
      args: ["sh", "-c", `cat /proc/self/uid_map; ${PROBE}`],
      edit: (c) => {
        c.linux!.namespaces!.push({ type: "user" });
        c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux!.seccomp = notify(a, [...MKDIR, "wait4", "close"]);
      },
    });
    chmodSync(b.dir, 0o711); // the namespace's root (host uid 100000) must reach the rootfs
    sb.track(id, b);
    const r = sb.rt(["run", "--bundle", b.dir, id]);
    expect(r.code, `${describeResult(r)}\nagent: ${a.output()}`).toBe(0);
    expect(r.stdout).toMatch(/^\s+0\s+100000\s+65536$/m);
    expect(r.stdout).toMatch(/^mkdir-ok absent$/m);
    expect(a.states()).toHaveLength(1);
    expect(a.states()[0]!.listener).toBe(true);
  });

  // runc refuses NOTIFY on write and as the default action, because its init writes after
  // loading the filter. berth-init makes no syscall between the load and the hand-off, so a
  // profile that notifies everything it does afterwards still runs.
  for (const nnp of [true, false]) {
    it(`a profile that notifies every syscall (default action NOTIFY) runs when the agent lets them through (noNewPrivileges ${nnp})`, async () => {
      const a = await agent({ errno: 1 });
      const id = sb.id("notifyall");
      const b = bundle(["sh", "-c", `echo hello; ${PROBE}`], { defaultAction: "SCMP_ACT_NOTIFY", listenerPath: a.socket }, nnp);
      sb.track(id, b);
      const r = sb.rt(["run", "--bundle", b.dir, id], { timeoutMs: 60_000 });
      expect(r.code, `${describeResult(r)}\nagent: ${a.output().slice(0, 2000)}`).toBe(0);
      expect(r.stdout).toMatch(/^hello$/m);
      expect(r.stdout).toMatch(/mkdir: can't create directory '\/tmp\/x': Operation not permitted absent/);
      // The first syscall after the load is the container process reaping the helper that handed on the listener.
      const notes = a.notifications();
      expect(notes.length, a.output()).toBeGreaterThan(10);
      expect(notes[0]![1]).toBe(SYS_WAIT4);
    });
  }

  it("exec sends the new process's listener too, with the container running and the init's pid in its state", async () => {
    const a = await agent({ errno: 28 });
    const id = sb.id("notifyexec");
    const b = bundle(["sleep", "60"], notify(a, MKDIR, { listenerMetadata: "m" }));
    sb.runDetached(id, b);
    const initPid = sb.state(id).pid;
    const pidFile = `${b.dir}/exec.pid`;
    sb.ok(["exec", "--detach", "--pid-file", pidFile, id, "sh", "-c", "mkdir /tmp/e 2>/tmp/exec-err; echo $? > /tmp/exec-rc"]);
    const execPid = Number(readFileSync(pidFile, "utf8"));
    expect(await sb.waitFile(b.inRootfs("/tmp/exec-rc"), "\n", 10_000)).toBe("1\n");
    expect(readFileSync(b.inRootfs("/tmp/exec-err"), "utf8")).toMatch(/No space left on device/);
    const states = a.states();
    expect(states, a.output()).toHaveLength(2);
    expect(states[1]!.listener).toBe(true);
    expect(states[1]!.doc).toEqual({
      ociVersion: "1.3.0",
      fds: ["seccompFd"],
      pid: execPid,
      metadata: "m",
      state: { ociVersion: "1.3.0", id, status: "running", pid: initPid, bundle: b.dir, annotations: { "org.example.agent": "yes" } },
    });
    // A foreground exec sees the agent's answer as well.
    const r = sb.rt(["exec", id, "sh", "-c", "mkdir /tmp/f 2>&1; echo rc=$?"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/No space left on device\nrc=1/);
    // Without its agent, exec fails naming the field; the container is not affected.
    await a.kill();
    const gone = sb.rt(["exec", id, "true"]);
    expect(gone.code, describeResult(gone)).toBe(255); // runc's status for a failed exec
    expect(gone.stderr).toMatch(
      /exec linux\.seccomp\.listenerPath: cannot connect to the seccomp agent at \\?".*agent\.sock\\?": connection refused/,
    );
    expect(sb.status(id)).toBe("running");
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("a missing agent fails create naming linux.seccomp.listenerPath, and leaves nothing behind", async () => {
    const dir = mkdtempSync("/tmp/berth-test-agent-");
    dirs.push(dir);
    const b = bundle(["true"], {
      defaultAction: "SCMP_ACT_ALLOW",
      listenerPath: `${dir}/none.sock`,
      syscalls: [{ names: MKDIR, action: "SCMP_ACT_NOTIFY" }],
    });
    await sb.refuseCreate(
      b,
      /linux\.seccomp\.listenerPath: cannot connect to the seccomp agent at \\?".*none\.sock\\?": no such file or directory/,
    );
  });

  it("an agent that accepts but never reads: create fails within the bounded wait when a notified syscall waits for it, and leaves nothing", async () => {
    const a = await agent({ neverRead: true });
    // wait4 is the container process's first syscall after the load (reaping the helper).
    const b = bundle(["true"], notify(a, ["wait4"]));
    const t0 = Date.now();
    await sb.refuseCreate(
      b,
      /linux\.seccomp\.listenerPath: the container process was not ready 10s after it asked for its seccomp agent's state: the agent at \\?".*agent\.sock\\?" has not taken the listener/,
    );
    expect(Date.now() - t0).toBeLessThan(25_000);
  });

  it("an agent that never reads does not hold create when nothing berth-init does is notified", async () => {
    const a = await agent({ neverRead: true });
    const id = sb.id("notifyidle");
    const b = bundle(["sleep", "60"], notify(a, MKDIR));
    const t0 = Date.now();
    sb.create(id, b);
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(sb.status(id)).toBe("created");
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
