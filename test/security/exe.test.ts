// CVE-2019-5736 class: the process a container can reach through /proc/<pid>/exe
// while berth-init runs (in `created` state, or while exec sets up) must not let
// the container overwrite the runtime binary on the host.

import { openSync, readlinkSync, constants, closeSync, readFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult } from "../helpers/index.js";

needs("containers", "berth").describe("security: the runtime binary behind /proc/<pid>/exe", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("the process waiting in created state runs from a sealed memfd that cannot be written", () => {
    const b = sb.bundle({ args: ["true"] });
    const id = sb.id();
    sb.create(id, b);
    const pid = Number(sb.state(id).pid);
    expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(/^\/memfd:berth-init/);
    let err: NodeJS.ErrnoException | undefined;
    try {
      closeSync(openSync(`/proc/${pid}/exe`, constants.O_WRONLY));
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    }
    expect(err?.code).toMatch(/^(EPERM|ETXTBSY|EACCES)$/);
    // The binary on the host is not what the container can reach.
    expect(readFileSync(`/proc/${pid}/exe`).length).toBeGreaterThan(0);
    sb.ok(["delete", "--force", id]);
  });

  it("a container process cannot open the waiting init's /proc/1/exe (it is not dumpable)", () => {
    const b = sb.bundle({ args: ["true"] });
    const id = sb.id();
    sb.create(id, b);
    const r = sb.rt(["exec", id, "sh", "-c", "cat /proc/1/exe > /dev/null && echo readable || echo denied"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout.trim()).toBe("denied");
    sb.ok(["delete", "--force", id]);
  });
});
