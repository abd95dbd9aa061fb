// runc gives every container a session keyring of its own (`_ses.<id>`), so it
// does not share the caller's session keys; --no-new-keyring keeps the caller's.

import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { Sandbox, describeResult } from "../helpers/index.js";

needs("containers", "keyctl").describe("lifecycle: session keyring", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  function keyringOf(extra: string[]): string {
    const b = sb.bundle({
      args: ["sh", "-c", "grep -o '_ses[^:]*' /proc/keys || true"],
      edit: (c) => {
        c.linux!.maskedPaths = (c.linux!.maskedPaths ?? []).filter((p) => p !== "/proc/keys");
      },
    });
    const id = sb.id();
    sb.track(id, b);
    const r = sb.rt(["run", ...extra, "--bundle", b.dir, id]);
    expect(r.code, describeResult(r)).toBe(0);
    return r.stdout.split("\n").includes(`_ses.${id}`) ? "own" : "caller's";
  }

  it("the container joins a new session keyring named after it", () => {
    expect(keyringOf([])).toBe("own");
  });

  it("--no-new-keyring keeps the caller's session keyring", () => {
    expect(keyringOf(["--no-new-keyring"])).toBe("caller's");
  });
});
