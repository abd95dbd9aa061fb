import { describe, expect, it } from "vitest";
import { containerRecord, recordBeforeCgroups, recordedConfig } from "./record.js";

const inputs = {
  id: "c1",
  bundle: "/b",
  rootfs: "/b/rootfs",
  spec: { ociVersion: "1.3.0", root: { path: "rootfs" }, process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/", env: ["SECRET=1"] } },
  cgroup: { layout: "v2" as const, created: ["/sys/fs/cgroup/a"], paths: { unified: "/sys/fs/cgroup/a/c1" } },
  systemdCgroup: false,
};

describe("container records", () => {
  it("keep the config without process.env", () => {
    const rec = containerRecord(inputs, 0, "");
    expect(rec.config.process?.env).toBeUndefined();
    expect(recordedConfig(inputs.spec).process?.args).toEqual(["sh"]);
    expect(rec).toMatchObject({ id: "c1", bundle: "/b", rootfs: "/b/rootfs", pid: 0, owner: "", namespaces: {} });
    expect(rec.creating).toBeUndefined();
  });

  it("before the cgroups exist: creating, with the directories about to be made listed once", () => {
    const rec = recordBeforeCgroups(inputs, ["/sys/fs/cgroup/a", "/sys/fs/cgroup/a/c1"]);
    expect(rec.creating).toBe(true);
    expect(rec.cgroup.created).toEqual(["/sys/fs/cgroup/a", "/sys/fs/cgroup/a/c1"]);
    expect(inputs.cgroup.created).toEqual(["/sys/fs/cgroup/a"]);
  });
});
