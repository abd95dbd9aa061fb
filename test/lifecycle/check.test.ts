// `berth check`: its report against what the test itself reads of this host (/proc, /sys,
// the cgroup layout, PATH), so it holds on any host the suite runs on: this one and the guest.

import { existsSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { UNIFIED, V1_CONTROLLERS } from "../../src/linux/cgroups/detect.js";
import { has, hostCgroupLayout, needs } from "../helpers/host.js";
import { describeResult, runtime } from "../helpers/index.js";

interface Item {
  name: string;
  status: "ok" | "missing" | "degraded";
  detail: string;
  fix?: string;
  required?: boolean;
}
interface Report {
  ready: boolean;
  kernel: string;
  items: Item[];
}

const NS_FILES: Record<string, string> = {
  cgroup: "cgroup",
  ipc: "ipc",
  mount: "mnt",
  network: "net",
  pid: "pid",
  time: "time",
  user: "user",
  uts: "uts",
};

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function onPath(bin: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;
}

needs("containers", "berth").describe("berth check", () => {
  // Run in beforeAll: a skipped suite's body still runs when vitest collects it.
  let json: ReturnType<typeof runtime>;
  let report: Report;
  beforeAll(() => {
    json = runtime(["check", "--json"], { root: null });
    report = JSON.parse(json.stdout) as Report;
  });
  const item = (name: string): Item => {
    const i = report.items.find((x) => x.name === name);
    if (i === undefined) throw new Error(`no item ${name} in ${json.stdout}`);
    return i;
  };

  it("this host runs the suite's containers, so it is ready: exit 0", () => {
    expect(json.code, describeResult(json)).toBe(0);
    expect(report.ready).toBe(true);
    expect(report.kernel).toBe(release());
    expect(item("privileges").status).toBe("ok");
    expect(item("berth-init").status).toBe("ok");
  });

  it("the human report has one aligned line per item and the verdict", () => {
    const text = runtime(["check"], { root: null });
    expect(text.code, describeResult(text)).toBe(0);
    const lines = text.stdout.split("\n");
    const columns = new Set<number>();
    for (const i of report.items) {
      const line = lines.find((l) => l.startsWith(`${i.status} `) && l.includes(` ${i.name}  `) && l.endsWith(i.detail));
      expect(line, `${i.status} ${i.name} ${i.detail}`).toBeDefined();
      columns.add(line!.length - i.detail.length);
    }
    expect(columns.size).toBe(1);
    expect(text.stdout).toMatch(/\nready: berth can run a default `berth spec` container here\n$/);
  });

  it("namespaces: one item per type, ok exactly where /proc/self/ns has it", () => {
    for (const [type, file] of Object.entries(NS_FILES)) {
      expect(item(`namespaces: ${type}`).status, type).toBe(existsSync(`/proc/self/ns/${file}`) ? "ok" : "missing");
    }
    const max = read("/proc/sys/user/max_user_namespaces")?.trim();
    if (max === "0") expect(item("user namespaces").status).toBe("missing");
    else if (max !== undefined) expect(item("user namespaces").detail).toContain(`user.max_user_namespaces=${max}`);
  });

  it("cgroups: the layout and each controller as the test finds them", () => {
    const layout = hostCgroupLayout();
    expect(item("cgroups: mode").detail).toMatch(new RegExp(`^${layout.layout}`));
    if (layout.layout === "v2") {
      const offered = (read(`${layout.hierarchies[UNIFIED]!.mountPoint}/cgroup.controllers`) ?? "").split(/\s+/);
      for (const c of ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"]) {
        expect(item(`cgroups: controller ${c}`).status, c).toBe(offered.includes(c) ? "ok" : "missing");
      }
    } else {
      for (const c of V1_CONTROLLERS) {
        const h = layout.hierarchies[c];
        const i = item(`cgroups: controller ${c}`);
        expect(i.status, c).toBe(h !== undefined ? "ok" : "missing");
        if (h !== undefined) expect(i.detail).toBe(`mounted at ${h.mountPoint}`);
      }
    }
    expect(item("cgroups: io weight").status).toBe(has("io-weight") ? "ok" : "missing");
    expect(item("cgroups: swap accounting").status).toBe(has("swap-accounting") ? "ok" : "missing");
    // With systemd running, root reaches it on the bus or on its private socket.
    if (has("systemd")) expect(item("cgroups: systemd").status).toBe("ok");
    else if (existsSync("/run/systemd/system")) expect(item("cgroups: systemd").status).not.toBe("missing");
    else expect(item("cgroups: systemd").status).toBe("missing");
  });

  it("seccomp, LSMs and file systems as /proc and /sys show them", () => {
    const actions = (read("/proc/sys/kernel/seccomp/actions_avail") ?? "").split(/\s+/);
    expect(item("seccomp: filter").status).toBe(actions.includes("allow") ? "ok" : "missing");
    expect(item("seccomp: notify").status).toBe(actions.includes("user_notif") ? "ok" : "missing");
    expect(item("libseccomp").detail).toMatch(/^\d+\.\d+\.\d+$/);
    expect(item("apparmor").status).toBe(has("apparmor") ? "ok" : "missing");
    expect(item("selinux").status).toBe(has("selinux") ? "degraded" : "missing");
    const fs = read("/proc/filesystems") ?? "";
    expect(item("overlayfs").status === "ok").toBe(/\toverlay$/m.test(fs));
    expect(item("filesystems").status).toBe("ok");
  });

  it("system calls by kernel version, criu and the rootless tools as PATH has them", () => {
    const [major = 0, minor = 0] = release()
      .split(".")
      .map((n) => Number.parseInt(n, 10));
    const atLeast = (a: number, b: number) => major > a || (major === a && minor >= b);
    expect(item("openat2").status).toBe(atLeast(5, 6) ? "ok" : "missing");
    expect(item("pidfd").status).toBe(atLeast(5, 3) ? "ok" : "missing");
    expect(item("mount API").status).toBe(atLeast(5, 12) ? "ok" : "missing");
    expect(item("idmapped mounts").status).toBe(atLeast(5, 12) ? "ok" : "missing");
    const cgroup2 = hostCgroupLayout().hierarchies[UNIFIED] !== undefined;
    expect(item("clone3 CLONE_INTO_CGROUP").status).toBe(atLeast(5, 7) && cgroup2 ? "ok" : "degraded");
    if (!onPath("criu")) expect(item("criu").status).toBe("missing");
    else expect(item("criu").status).toBe(has("criu") ? "ok" : "degraded");
    const uidmap = onPath("newuidmap") && onPath("newgidmap");
    expect(item("rootless: newuidmap").status).toBe(uidmap ? "ok" : "missing");
  });

  describe("on a host without what a default container needs", () => {
    it("the report says not ready and berth check exits 1", () => {
      // berth-init cannot be found: BERTH_INIT names a file that does not exist.
      const r = runtime(["check"], {
        root: null,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", BERTH_INIT: "/nonexistent/berth-init" },
      });
      expect(r.code, describeResult(r)).toBe(1);
      expect(r.stdout).toMatch(/^missing +berth-init +/m);
      expect(r.stdout).toMatch(/not ready: .*\(missing: berth-init\)\n$/);
    });
  });
});
