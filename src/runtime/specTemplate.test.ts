import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { has, needs, RUNC_BIN } from "../../test/helpers/host.js";
import { defaultSpec } from "./specTemplate.js";

/** What the reference runc writes for `runc spec [--rootless]`. */
function runcSpec(rootless: boolean): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "berth-spec-"));
  try {
    execFileSync(RUNC_BIN, rootless ? ["spec", "--rootless"] : ["spec"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    return JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("defaultSpec", () => {
  for (const rootless of [false, true]) {
    needs("runc").it(`matches runc spec${rootless ? " --rootless" : ""} apart from ociVersion`, () => {
      const runc = runcSpec(rootless);
      const ours = defaultSpec({ rootless, cgroupV2: has("cgroup-v2") }) as Record<string, unknown>;
      expect(ours.ociVersion).toBe("1.3.0");
      expect({ ...ours, ociVersion: runc.ociVersion }).toEqual(runc);
      // Same key order too, so the written files read the same.
      expect(JSON.stringify({ ...ours, ociVersion: runc.ociVersion }, null, "\t")).toBe(JSON.stringify(runc, null, "\t"));
    });
  }

  it("has the expected security defaults", () => {
    const s = defaultSpec({ rootless: false });
    expect(s.process!.args).toEqual(["sh"]);
    expect(s.process!.terminal).toBe(true);
    expect(s.process!.noNewPrivileges).toBe(true);
    expect(s.process!.capabilities!.bounding).toEqual(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    expect(s.process!.capabilities!.inheritable).toBeUndefined();
    expect(s.root).toEqual({ path: "rootfs", readonly: true });
    expect(s.linux!.namespaces!.map((n) => n.type)).toEqual(["pid", "network", "ipc", "uts", "mount"]);
    expect(s.linux!.resources).toEqual({ devices: [{ allow: false, access: "rwm" }] });
    expect(s.mounts!.find((m) => m.destination === "/dev/pts")!.options).toContain("gid=5");
  });

  it("maps the given ids in rootless mode and drops network, gid=5 and device rules", () => {
    const s = defaultSpec({ rootless: true, uid: 1000, gid: 100 });
    expect(s.linux!.uidMappings).toEqual([{ containerID: 0, hostID: 1000, size: 1 }]);
    expect(s.linux!.gidMappings).toEqual([{ containerID: 0, hostID: 100, size: 1 }]);
    expect(s.linux!.namespaces!.map((n) => n.type)).toEqual(["pid", "ipc", "uts", "mount", "user"]);
    expect(s.linux!.resources).toBeUndefined();
    expect(s.mounts!.find((m) => m.destination === "/dev/pts")!.options).not.toContain("gid=5");
    expect(s.mounts!.find((m) => m.destination === "/sys")).toEqual({
      destination: "/sys",
      type: "none",
      source: "/sys",
      options: ["rbind", "nosuid", "noexec", "nodev", "ro"],
    });
  });

  it("returns independent objects", () => {
    const a = defaultSpec({ rootless: false });
    a.process!.capabilities!.bounding!.push("CAP_SYS_ADMIN");
    expect(defaultSpec({ rootless: false }).process!.capabilities!.bounding).toHaveLength(3);
  });
});
