// A mount destination that is (or passes through) a link to something missing is
// resolved inside the rootfs and the missing part made there, as runc does: images
// ship /etc/resolv.conf as a link to a file that exists only at run time, and every
// engine bind-mounts /etc/resolv.conf and /etc/hosts. Links never lead out of the rootfs.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { Spec } from "../../src/spec/types.js";
import { RUNC_BIN, needs } from "../helpers/host.js";
import { Sandbox, type Bundle } from "../helpers/index.js";

needs("containers").describe("mounts: destinations through dangling links", () => {
  const sb = new Sandbox();
  const host = mkdtempSync("/tmp/berth-test-links-");
  afterAll(async () => {
    await sb.cleanup();
    rmSync(host, { recursive: true, force: true });
  });
  writeFileSync(join(host, "hosts"), "10.0.0.1 from-host\n");
  writeFileSync(join(host, "resolv.conf"), "nameserver 10.0.0.53\n");

  const SCRIPT = "cat /etc/hosts /etc/resolv.conf; ls /tmp/foo/bar/baz; readlink /etc/hosts";
  const bundle = (extra: (c: Spec) => void = () => undefined): Bundle => {
    const b = sb.bundle({
      args: ["sh", "-c", SCRIPT],
      edit: (c) => {
        c.mounts!.push(
          { destination: "/etc/hosts", type: "bind", source: join(host, "hosts"), options: ["rbind", "ro"] },
          { destination: "/etc/resolv.conf", type: "bind", source: join(host, "resolv.conf"), options: ["rbind", "ro"] },
        );
        extra(c);
      },
    });
    rmSync(b.inRootfs("/etc/hosts"), { force: true });
    symlinkSync("/jump/baz/hosts", b.inRootfs("/etc/hosts")); // through a second dangling link
    symlinkSync("/tmp/foo/bar", b.inRootfs("/jump"));
    symlinkSync("../tmp/resolv.conf", b.inRootfs("/etc/resolv.conf")); // relative, trailing
    mkdirSync(b.inRootfs("/tmp"), { recursive: true });
    return b;
  };
  const WANT = "10.0.0.1 from-host\nnameserver 10.0.0.53\nhosts\n/jump/baz/hosts\n";

  it("binds through the links onto targets made inside the rootfs", () => {
    const b = bundle();
    const r = sb.ok(["run", "--bundle", b.dir, sb.id("dangling")]);
    expect(r.stdout).toBe(WANT);
    expect(existsSync(b.inRootfs("/tmp/foo/bar/baz/hosts"))).toBe(true);
    expect(existsSync(b.inRootfs("/tmp/resolv.conf"))).toBe(true);
  });

  needs("runc").it("as runc does", () => {
    const b = bundle();
    const root = mkdtempSync("/tmp/berth-test-runcroot-");
    try {
      const r = spawnSync(RUNC_BIN, ["--root", root, "run", "--bundle", b.dir, sb.id("danglingrunc")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 20_000,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(WANT);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("a link climbing out with .. stays inside the rootfs", () => {
    const outside = join(host, "escape");
    const b = bundle((c) => {
      c.mounts!.push({ destination: "/etc/evil/x", type: "tmpfs", source: "tmpfs", options: [] });
    });
    symlinkSync(`../../../../../../../../..${outside}`, b.inRootfs("/etc/evil"));
    sb.ok(["run", "--bundle", b.dir, sb.id("danglingesc")]);
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(b.inRootfs(`${outside}/x`))).toBe(true);
  });
});
