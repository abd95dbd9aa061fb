import { describe, expect, it } from "vitest";
import type { CgroupLayout } from "../../linux/cgroups/detect.js";
import { controllerItems, delegationItem, ioWeightItem, swapItem, systemdItem } from "./cgroups.js";
import { clone3Item, filesystemsItem, namespaceItems, openat2Item, overlayItem, userNamespaceItem } from "./kernel.js";
import { formatReport, runCheck } from "./report.js";
import { apparmorItem, libseccompItem, seccompFlagsItem, seccompNotifyItem, selinuxItem } from "./security.js";
import { criuItem, rootlessItems, subidRanges } from "./tools.js";
import type { CheckItem, HostFacts } from "./types.js";

const HYBRID: CgroupLayout = {
  layout: "hybrid",
  hierarchies: {
    cpu: { mountPoint: "/sys/fs/cgroup/cpu", root: "/" },
    memory: { mountPoint: "/sys/fs/cgroup/memory", root: "/" },
    devices: { mountPoint: "/sys/fs/cgroup/devices", root: "/" },
    freezer: { mountPoint: "/sys/fs/cgroup/freezer", root: "/" },
    blkio: { mountPoint: "/sys/fs/cgroup/blkio", root: "/" },
    unified: { mountPoint: "/sys/fs/cgroup/unified", root: "/" },
  },
};
const V2: CgroupLayout = { layout: "v2", hierarchies: { unified: { mountPoint: "/sys/fs/cgroup", root: "/" } } };

const NS = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"].map((n) => `/proc/self/ns/${n}`);

/** A made-up host: a modern kernel with everything, unless `over` says otherwise. */
function host(over: Partial<HostFacts> = {}, files: Record<string, string> = {}, paths: string[] = []): HostFacts {
  const all: Record<string, string> = {
    "/proc/filesystems": "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevpts\nnodev\tmqueue\nnodev\toverlay\n\text4\n",
    "/proc/self/status": "Name:\tberth\nSeccomp:\t0\n",
    "/proc/sys/kernel/seccomp/actions_avail": "kill_process kill_thread trap errno user_notif trace log allow\n",
    "/proc/sys/user/max_user_namespaces": "63000\n",
    "/sys/fs/cgroup/unified/cgroup.controllers": "hugetlb\n",
    "/sys/fs/cgroup/unified/cgroup.subtree_control": "\n",
    "/sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
    "/sys/fs/cgroup/cgroup.subtree_control": "cpu memory pids\n",
    "/proc/self/cgroup": "0::/user.slice/u.scope\n",
    ...files,
  };
  const exists = new Set([...NS, ...paths]);
  return {
    kernelRelease: "6.1.0-18-amd64",
    euid: 0,
    userName: "root",
    stateRoot: "/run/berth",
    readFile: (p) => all[p],
    exists: (p) => exists.has(p) || all[p] !== undefined,
    writable: (p) => p === "/run",
    cgroupLayout: () => HYBRID,
    hasSyscall: () => true,
    landlockAbi: () => 3,
    libseccompVersion: () => "2.5.4",
    seccompFlags: () => ({
      known: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"],
      supported: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"],
    }),
    onPath: () => undefined,
    run: () => ({ status: 0, output: "Looks good.\n" }),
    childCgroupFiles: (_dir, files) => files.slice(0, 1),
    systemd: async () => ({ version: 252 }),
    initBinary: () => ({ path: "/usr/local/lib/berth/berth-init" }),
    ...over,
  };
}

const byName = (items: CheckItem[], name: string) => items.find((i) => i.name === name);

describe("berth check probes", () => {
  it("a complete host is ready, and the report lines are aligned", async () => {
    const r = await runCheck(host());
    expect(r.ready).toBe(true);
    const text = formatReport(r);
    expect(text).toMatch(/^ok {8}kernel {2,}Linux 6\.1\.0-18-amd64$/m);
    expect(text).toMatch(/ready: berth can run a default `berth spec` container here\n$/);
    const lines = text.split("\n");
    const columns = new Set(
      r.items.map((i) => {
        const line = lines.find((l) => l.startsWith(i.status) && l.includes(` ${i.name}  `))!;
        return line.lastIndexOf(i.detail);
      }),
    );
    expect(columns.size).toBe(1);
  });

  it("a missing required namespace, berth-init or root makes the host not ready", async () => {
    const noPid = await runCheck(host({ exists: (p) => p !== "/proc/self/ns/pid" && NS.includes(p) }));
    expect(noPid.ready).toBe(false);
    expect(byName(noPid.items, "namespaces: pid")).toMatchObject({ status: "missing", required: true });
    expect(formatReport(noPid)).toMatch(/not ready: .*missing: namespaces: pid\)/);
    expect((await runCheck(host({ initBinary: () => ({ error: "berth-init not found" }) }))).ready).toBe(false);
  });

  it("a non-root caller is rootless: ready for `berth spec --rootless` containers when it may make user namespaces", async () => {
    const user = await runCheck(
      host({ euid: 1000, userName: "alice", stateRoot: "/run/user/1000/berth", writable: (p) => p === "/run/user/1000" }),
    );
    expect(user.ready).toBe(true);
    expect(user.rootless).toBe(true);
    expect(byName(user.items, "privileges")).toMatchObject({ status: "degraded", required: true });
    expect(byName(user.items, "state root")).toMatchObject({ status: "ok", detail: "/run/user/1000/berth" });
    expect(formatReport(user)).toMatch(/ready: berth can run a `berth spec --rootless` container here\n$/);
    const noUserns = await runCheck(host({ euid: 1000, writable: () => false }, { "/proc/sys/kernel/unprivileged_userns_clone": "0\n" }));
    expect(noUserns.ready).toBe(false);
    expect(byName(noUserns.items, "user namespaces")).toMatchObject({ status: "missing", required: true });
    // No XDG_RUNTIME_DIR: the default root is root's.
    expect(byName(noUserns.items, "state root")).toMatchObject({ status: "missing", fix: expect.stringMatching(/XDG_RUNTIME_DIR/) });
    expect((await runCheck(host())).rootless).toBeUndefined();
  });

  it("namespaces outside the default config are reported but not required", () => {
    const items = namespaceItems(host({ exists: (p) => p !== "/proc/self/ns/time" && NS.includes(p) }), false);
    expect(byName(items, "namespaces: time")).toMatchObject({ status: "missing" });
    expect(byName(items, "namespaces: time")?.required).toBeUndefined();
    expect(byName(items, "namespaces: cgroup")?.required).toBeUndefined();
    expect(byName(namespaceItems(host(), true), "namespaces: cgroup")?.required).toBe(true);
  });

  it("user namespaces: the sysctls that limit them", () => {
    expect(userNamespaceItem(host()).status).toBe("ok");
    expect(userNamespaceItem(host({}, { "/proc/sys/user/max_user_namespaces": "0\n" }))).toMatchObject({
      status: "missing",
      detail: "user.max_user_namespaces is 0",
    });
    const debian = userNamespaceItem(host({}, { "/proc/sys/kernel/unprivileged_userns_clone": "0\n" }));
    expect(debian.status).toBe("degraded");
    expect(debian.fix).toMatch(/unprivileged_userns_clone=1/);
    expect(userNamespaceItem(host({ exists: () => false })).status).toBe("missing");
  });

  it("cgroup v1 controllers: each mounted one ok, the others missing with what they are for", () => {
    const items = controllerItems(host(), HYBRID);
    expect(byName(items, "cgroups: controller memory")).toMatchObject({ status: "ok", detail: "mounted at /sys/fs/cgroup/memory" });
    expect(byName(items, "cgroups: controller pids")?.status).toBe("missing");
    expect(byName(items, "cgroups: controller hugetlb")?.detail).toMatch(/cgroup2 hierarchy instead/);
    expect(byName(items, "cgroups: controller devices")?.required).toBe(true);
    const noDevices = { ...HYBRID, hierarchies: { ...HYBRID.hierarchies } };
    delete noDevices.hierarchies.devices;
    expect(byName(controllerItems(host(), noDevices), "cgroups: controller devices")).toMatchObject({ status: "missing", required: true });
  });

  it("cgroup v2 controllers come from cgroup.controllers; devices and freezer from the kernel", () => {
    const items = controllerItems(host(), V2);
    expect(byName(items, "cgroups: controller io")?.status).toBe("ok");
    expect(byName(items, "cgroups: controller devices")?.status).toBe("ok");
    expect(byName(items, "cgroups: controller freezer")?.status).toBe("ok");
    const old = controllerItems(host({ kernelRelease: "5.1.0" }, { "/sys/fs/cgroup/cgroup.controllers": "cpu memory\n" }), V2);
    expect(byName(old, "cgroups: controller freezer")?.status).toBe("missing");
    expect(byName(old, "cgroups: controller io")?.status).toBe("missing");
  });

  it("delegation: subtree_control for root, a writable own cgroup for others", () => {
    expect(delegationItem(host(), V2).detail).toMatch(
      /cgroup\.subtree_control: cpu memory pids; berth enables cpuset io hugetlb rdma misc/,
    );
    expect(delegationItem(host({ euid: 1000 }), V2).status).toBe("missing");
    const delegated = delegationItem(host({ euid: 1000, writable: (p) => p === "/sys/fs/cgroup/user.slice/u.scope" }), V2);
    expect(delegated).toMatchObject({ status: "ok", detail: "/sys/fs/cgroup/user.slice/u.scope is writable by uid 1000" });
  });

  it("systemd: absent, unreachable, answering", async () => {
    expect((await systemdItem(host())).status).toBe("missing");
    const running = ["/run/systemd/system"];
    expect(await systemdItem(host({}, {}, running))).toMatchObject({ status: "ok", detail: expect.stringMatching(/systemd 252/) });
    expect((await systemdItem(host({ systemd: async () => ({ error: "connection refused" }) }, {}, running))).status).toBe("degraded");
  });

  it("systemd for another user: its own instance, or how to get one", async () => {
    const running = ["/run/systemd/system"];
    const user = await systemdItem(host({ euid: 1000, systemd: async () => ({ version: 252, instance: "user" }) }, {}, running));
    expect(user).toMatchObject({ status: "ok", detail: expect.stringMatching(/the user's systemd 252.*rootless/) });
    const none = await systemdItem(host({ euid: 1000, systemd: async () => ({ error: "ENOENT", instance: "user" }) }, {}, running));
    expect(none).toMatchObject({
      status: "degraded",
      detail: expect.stringMatching(/uid 1000/),
      fix: expect.stringMatching(/enable-linger/),
    });
  });

  it("io weight and swap accounting look in a child cgroup; without one they cannot tell", () => {
    expect(ioWeightItem(host(), HYBRID)).toMatchObject({ status: "ok", detail: "blkio.weight" });
    expect(ioWeightItem(host({ childCgroupFiles: () => [] }), HYBRID).status).toBe("missing");
    expect(ioWeightItem(host({ childCgroupFiles: () => undefined }), HYBRID).status).toBe("degraded");
    expect(swapItem(host(), V2)).toMatchObject({ status: "ok", detail: "memory.swap.max" });
    expect(swapItem(host({ childCgroupFiles: () => [] }), HYBRID).fix).toMatch(/swapaccount=1/);
  });

  it("seccomp: notify from actions_avail, flags the kernel refuses, libseccomp's version", () => {
    expect(seccompNotifyItem(host()).status).toBe("ok");
    expect(seccompNotifyItem(host({}, { "/proc/sys/kernel/seccomp/actions_avail": "kill_process errno allow\n" })).status).toBe("missing");
    const flags = seccompFlagsItem(host({ seccompFlags: () => ({ known: ["A", "B"], supported: ["A"] }) }));
    expect(flags).toMatchObject({ status: "degraded", detail: "A; the kernel refuses B" });
    expect(libseccompItem(host({ libseccompVersion: () => undefined })).status).toBe("missing");
    expect(libseccompItem(host({ libseccompVersion: () => "2.4.1" })).status).toBe("degraded");
  });

  it("LSMs: AppArmor and SELinux from their files", () => {
    expect(apparmorItem(host()).status).toBe("missing");
    expect(apparmorItem(host({}, { "/sys/module/apparmor/parameters/enabled": "Y\n" })).status).toBe("ok");
    expect(apparmorItem(host({}, { "/sys/kernel/security/lsm": "lockdown,capability,landlock,apparmor" })).status).toBe("ok");
    expect(selinuxItem(host()).status).toBe("missing");
    expect(selinuxItem(host({}, { "/sys/fs/selinux/enforce": "1" })).detail).toMatch(/enforcing/);
  });

  it("system calls: openat2 is required; clone3 into a cgroup falls back", async () => {
    const noOpenat2 = host({ hasSyscall: (n) => n !== "openat2" });
    expect(openat2Item(noOpenat2)).toMatchObject({ status: "missing", required: true });
    expect((await runCheck(noOpenat2)).ready).toBe(false);
    expect(clone3Item(host(), true).status).toBe("ok");
    expect(clone3Item(host(), false).status).toBe("degraded");
    expect(clone3Item(host({ kernelRelease: "5.4.0" }), true).detail).toMatch(/before 5\.7/);
    expect(openat2Item(host({ hasSyscall: () => undefined })).status).toBe("degraded");
  });

  it("file systems and overlayfs", () => {
    expect(filesystemsItem(host()).status).toBe("ok");
    expect(filesystemsItem(host({}, { "/proc/filesystems": "nodev\tproc\n" })).detail).toBe(
      "not in /proc/filesystems: sysfs, tmpfs, devpts, mqueue",
    );
    const noOverlay = { "/proc/filesystems": "nodev\tproc\n" };
    expect(overlayItem(host({}, noOverlay)).status).toBe("missing");
    expect(overlayItem(host({}, noOverlay, ["/lib/modules/6.1.0-18-amd64/kernel/fs/overlayfs"])).status).toBe("degraded");
  });

  it("criu: absent, passing, failing", () => {
    expect(criuItem(host()).status).toBe("missing");
    expect(criuItem(host({ onPath: () => "/usr/sbin/criu" })).status).toBe("ok");
    const failing = criuItem(
      host({ onPath: () => "/usr/sbin/criu", run: () => ({ status: 1, output: "Error (criu/cr-check.c:1): UFFD is not supported\n" }) }),
    );
    expect(failing).toMatchObject({ status: "degraded", detail: expect.stringMatching(/UFFD is not supported$/) });
  });

  it("rootless: subordinate ranges by name or uid, and newuidmap", () => {
    expect(subidRanges("alice:100000:65536\n1000:200000:10\nbob:1:2\n", "alice", 1000)).toEqual([
      { start: 100000, count: 65536 },
      { start: 200000, count: 10 },
    ]);
    const items = rootlessItems(
      host({ userName: "alice", euid: 1000, onPath: (b) => `/usr/bin/${b}` }, { "/etc/subuid": "alice:100000:65536\n", "/etc/subgid": "" }),
    );
    expect(items.map((i) => i.status)).toEqual(["ok", "missing", "ok"]);
    expect(items[1]!.fix).toBe("usermod --add-subgids 100000-165535 alice");
  });
});
