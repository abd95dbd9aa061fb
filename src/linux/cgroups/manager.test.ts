import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadCgroupManager } from "./manager.js";

describe("cgroup manager thaw", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("treats a cgroup emptied and removed between the check and the write as thawed", () => {
    // The directory is still there when thaw looks, but its control file is
    // gone, as when systemd drops an emptied scope right after a SIGKILL.
    const dir = mkdtempSync(join(tmpdir(), "berth-thaw-"));
    dirs.push(dir);
    const m = loadCgroupManager({ layout: "v1", paths: { freezer: dir }, created: [] });
    expect(() => m.thaw()).not.toThrow();
  });

  it("does nothing for a cgroup that was never made", () => {
    const m = loadCgroupManager({ layout: "v1", paths: { freezer: "/nonexistent/berth-thaw" }, created: [] });
    expect(() => m.thaw()).not.toThrow();
  });
});
