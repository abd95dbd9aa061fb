// The systemd cgroup driver (--systemd-cgroup) end to end. Where systemd runs
// (/run/systemd/system exists, e.g. the qemu test guest of scripts/vm/), a
// container lives in a transient scope "berth-<id>.scope" in system.slice:
// its limits show as unit properties and in the cgroup files, exec joins the
// scope, pause/resume/kill --all act on it and delete leaves neither the unit
// nor its cgroup. Where systemd does not run, --systemd-cgroup fails with a
// clear error and leaves nothing behind.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { has, needs } from "../helpers/host.js";
import { Sandbox, describeResult } from "../helpers/index.js";

const PURE_V2 = has("cgroup-v2");
const SD = { globalArgs: ["--systemd-cgroup"] };

/** `systemctl show <unit> -p a,b,…` as a map. */
function unitProps(unit: string, names: string[]): Record<string, string> {
  const out = execFileSync("systemctl", ["show", unit, "-p", names.join(",")], { encoding: "utf8" });
  const props: Record<string, string> = {};
  for (const line of out.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) props[line.slice(0, i)] = line.slice(i + 1);
  }
  return props;
}

function cgroupOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cgroup`, "utf8");
}

needs("containers", "no-systemd").describe("--systemd-cgroup where systemd does not run", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("fails with the no-systemd error naming the flag, and leaves nothing", async () => {
    const b = sb.bundle({
      args: ["true"],
      edit: (c) => {
        c.linux!.cgroupsPath = "system.slice:berth:x";
      },
    });
    const id = sb.id("sd");
    sb.track(id, b);
    const r = sb.rt(["create", "--bundle", b.dir, id], SD);
    expect(r.code, describeResult(r)).not.toBe(0);
    expect(r.stderr).toContain("--systemd-cgroup");
    expect(r.stderr).toContain("needs a running systemd");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("without the flag, a slice:prefix:name path is rejected naming --systemd-cgroup", () => {
    const b = sb.bundle({
      args: ["true"],
      edit: (c) => {
        c.linux!.cgroupsPath = "system.slice:berth:x";
      },
    });
    const id = sb.id("sd");
    sb.track(id, b);
    const r = sb.rt(["create", "--bundle", b.dir, id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("linux.cgroupsPath");
    expect(r.stderr).toContain("--systemd-cgroup");
  });
});

// Each berth command costs seconds in an emulated guest: generous time per test.
needs("containers", "systemd").describe("--systemd-cgroup with systemd running", { timeout: 180_000 }, () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("create/exec/pause/resume/kill --all/delete in a transient scope carrying the limits", async () => {
    const id = sb.id("sd");
    const unit = `berth-${id}.scope`;
    const b = sb.bundle({
      args: ["sh", "-c", "sleep 1000 & wait"],
      edit: (c) => {
        c.linux!.cgroupsPath = `system.slice:berth:${id}`;
        c.annotations = { "org.systemd.property.CollectMode": "'inactive-or-failed'" };
        c.linux!.resources = {
          ...c.linux!.resources,
          memory: { limit: 64 << 20 },
          pids: { limit: 32 },
          cpu: { quota: 50000, period: 100000, shares: 1024 },
        };
      },
    });
    sb.create(id, b, [], SD);
    const pid = sb.state(id).pid!;
    const scopeDir = PURE_V2 ? `/sys/fs/cgroup/system.slice/${unit}` : `/sys/fs/cgroup/memory/system.slice/${unit}`;
    expect(cgroupOf(pid)).toContain(`/system.slice/${unit}`);

    const props = unitProps(unit, [
      "ActiveState",
      "Slice",
      "Delegate",
      "TasksMax",
      "MemoryMax",
      "MemoryLimit",
      "CPUQuotaPerSecUSec",
      "CPUWeight",
      "CPUShares",
      "CollectMode",
    ]);
    expect(props["ActiveState"]).toBe("active");
    // From the annotation org.systemd.property.CollectMode.
    expect(props["CollectMode"]).toBe("inactive-or-failed");
    expect(props["Slice"]).toBe("system.slice");
    expect(props["Delegate"]).toBe("yes");
    expect(props["TasksMax"]).toBe("32");
    expect(props["CPUQuotaPerSecUSec"]).toBe("500ms");
    if (PURE_V2) {
      expect(props["MemoryMax"]).toBe(String(64 << 20));
      expect(props["CPUWeight"]).toBe("39");
      // The same limits, written by systemd and again through cgroupfs.
      expect(readFileSync(join(scopeDir, "memory.max"), "utf8").trim()).toBe(String(64 << 20));
      expect(readFileSync(join(scopeDir, "pids.max"), "utf8").trim()).toBe("32");
      expect(readFileSync(join(scopeDir, "cpu.max"), "utf8").trim()).toBe("50000 100000");
    } else {
      expect(props["MemoryLimit"]).toBe(String(64 << 20));
      expect(readFileSync(join(scopeDir, "memory.limit_in_bytes"), "utf8").trim()).toBe(String(64 << 20));
    }

    sb.ok(["start", id]);
    await sb.waitStatus(id, "running");

    // exec joins the scope.
    const pidFile = join(b.dir, "exec.pid");
    sb.ok(["exec", "--detach", "--pid-file", pidFile, id, "sleep", "1000"]);
    const execPid = Number(readFileSync(pidFile, "utf8"));
    sb.trackPid(id, execPid);
    expect(cgroupOf(execPid)).toContain(`/system.slice/${unit}`);
    // The device rules systemd enforces (DevicePolicy=strict) still let the container use its devices.
    expect(unitProps(unit, ["DevicePolicy"])["DevicePolicy"]).toBe("strict");
    const dev = sb.rt(["exec", id, "sh", "-c", "echo x > /dev/null && head -c 4 /dev/zero | wc -c"]);
    expect(dev.code, describeResult(dev)).toBe(0);
    expect(dev.stdout.trim()).toBe("4");
    const ps = sb.ok(["ps", "--format", "json", id]);
    expect(JSON.parse(ps.stdout) as number[]).toContain(execPid);

    sb.ok(["pause", id]);
    expect(sb.status(id)).toBe("paused");
    sb.ok(["resume", id]);
    expect(sb.status(id)).toBe("running");

    sb.ok(["kill", "--all", id, "KILL"]);
    await sb.waitStatus(id, "stopped");

    sb.ok(["delete", id]);
    expect(unitProps(unit, ["LoadState"])["LoadState"]).toBe("not-found");
    expect(existsSync(scopeDir)).toBe(false);
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("without cgroupsPath the unit is berth-<id>.scope in system.slice; delete --force of a running container removes it", async () => {
    const id = sb.id("sd");
    const unit = `berth-${id}.scope`;
    const b = sb.bundle({ args: ["sleep", "1000"] });
    sb.runDetached(id, b, [], SD);
    const pid = sb.state(id).pid!;
    expect(cgroupOf(pid)).toContain(`/system.slice/${unit}`);
    expect(unitProps(unit, ["ActiveState"])["ActiveState"]).toBe("active");
    sb.ok(["delete", "--force", id]);
    expect(unitProps(unit, ["LoadState"])["LoadState"]).toBe("not-found");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("a cgroupfs path under --systemd-cgroup is rejected before anything is made", async () => {
    const id = sb.id("sd");
    const b = sb.bundle({
      args: ["true"],
      edit: (c) => {
        c.linux!.cgroupsPath = `/berth-test/${id}`;
      },
    });
    sb.track(id, b);
    const r = sb.rt(["create", "--bundle", b.dir, id], SD);
    expect(r.code, describeResult(r)).not.toBe(0);
    expect(r.stderr).toContain("slice:prefix:name");
    expect(await sb.waitClean(id)).toEqual([]);
  });

  it("a failed create stops the unit it started", async () => {
    const id = sb.id("sd");
    const unit = `berth-${id}.scope`;
    const b = sb.bundle({
      args: ["/no/such/program"],
      edit: (c) => {
        c.linux!.cgroupsPath = `system.slice:berth:${id}`;
      },
    });
    sb.track(id, b);
    const r = sb.rt(["create", "--bundle", b.dir, id], SD);
    expect(r.code, describeResult(r)).not.toBe(0);
    expect(unitProps(unit, ["LoadState"])["LoadState"]).toBe("not-found");
    expect(await sb.waitClean(id)).toEqual([]);
  });
});

needs("root", "systemd").describe("the D-Bus client against the real systemd", { timeout: 120_000 }, () => {
  for (const via of [
    { path: "/run/dbus/system_bus_socket", bus: true },
    { path: "/run/systemd/private", bus: false },
  ]) {
    it(`starts and stops a transient scope through ${via.path}`, async () => {
      const { SystemdClient } = await import("../../src/linux/systemd/client.js");
      const unit = `berth-test-dbus-${process.pid}-${via.bus ? "bus" : "p2p"}.scope`;
      const child = spawn("sleep", ["300"], { stdio: "ignore" });
      const client = await SystemdClient.connect([via]);
      try {
        expect(await client.version()).toBeGreaterThan(200);
        await client.startTransientUnit(unit, [
          ["Description", { type: "s", value: "berth D-Bus client test" }],
          ["PIDs", { type: "au", value: [child.pid!] }],
          ["TasksMax", { type: "t", value: 7n }],
        ]);
        expect(cgroupOf(child.pid!)).toContain(`/system.slice/${unit}`);
        expect(unitProps(unit, ["ActiveState", "TasksMax"])).toEqual({ ActiveState: "active", TasksMax: "7" });
        await client.stopUnit(unit);
        expect(unitProps(unit, ["LoadState"])["LoadState"]).toBe("not-found");
        // Stopping the scope killed its process.
        await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once("exit", r)));
      } finally {
        client.close();
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
    });
  }
});
