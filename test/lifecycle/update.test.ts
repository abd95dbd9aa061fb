// `update`: new limits from runc's flags or from a LinuxResources document
// (file or stdin) reach the container's cgroup files and are recorded in
// state.json; bad input is refused before anything changes; a stopped or
// missing container is refused as runc refuses it. Layout-aware: the
// container is given cgroupsPath "/<id>", and v2 files are read on cgroup v2.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { UNIFIED } from "../../src/linux/cgroups/detect.js";
import { cgroup2Mount, has, hostCgroupLayout, needs } from "../helpers/host.js";
import { Sandbox, describeResult } from "../helpers/index.js";

const LAYOUT = hostCgroupLayout();
const V2 = LAYOUT.layout === "v2";
const MiB = 1024 * 1024;

function cg(ctrl: string, id: string, file: string): string {
  const h = V2 ? LAYOUT.hierarchies[UNIFIED] : LAYOUT.hierarchies[ctrl];
  if (h === undefined) throw new Error(`${ctrl} is not mounted`);
  return readFileSync(join(h.mountPoint, id, file), "utf8").trim();
}

const memoryLimit = (id: string): number => Number(cg("memory", id, V2 ? "memory.max" : "memory.limit_in_bytes"));
const pidsLimit = (id: string): string => cg("pids", id, "pids.max");
/** "quota period" as cgroup v2 spells it, from either layout. */
const cpuMax = (id: string): string =>
  V2 ? cg("cpu", id, "cpu.max") : `${cg("cpu", id, "cpu.cfs_quota_us")} ${cg("cpu", id, "cpu.cfs_period_us")}`;

needs("containers", "controller:memory", "controller:pids").describe("lifecycle: update", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  function running(prefix: string): string {
    const id = sb.id(prefix);
    const b = sb.bundle({
      args: ["sleep", "60"],
      edit: (c) => {
        c.linux!.cgroupsPath = `/${id}`;
        c.linux!.resources = { ...c.linux!.resources, memory: { limit: 256 * MiB }, pids: { limit: 100 } };
      },
    });
    sb.runDetached(id, b);
    return id;
  }

  /** The resources berth recorded for the container. */
  function recorded(id: string): Record<string, any> {
    const st = JSON.parse(readFileSync(join(sb.root, id, "state.json"), "utf8"));
    return st.config.linux.resources;
  }

  it("flags change memory and pids limits, accept runc's size units, and are recorded in state.json", async () => {
    const id = running("up-flags");
    expect(memoryLimit(id)).toBe(256 * MiB);
    sb.ok(["update", "--memory", "100M", "--pids-limit", "50", id]);
    expect(memoryLimit(id)).toBe(100 * MiB);
    expect(pidsLimit(id)).toBe("50");
    if (has("berth")) {
      expect(recorded(id).memory.limit).toBe(100 * MiB);
      expect(recorded(id).pids.limit).toBe(50);
    }
    // a flag left out leaves its setting alone
    sb.ok(["update", "--memory", "1g", id]);
    expect(memoryLimit(id)).toBe(1024 * MiB);
    expect(pidsLimit(id)).toBe("50");
    sb.ok(["update", "--pids-limit", "-1", id]);
    expect(pidsLimit(id)).toBe("max");
    if (has("berth")) expect(recorded(id).pids.limit).toBe(-1);
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  needs("controller:cpu").it("a resources document from stdin or a file is applied (a lone CPU quota keeps the period)", async () => {
    const id = running("up-json");
    sb.ok(["update", "--resources", "-", id], {
      input: JSON.stringify({ memory: { limit: 200 * MiB }, cpu: { quota: 50000, period: 100000 } }),
    });
    expect(memoryLimit(id)).toBe(200 * MiB);
    expect(cpuMax(id)).toBe("50000 100000");
    const file = join(sb.root, "resources.json");
    writeFileSync(file, JSON.stringify({ cpu: { quota: 25000 }, pids: { limit: 20 } }));
    sb.ok(["update", "-r", file, id]);
    expect(cpuMax(id)).toBe("25000 100000");
    expect(pidsLimit(id)).toBe("20");
    expect(memoryLimit(id)).toBe(200 * MiB);
    if (has("berth"))
      expect(recorded(id)).toMatchObject({ memory: { limit: 200 * MiB }, cpu: { quota: 25000, period: 100000 }, pids: { limit: 20 } });
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("bad values are refused, naming the flag or JSON path, and change nothing", async () => {
    const id = running("up-bad");
    const cases: [string[], string | undefined, RegExp][] = [
      [["update", "--memory", "1x", id], undefined, /memory/],
      [["update", "--cpu-period", "abc", id], undefined, /cpu-period/],
      [["update", "--resources", "-", id], '{"memory":{"limit":"lots"}}', /memory\.limit/],
      [["update", "--resources", "-", id], '{"memory":', /JSON|EOF/],
    ];
    for (const [args, input, pattern] of cases) {
      const r = sb.rt(args, input === undefined ? {} : { input });
      expect(r.code, describeResult(r)).toBe(1);
      expect(r.stderr).toMatch(pattern);
    }
    expect(memoryLimit(id)).toBe(256 * MiB);
    if (has("berth")) {
      expect(recorded(id).memory.limit).toBe(256 * MiB);
      const rdt = sb.rt(["update", "--l3-cache-schema", "L3:0=f", id]);
      expect(rdt.code, describeResult(rdt)).toBe(1);
      expect(rdt.stderr).toMatch(/--l3-cache-schema: the container has no Intel RDT group/);
    }
    sb.ok(["delete", "--force", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("refuses a stopped or missing container, as runc does", async () => {
    const id = running("up-stopped");
    sb.ok(["kill", id, "KILL"]);
    await sb.waitStatus(id, "stopped");
    const r = sb.rt(["update", "--memory", "64M", id]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/container not running/);
    const missing = sb.rt(["update", "--memory", "64M", "berth-test-up-no-such-container"]);
    expect(missing.code, describeResult(missing)).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
    sb.ok(["delete", id]);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});

// Under the systemd driver the limits are unit properties too (systemd writes them
// again on daemon-reload), so update must change both. Runs where systemd does
// (the qemu guest of scripts/vm/); each command costs seconds there.
needs("containers", "berth", "systemd", "cgroup-v2").describe("lifecycle: update under --systemd-cgroup", { timeout: 180_000 }, () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());
  const SD = { globalArgs: ["--systemd-cgroup"] };

  function unitProp(unit: string, name: string): string {
    return execFileSync("systemctl", ["show", unit, "-p", name, "--value"], { encoding: "utf8" }).trim();
  }

  it("changes the cgroup files, the unit's properties and the record", async () => {
    const id = sb.id("up-sd");
    const unit = `berth-${id}.scope`;
    const b = sb.bundle({
      args: ["sleep", "60"],
      edit: (c) => {
        c.linux!.cgroupsPath = `system.slice:berth:${id}`;
        c.linux!.resources = { ...c.linux!.resources, memory: { limit: 256 * MiB }, pids: { limit: 100 } };
      },
    });
    sb.track(id, b);
    sb.ok(["run", "--detach", "--bundle", b.dir, id], SD);
    expect(unitProp(unit, "MemoryMax")).toBe(String(256 * MiB));
    sb.ok(["update", "--memory", "128M", "--pids-limit", "42", id]);
    const pid = Number(sb.state(id).pid);
    const rel = readFileSync(`/proc/${pid}/cgroup`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("0::"))!
      .slice(3);
    expect(readFileSync(join(cgroup2Mount()!, rel, "memory.max"), "utf8").trim()).toBe(String(128 * MiB));
    expect(unitProp(unit, "MemoryMax")).toBe(String(128 * MiB));
    expect(unitProp(unit, "TasksMax")).toBe("42");
    expect(recordedIn(sb.root, id).memory.limit).toBe(128 * MiB);
    sb.ok(["delete", "--force", id], SD);
    expect(await sb.waitClean(id)).toEqual([]);
  });
});

function recordedIn(root: string, id: string): Record<string, any> {
  return JSON.parse(readFileSync(join(root, id, "state.json"), "utf8")).config.linux.resources;
}
