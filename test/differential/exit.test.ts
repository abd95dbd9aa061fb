// How `run` reports the container's end, berth against runc: its exit status
// when the process exits, and 128+N when it is killed by signal N.

import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { DIFFERENTIAL, Pair, describeOutcome, withoutRuntimeLog, type Which } from "./harness.js";

needs(...DIFFERENTIAL).describe("differential: run exit status", () => {
  const pair = new Pair();
  afterAll(() => pair.cleanup());

  it.each([0, 3, 42])("exit %i is passed through", (status) => {
    const bundle = pair.bundle({ args: ["sh", "-c", `echo out; echo err >&2; exit ${status}`] });
    const r = pair.runBoth(bundle);
    expect(r.runc.code, describeOutcome(r.runc)).toBe(status);
    expect(r.berth.code, describeOutcome(r.berth)).toBe(status);
    expect(r.berth.stdout).toBe(r.runc.stdout);
    // Runtime warnings (berth logs unenforced settings) are not the container's output.
    expect(withoutRuntimeLog(r.berth.stderr)).toBe(withoutRuntimeLog(r.runc.stderr));
  });

  it("a process killed by a signal it sends itself (no pid namespace) gives 128+N", () => {
    const bundle = pair.bundle({
      args: ["sh", "-c", "kill -USR1 $$; sleep 5"],
      edit: (c) => {
        c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== "pid");
      },
    });
    const r = pair.runBoth(bundle);
    expect(r.runc.code, describeOutcome(r.runc)).toBe(128 + 10);
    expect(r.berth.code, describeOutcome(r.berth)).toBe(r.runc.code);
  });

  it.each(["KILL", "SIGKILL", "9"])("`kill <id> %s` while `run` waits ends `run` with 137", async (sig) => {
    const bundle = pair.bundle({ args: ["sleep", "30"] });
    const out = {} as Record<Which, Awaited<ReturnType<Pair["runAndKill"]>>>;
    for (const which of ["runc", "berth"] as const) out[which] = await pair.runAndKill(which, bundle, sig);
    expect(out.runc.code, describeOutcome(out.runc)).toBe(137);
    expect(out.berth.code, describeOutcome(out.berth)).toBe(out.runc.code);
    expect(out.berth.timedOut).toBe(false);
  });

  it("a command that does not exist fails both the same way (non-zero, message on stderr)", () => {
    const bundle = pair.bundle({ args: ["/no/such/binary"] });
    const r = pair.runBoth(bundle);
    expect(r.runc.code).not.toBe(0);
    expect(r.berth.code, describeOutcome(r.berth)).toBe(r.runc.code);
    // Engines match runc's wording case-sensitively: the errno text is Go's, lower case.
    const want = 'exec: \\"/no/such/binary\\": stat /no/such/binary: no such file or directory'; // as logfmt quotes it
    expect(r.runc.stderr).toContain(want);
    expect(r.berth.stderr).toContain(want);
  });

  it('a command not on PATH fails both with runc\'s "executable file not found in $PATH"', () => {
    const bundle = pair.bundle({ args: ["no-such-command"] });
    const r = pair.runBoth(bundle);
    expect(r.runc.code).not.toBe(0);
    expect(r.berth.code, describeOutcome(r.berth)).toBe(r.runc.code);
    expect(r.runc.stderr).toContain("executable file not found in $PATH");
    expect(r.berth.stderr).toContain("executable file not found in $PATH");
  });
});
