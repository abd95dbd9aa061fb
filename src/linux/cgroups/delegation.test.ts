import { describe, expect, it } from "vitest";
import { checkMigration, commonAncestor, migrationFiles } from "./delegation.js";

describe("cgroup2 delegation containment", () => {
  it("finds the nearest common ancestor", () => {
    expect(commonAncestor("/sys/fs/cgroup/a/b/c", "/sys/fs/cgroup/a/b/d")).toBe("/sys/fs/cgroup/a/b");
    expect(commonAncestor("/sys/fs/cgroup/a/bc", "/sys/fs/cgroup/a/b")).toBe("/sys/fs/cgroup/a");
    expect(commonAncestor("/sys/fs/cgroup/a/", "/sys/fs/cgroup/a/x")).toBe("/sys/fs/cgroup/a");
    expect(commonAncestor("/x", "/y")).toBe("/");
  });

  it("a move needs the target's cgroup.procs and the common ancestor's", () => {
    const app = "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice";
    expect(migrationFiles(`${app}/run-u1.scope`, `${app}/c1`)).toEqual([`${app}/c1/cgroup.procs`, `${app}/cgroup.procs`]);
    // from a root-owned service into the user's subtree: the common ancestor is the root cgroup
    expect(migrationFiles("/sys/fs/cgroup/system.slice/x.service", `${app}/c1`)).toEqual([
      `${app}/c1/cgroup.procs`,
      "/sys/fs/cgroup/cgroup.procs",
    ]);
    // into an ancestor of one's own cgroup: one file
    expect(migrationFiles(`${app}/c1/sub`, `${app}/c1`)).toEqual([`${app}/c1/cgroup.procs`]);
  });

  it("refuses with the access error of the first file the caller may not write", () => {
    const writable = new Set(["/cg/d/c1/cgroup.procs"]);
    const access = (f: string): void => {
      if (!writable.has(f)) throw Object.assign(new Error(`EACCES: ${f}`), { code: "EACCES", path: f });
    };
    expect(() => checkMigration("/cg/d/leaf", "/cg/d/c1", access)).toThrow(/EACCES: \/cg\/d\/cgroup\.procs/);
    writable.add("/cg/d/cgroup.procs");
    expect(() => checkMigration("/cg/d/leaf", "/cg/d/c1", access)).not.toThrow();
  });
});
