// LSM labels. An AppArmor profile is applied where AppArmor is enabled: a test profile
// loaded with apparmor_parser confines the container's process and exec'd ones (the
// qemu guest has AppArmor; this host does not). Where AppArmor is off, a profile is
// refused naming the field. SELinux labels are refused everywhere (berth cannot apply
// them yet). A refusal leaves nothing behind.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Spec } from "../../src/spec/types.js";
import { Sandbox, describeResult } from "../helpers/index.js";
import { needs } from "../helpers/host.js";

const REFUSED = (field: string, lsm: string): RegExp =>
  new RegExp(`${field.replace(/\./g, "\\.")}: (${lsm} is not enabled on this host|berth cannot apply ${lsm} labels yet)`);

needs("containers", "berth").describe("security: SELinux labels are refused", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  const cases: [string, (c: Spec) => void][] = [
    [
      "process.selinuxLabel",
      (c) => {
        c.process!.selinuxLabel = "system_u:system_r:container_t:s0";
      },
    ],
    [
      "linux.mountLabel",
      (c) => {
        c.linux!.mountLabel = "system_u:object_r:container_file_t:s0";
      },
    ],
  ];
  for (const [field, edit] of cases) {
    it(`create with ${field} fails naming it and leaves nothing behind`, async () => {
      await sb.refuseCreate(sb.bundle({ args: ["true"], edit }), REFUSED(field, "SELinux"));
    });
  }

  it("exec --process-label is refused naming the flag; the container goes on", async () => {
    const id = sb.id("lsmexec");
    sb.runDetached(id, sb.bundle({ args: ["sleep", "60"] }));
    const l = sb.rt(["exec", "--process-label", "system_u:system_r:container_t:s0", id, "true"]);
    expect(l.code, describeResult(l)).not.toBe(0);
    expect(l.stderr).toMatch(REFUSED("--process-label", "SELinux"));
    expect(sb.status(id)).toBe("running");
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});

needs("containers", "berth", "no-apparmor").describe("security: an AppArmor profile on a host without AppArmor is refused", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("create with process.apparmorProfile fails naming it and leaves nothing behind", async () => {
    const edit = (c: Spec): void => {
      c.process!.apparmorProfile = "berth-test";
    };
    await sb.refuseCreate(sb.bundle({ args: ["true"], edit }), /process\.apparmorProfile: AppArmor is not enabled on this host/);
  });

  it("exec --apparmor is refused naming the flag; the container goes on", async () => {
    const id = sb.id("aaexec");
    sb.runDetached(id, sb.bundle({ args: ["sleep", "60"] }));
    const a = sb.rt(["exec", "--apparmor", "berth-test", id, "true"]);
    expect(a.code, describeResult(a)).not.toBe(0);
    expect(a.stderr).toMatch(/--apparmor: AppArmor is not enabled on this host/);
    expect(sb.status(id)).toBe("running");
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});

needs("containers", "berth", "apparmor", "apparmor-parser").describe("security: an AppArmor profile confines the container", () => {
  const sb = new Sandbox();
  const profile = `berth-test-${process.pid}`;
  // Made in beforeAll: a suite skipped on a host without AppArmor never runs afterAll.
  let dir = "";
  let file = "";

  beforeAll(() => {
    dir = mkdtempSync("/tmp/berth-apparmor-");
    file = join(dir, "profile");
    // Everything is allowed but writing under /denied.
    writeFileSync(
      file,
      [
        `profile ${profile} flags=(attach_disconnected,mediate_deleted) {`,
        "  file,",
        "  capability,",
        "  network,",
        "  unix,",
        "  signal,",
        "  ptrace,",
        "  mount,",
        "  umount,",
        "  pivot_root,",
        "  deny /denied/** w,",
        "}",
        "",
      ].join("\n"),
    );
    const r = spawnSync("apparmor_parser", ["-r", file], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`apparmor_parser -r: ${r.stderr}`);
  });
  afterAll(async () => {
    await sb.cleanup();
    if (dir === "") return;
    spawnSync("apparmor_parser", ["-R", file]);
    rmSync(dir, { recursive: true, force: true });
  });

  const withDenied =
    (args: string[], apparmorProfile?: string) =>
    (c: Spec): void => {
      c.process!.args = args;
      if (apparmorProfile !== undefined) c.process!.apparmorProfile = apparmorProfile;
      c.mounts!.push({ destination: "/denied", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"] });
    };
  // A new file each time: AppArmor does not mediate the times of an existing one.
  const probe = [
    "sh",
    "-c",
    "cat /proc/self/attr/current; echo; if (echo x > /denied/new.$$) 2>/dev/null; then echo WROTE; else echo DENIED; fi",
  ];

  it("the container process runs under the profile and cannot write what it denies", () => {
    const r = sb.ok(["run", "--bundle", sb.bundle({ edit: withDenied(probe, profile) }).dir, sb.id("aa")]);
    expect(r.stdout).toContain(`${profile} (enforce)`);
    expect(r.stdout).toContain("DENIED");
  });

  it("without a profile the same write succeeds (the control)", () => {
    const r = sb.ok(["run", "--bundle", sb.bundle({ edit: withDenied(probe) }).dir, sb.id("aactl")]);
    expect(r.stdout).toContain("unconfined");
    expect(r.stdout).toContain("WROTE");
  });

  it("exec runs under the container's profile, or under --apparmor's", async () => {
    const confined = sb.id("aaexec");
    sb.runDetached(confined, sb.bundle({ edit: withDenied(["sleep", "60"], profile) }));
    const e = sb.ok(["exec", confined, ...probe]);
    expect(e.stdout).toContain(`${profile} (enforce)`);
    expect(e.stdout).toContain("DENIED");

    const plain = sb.id("aaexec2");
    sb.runDetached(plain, sb.bundle({ edit: withDenied(["sleep", "60"]) }));
    expect(sb.ok(["exec", plain, ...probe]).stdout).toContain("WROTE");
    const f = sb.ok(["exec", "--apparmor", profile, plain, ...probe]);
    expect(f.stdout).toContain(`${profile} (enforce)`);
    expect(f.stdout).toContain("DENIED");
    for (const id of [confined, plain]) {
      sb.ok(["delete", "--force", id]);
      expect(await sb.waitClean(id)).toEqual([]);
    }
  });

  it("a profile that is not loaded fails create, naming the field, and leaves nothing behind", async () => {
    const edit = (c: Spec): void => {
      c.process!.apparmorProfile = `${profile}-not-loaded`;
    };
    await sb.refuseCreate(
      sb.bundle({ args: ["true"], edit }),
      /process\.apparmorProfile \\?"berth-test-[0-9]+-not-loaded\\?" \(is the profile loaded\?/,
    );
  });
});
