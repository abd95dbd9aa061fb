// state.json keeps only what later commands need: not process.env, where engines
// pass secrets. exec still gets the container's environment, from the bundle's
// config.json as runc's exec reads it.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { DEFAULT_ENV, Sandbox, describeResult } from "../helpers/index.js";
import { needs } from "../helpers/host.js";

needs("containers", "berth").describe("security: secrets in the environment", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("are not written to the state directory, and exec still sees them", async () => {
    const id = sb.id("secret");
    const b = sb.bundle({
      args: ["sleep", "60"],
      edit: (c) => {
        c.process!.env = [...DEFAULT_ENV, "API_TOKEN=s3cr3t-value-42"];
      },
    });
    sb.runDetached(id, b);
    const dir = join(sb.root, id);
    for (const f of readdirSync(dir)) {
      if (f === "exec.fifo") continue;
      expect(readFileSync(join(dir, f), "utf8"), f).not.toContain("s3cr3t-value-42");
    }
    const r = sb.rt(["exec", id, "sh", "-c", "echo token=$API_TOKEN"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toContain("token=s3cr3t-value-42");
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
