// LSM labels fail closed: berth cannot write AppArmor or SELinux labels yet, so
// a config (or exec flag) asking for one is refused, naming the field, whether
// or not the host has that LSM, and nothing is left behind.

import { afterAll, expect, it } from "vitest";
import type { Spec } from "../../src/spec/types.js";
import { Sandbox, describeResult } from "../helpers/index.js";
import { needs } from "../helpers/host.js";

const REFUSED = (field: string, lsm: string): RegExp =>
  new RegExp(`${field.replace(/\./g, "\\.")}: (${lsm} is not enabled on this host|berth cannot apply ${lsm} labels yet)`);

needs("containers", "berth").describe("security: LSM labels berth cannot apply are refused", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  const cases: [string, (c: Spec) => void, RegExp][] = [
    ["process.apparmorProfile", (c) => { c.process!.apparmorProfile = "berth-test"; }, REFUSED("process.apparmorProfile", "AppArmor")],
    ["process.selinuxLabel", (c) => { c.process!.selinuxLabel = "system_u:system_r:container_t:s0"; }, REFUSED("process.selinuxLabel", "SELinux")],
    ["linux.mountLabel", (c) => { c.linux!.mountLabel = "system_u:object_r:container_file_t:s0"; }, REFUSED("linux.mountLabel", "SELinux")],
  ];
  for (const [field, edit, re] of cases) {
    it(`create with ${field} fails naming it and leaves nothing behind`, async () => {
      await sb.refuseCreate(sb.bundle({ args: ["true"], edit }), re);
    });
  }

  it("exec --apparmor and --process-label are refused naming the flag; the container goes on", async () => {
    const id = sb.id("lsmexec");
    sb.runDetached(id, sb.bundle({ args: ["sleep", "60"] }));
    const a = sb.rt(["exec", "--apparmor", "berth-test", id, "true"]);
    expect(a.code, describeResult(a)).not.toBe(0);
    expect(a.stderr).toMatch(REFUSED("--apparmor", "AppArmor"));
    const l = sb.rt(["exec", "--process-label", "system_u:system_r:container_t:s0", id, "true"]);
    expect(l.code, describeResult(l)).not.toBe(0);
    expect(l.stderr).toMatch(REFUSED("--process-label", "SELinux"));
    expect(sb.status(id)).toBe("running");
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});
