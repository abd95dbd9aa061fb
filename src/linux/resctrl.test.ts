import { describe, expect, it } from "vitest";
import { thrown } from "../testing/thrown.js";
import {
  joinIntelRdt,
  removeIntelRdt,
  requireResctrl,
  resctrlMountPoint,
  schemaLines,
  setupIntelRdt,
  updateIntelRdt,
  validateIntelRdt,
  type ResctrlFs,
} from "./resctrl.js";

/**
 * resctrl as the kernel shows it, in memory: mkdir makes a group with its tasks and
 * schemata (and mon_groups under a CTRL_MON group), files cannot be created, a schemata
 * write is checked like the kernel's (known resources only) and recorded.
 */
class FakeResctrl implements ResctrlFs {
  readonly dirs = new Set<string>();
  readonly files = new Map<string, string>();
  readonly writes: [string, string][] = [];
  closids = 4;

  constructor(readonly root = "/sys/fs/resctrl") {
    this.group(root);
    this.dirs.add(`${root}/info`);
    this.files.set(`${root}/info/last_cmd_status`, "ok\n");
  }

  private group(dir: string): void {
    this.dirs.add(dir);
    this.files.set(`${dir}/tasks`, "");
    this.files.set(`${dir}/schemata`, "    L3:0=7ff;1=7ff\n    MB:0=100;1=100\n");
    this.dirs.add(`${dir}/mon_groups`);
  }

  mkdir(p: string): void {
    const parent = p.slice(0, p.lastIndexOf("/"));
    if (this.dirs.has(p)) throw Object.assign(new Error("EEXIST"), { code: "EEXIST" });
    if (!this.dirs.has(parent)) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    if (parent.endsWith("/mon_groups")) {
      this.dirs.add(p);
      this.files.set(`${p}/tasks`, "");
      return;
    }
    if (this.closids === 0) {
      this.files.set(`${this.root}/info/last_cmd_status`, "out of CLOSIDs\n");
      throw Object.assign(new Error("ENOSPC"), { code: "ENOSPC" });
    }
    this.closids--;
    this.group(p);
  }

  rmdir(p: string): void {
    if (!this.dirs.delete(p)) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    for (const k of [...this.files.keys()]) if (k.startsWith(`${p}/`)) this.files.delete(k);
    for (const d of [...this.dirs]) if (d.startsWith(`${p}/`)) this.dirs.delete(d);
  }

  read(p: string): string {
    const v = this.files.get(p);
    if (v === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    return v;
  }

  write(p: string, data: string): void {
    if (!this.files.has(p)) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    if (p.endsWith("/schemata")) {
      for (const line of data.split("\n").filter((l) => l !== "")) {
        if (!/^(L3|L2|MB):/.test(line)) {
          this.files.set(`${this.root}/info/last_cmd_status`, `Unknown or unsupported resource name '${line.split(":")[0]}'\n`);
          throw Object.assign(new Error("EINVAL"), { code: "EINVAL" });
        }
      }
    }
    this.writes.push([p, data]);
  }
}

const ROOT = "/sys/fs/resctrl";

describe("the resctrl mount", () => {
  const info = [
    "22 1 0:21 / /proc rw,nosuid - proc proc rw",
    "40 22 0:40 / /sys/fs/resctrl rw,relatime shared:20 - resctrl resctrl rw,mba_MBps",
  ].join("\n");

  it("is found by filesystem type, wherever it is mounted", () => {
    expect(resctrlMountPoint(info)).toBe(ROOT);
    expect(resctrlMountPoint("50 1 0:41 / /mnt/rdt\\040x rw - resctrl resctrl rw")).toBe("/mnt/rdt x");
  });

  it("missing, is the spec's error naming linux.intelRdt", () => {
    const e = thrown(() => requireResctrl("22 1 0:21 / /proc rw - proc proc rw"));
    expect(e.path).toBe("linux.intelRdt");
    expect(e.message).toMatch(/no resctrl filesystem mounted/);
  });
});

describe("linux.intelRdt values", () => {
  it("are refused naming the field when the spec forbids them", () => {
    expect(thrown(() => validateIntelRdt({ memBwSchema: "L3:0=1" })).path).toBe("linux.intelRdt.memBwSchema");
    expect(thrown(() => validateIntelRdt({ l3CacheSchema: "L3:0=f\nMB:0=1" })).path).toBe("linux.intelRdt.l3CacheSchema");
    expect(thrown(() => validateIntelRdt({ schemata: ["L3:0=f", "L2:0=1\n"] })).path).toBe("linux.intelRdt.schemata[1]");
    for (const closID of ["..", "a/b", ""]) expect(thrown(() => validateIntelRdt({ closID })).path).toBe("linux.intelRdt.closID");
    expect(() => validateIntelRdt({ closID: "/", memBwSchema: "MB:0=20" })).not.toThrow();
  });

  it("are written l3CacheSchema first, memBwSchema next, schemata last", () => {
    expect(schemaLines({ schemata: ["L2:0=f"], memBwSchema: "MB:0=20", l3CacheSchema: "L3:0=7f0" })).toEqual([
      "L3:0=7f0",
      "MB:0=20",
      "L2:0=f",
    ]);
  });
});

describe("setupIntelRdt", () => {
  it("without closID: makes <root>/<id>, writes the schemata, and delete removes it", () => {
    const fs = new FakeResctrl();
    const p = setupIntelRdt({ l3CacheSchema: "L3:0=7f0", memBwSchema: "MB:0=20" }, "c1", ROOT, fs);
    expect(p).toEqual({ root: ROOT, group: `${ROOT}/c1`, created: true });
    expect(fs.writes).toEqual([[`${ROOT}/c1/schemata`, "L3:0=7f0\nMB:0=20\n"]]);
    joinIntelRdt(p, 42, fs);
    expect(fs.writes.at(-1)).toEqual([`${ROOT}/c1/tasks`, "42"]);
    removeIntelRdt(p, fs);
    expect(fs.dirs.has(`${ROOT}/c1`)).toBe(false);
    // Already gone: nothing to do.
    expect(() => removeIntelRdt(p, fs)).not.toThrow();
  });

  it("without closID and without schemas: the group is made and nothing is written to schemata", () => {
    const fs = new FakeResctrl();
    setupIntelRdt({}, "c1", ROOT, fs);
    expect(fs.dirs.has(`${ROOT}/c1`)).toBe(true);
    expect(fs.writes).toEqual([]);
  });

  it('closID "/": the default group, never made nor removed', () => {
    const fs = new FakeResctrl();
    const p = setupIntelRdt({ closID: "/" }, "c1", ROOT, fs);
    expect(p).toEqual({ root: ROOT, group: ROOT, created: false });
    removeIntelRdt(p, fs);
    expect(fs.dirs.has(ROOT)).toBe(true);
  });

  it("closID with schemas: made when missing (and then kept at delete)", () => {
    const fs = new FakeResctrl();
    const p = setupIntelRdt({ closID: "gold", schemata: ["L3:0=f0"] }, "c1", ROOT, fs);
    expect(p.created).toBe(true);
    expect(fs.writes).toEqual([[`${ROOT}/gold/schemata`, "L3:0=f0\n"]]);
  });

  it("closID with schemas, existing: its schemata must match (padding, case and leading zeros aside)", () => {
    const fs = new FakeResctrl();
    fs.mkdir(`${ROOT}/gold`);
    const ok = setupIntelRdt({ closID: "gold", l3CacheSchema: "L3:0=07FF;1=7ff", memBwSchema: "MB:0=100;1=100" }, "c1", ROOT, fs);
    expect(ok).toEqual({ root: ROOT, group: `${ROOT}/gold`, created: false });
    expect(fs.writes).toEqual([]);
    const e = thrown(() => setupIntelRdt({ closID: "gold", memBwSchema: "MB:0=50;1=100" }, "c2", ROOT, fs));
    expect(e.path).toBe("linux.intelRdt.memBwSchema");
    expect(e.message).toMatch(/other schemata/);
    removeIntelRdt(ok, fs);
    expect(fs.dirs.has(`${ROOT}/gold`)).toBe(true);
  });

  it("closID without schemas: the group must exist", () => {
    const fs = new FakeResctrl();
    const e = thrown(() => setupIntelRdt({ closID: "silver" }, "c1", ROOT, fs));
    expect(e.path).toBe("linux.intelRdt.closID");
    expect(e.message).toMatch(/group silver does not exist/);
    fs.mkdir(`${ROOT}/silver`);
    expect(setupIntelRdt({ closID: "silver" }, "c1", ROOT, fs).group).toBe(`${ROOT}/silver`);
  });

  it("enableMonitoring: a MON group named after the container, joined after the group, removed at delete", () => {
    const fs = new FakeResctrl();
    fs.mkdir(`${ROOT}/silver`);
    const p = setupIntelRdt({ closID: "silver", enableMonitoring: true }, "c1", ROOT, fs);
    expect(p.mon).toBe(`${ROOT}/silver/mon_groups/c1`);
    joinIntelRdt(p, 7, fs);
    expect(fs.writes).toEqual([
      [`${ROOT}/silver/tasks`, "7"],
      [`${ROOT}/silver/mon_groups/c1/tasks`, "7"],
    ]);
    removeIntelRdt(p, fs);
    expect(fs.dirs.has(p.mon!)).toBe(false);
    expect(fs.dirs.has(`${ROOT}/silver`)).toBe(true);
  });

  it("a schemata the kernel refuses: its reason in the message, and the group made for it removed", () => {
    const fs = new FakeResctrl();
    const e = thrown(() => setupIntelRdt({ schemata: ["XX:0=1"] }, "c1", ROOT, fs));
    expect(e.path).toBe("linux.intelRdt");
    expect(e.message).toMatch(/Unknown or unsupported resource name 'XX'/);
    expect(fs.dirs.has(`${ROOT}/c1`)).toBe(false);
  });

  it("no CLOSID left, or a group of that name already there: a clear error", () => {
    const fs = new FakeResctrl();
    fs.closids = 0;
    expect(thrown(() => setupIntelRdt({}, "c1", ROOT, fs)).message).toMatch(/out of CLOSIDs/);
    fs.closids = 2;
    setupIntelRdt({}, "c1", ROOT, fs);
    expect(thrown(() => setupIntelRdt({}, "c1", ROOT, fs)).message).toMatch(/already exists/);
  });
});

describe("updateIntelRdt", () => {
  it("writes the flags' schemas to the container's group", () => {
    const fs = new FakeResctrl();
    const p = setupIntelRdt({}, "c1", ROOT, fs);
    updateIntelRdt(p, { l3: "L3:0=f", mb: "MB:0=30" }, fs);
    expect(fs.writes.at(-1)).toEqual([`${ROOT}/c1/schemata`, "L3:0=f\nMB:0=30\n"]);
  });

  it("refuses a container without a group, or a bad value, naming the flag", () => {
    const fs = new FakeResctrl();
    expect(thrown(() => updateIntelRdt(undefined, { mb: "MB:0=30" }, fs)).path).toBe("--mem-bw-schema");
    const p = setupIntelRdt({}, "c1", ROOT, fs);
    expect(thrown(() => updateIntelRdt(p, { mb: "L3:0=1" }, fs)).path).toBe("--mem-bw-schema");
  });
});
