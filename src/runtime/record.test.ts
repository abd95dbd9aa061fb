import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { containerRecord, recordBeforeCgroups, recordedConfig } from "./record.js";
import { deriveStatus } from "./stateStore.js";

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

  it("before berth-init started: creating while its berth runs, stopped once that berth is gone (a plain delete removes it)", () => {
    const rec = recordBeforeCgroups(inputs, []);
    expect(rec.creator?.pid).toBe(process.pid);
    expect(deriveStatus("/nonexistent", rec)).toBe("creating");
    // A pid that no longer runs: a child that has exited and been reaped.
    const gone = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
    const dead = { ...rec, creator: { pid: Number(gone.stdout.trim()), startTime: rec.creator!.startTime } };
    expect(deriveStatus("/nonexistent", dead)).toBe("stopped");
    // Records written before the creator was kept stay "creating" (delete --force removes them).
    expect(deriveStatus("/nonexistent", { ...rec, creator: undefined })).toBe("creating");
  });
});
