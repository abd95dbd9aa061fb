// `berth wait ID --state S [--timeout D]`: returns 0 once the container is in S (at once when
// it is already), 124 when the timeout passes first, 1 when the container does not exist or
// can no longer reach S. While it waits it sleeps in poll(2) on a pidfd and inotify; the tests
// look at what it sleeps on (/proc/<pid>/syscall, /proc/<pid>/fd) instead of timing it.

import { readFileSync, readlinkSync, readdirSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { has, needs } from "../helpers/host.js";
import { Sandbox, describeResult, sleep, type AsyncRun, type RunResult } from "../helpers/index.js";

const SYS_POLL = 7; // x86-64

/** The syscall number and arguments `pid` is blocked in (from /proc/<pid>/syscall), if any. */
function blockedIn(pid: number): { nr: number; args: bigint[] } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/syscall`, "utf8").trim();
  } catch {
    return undefined;
  }
  const [nr, ...rest] = text.split(" ");
  if (nr === undefined || !/^\d+$/.test(nr)) return undefined;
  return { nr: Number(nr), args: rest.slice(0, 6).map((a) => BigInt(a)) };
}

function fdKinds(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "";
      }
    });
  } catch {
    return [];
  }
}

/**
 * Wait until the `berth wait` process sleeps in poll(2); returns poll's timeout argument
 * (-1: none). Fails if the process ends first.
 */
async function sleepingInPoll(w: AsyncRun): Promise<bigint> {
  let ended: RunResult | undefined;
  void w.done.then((r) => {
    ended = r;
  });
  for (let i = 0; i < 1000; i++) {
    if (ended !== undefined) throw new Error(`berth wait ended before it slept:\n${describeResult(ended)}`);
    const s = blockedIn(w.pid);
    if (s !== undefined && s.nr === SYS_POLL) return BigInt.asIntN(32, s.args[2]!);
    await sleep(10);
  }
  throw new Error("berth wait never slept in poll(2)");
}

needs("containers", "berth").describe("lifecycle: berth wait", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("a container that does not exist: exit 1, 'container does not exist'", () => {
    const r = sb.rt(["wait", "--state", "running", "berth-test-wait-nosuch"]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/container does not exist/);
  });

  it("created → running via start: times out before, returns after, sleeping on inotify and a pidfd", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id("wait");
    sb.track(id, b);
    sb.ok(["create", "--bundle", b.dir, id]);
    sb.ok(["wait", "--state", "created", id]);
    const early = sb.rt(["wait", "--state", "running", "--timeout", "100ms", id]);
    expect(early.code, describeResult(early)).toBe(124);
    expect(early.stderr).toMatch(/timed out after 100ms waiting for state running/);

    const w = sb.rtAsync(["wait", "--state", "running", id]);
    expect(await sleepingInPoll(w)).toBe(-1n); // no timeout: nothing is polled
    const fds = fdKinds(w.pid);
    expect(fds).toContain("anon_inode:inotify");
    expect(fds).toContain("anon_inode:[pidfd]");
    sb.ok(["start", id]);
    const r = await w.done;
    expect(r.code, describeResult(r)).toBe(0);
    expect(sb.status(id)).toBe("running");
    sb.ok(["delete", "--force", id]);
  });

  it("running → paused via pause and paused → running via resume; a state already reached returns at once", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id("wait");
    sb.track(id, b);
    sb.ok(["run", "-d", "--bundle", b.dir, id]);
    sb.ok(["wait", "--state", "running", id]);
    const notYet = sb.rt(["wait", "--state", "paused", "--timeout", "50ms", id]);
    expect(notYet.code, describeResult(notYet)).toBe(124);

    // cgroup v2 announces freezing in cgroup.events; a v1 freezer is read every 100 ms.
    const freezerPoll = has("cgroup-v2") ? -1n : 100n;
    const toPaused = sb.rtAsync(["wait", "--state", "paused", id]);
    expect(await sleepingInPoll(toPaused)).toBe(freezerPoll);
    sb.ok(["pause", id]);
    const p = await toPaused.done;
    expect(p.code, describeResult(p)).toBe(0);
    expect(sb.status(id)).toBe("paused");
    sb.ok(["wait", "--state", "paused", "--timeout", "0", id]);

    const toRunning = sb.rtAsync(["wait", "--state", "running", id]);
    expect(await sleepingInPoll(toRunning)).toBe(freezerPoll);
    sb.ok(["resume", id]);
    const q = await toRunning.done;
    expect(q.code, describeResult(q)).toBe(0);
    expect(sb.status(id)).toBe("running");
    sb.ok(["delete", "--force", id]);
  });

  it("→ stopped via kill, woken by the pidfd; a stopped container can no longer become running", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id("wait");
    sb.track(id, b);
    sb.ok(["run", "-d", "--bundle", b.dir, id]);
    const w = sb.rtAsync(["wait", "--state", "stopped", "--timeout", "1h", id]);
    const timeout = await sleepingInPoll(w);
    expect(timeout).toBeGreaterThan(1000n); // the deadline, not a polling interval
    expect(fdKinds(w.pid)).toContain("anon_inode:[pidfd]");
    sb.ok(["kill", id, "KILL"]);
    const r = await w.done;
    expect(r.code, describeResult(r)).toBe(0);
    expect(sb.status(id)).toBe("stopped");
    sb.ok(["wait", "--state", "stopped", id]);
    const never = sb.rt(["wait", "--state", "running", id]);
    expect(never.code, describeResult(never)).toBe(1);
    expect(never.stderr).toMatch(/container is stopped and can no longer become running/);
    sb.ok(["delete", id]);
  });

  it("a container deleted while waited for is gone: exit 1", async () => {
    const b = sb.bundle({ args: ["sleep", "30"] });
    const id = sb.id("wait");
    sb.track(id, b);
    sb.ok(["run", "-d", "--bundle", b.dir, id]);
    const w = sb.rtAsync(["wait", "--state", "paused", id]);
    await sleepingInPoll(w);
    sb.ok(["delete", "--force", id]);
    const r = await w.done;
    expect(r.code, describeResult(r)).toBe(1);
    // Whichever it saw first: the process gone, or the state directory gone.
    expect(r.stderr).toMatch(/container does not exist|container is stopped and can no longer become paused/);
    // Waiting for `stopped` on a deleted container is not success: it is gone.
    const gone = sb.rt(["wait", "--state", "stopped", id]);
    expect(gone.code, describeResult(gone)).toBe(1);
    expect(gone.stderr).toMatch(/container does not exist/);
  });

  it("bad --state and --timeout values are refused, naming the flag", () => {
    const s = sb.rt(["wait", "--state", "creating", "x"]);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/--state|Invalid values/);
    const t = sb.rt(["wait", "--state", "running", "--timeout", "10", "x"]);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/--timeout: invalid value .*10.*missing unit/);
    const none = sb.rt(["wait", "x"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/--state/);
  });
});
