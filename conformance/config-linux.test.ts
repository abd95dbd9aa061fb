// config-linux.md: namespaces (new, inherited, joined by path), user
// namespace id mappings, default and configured devices, sysctl, masked and
// read-only paths, rootfs propagation, cgroupsPath.

import { chmodSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { hostCgroupLayout, needs } from "../test/helpers/host.js";
import { Sandbox, describeResult, uniqueId } from "../test/helpers/index.js";
import { runLines, runScript } from "./common.js";

function hostNs(kind: string): string {
  return readlinkSync(`/proc/self/ns/${kind}`);
}

needs("containers").describe("conformance: config-linux.md", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("config-linux.md namespaces: each listed namespace without a path is new", () => {
    const kinds = ["pid", "net", "ipc", "uts", "mnt"];
    const lines = runLines(sb, kinds.map((k) => `readlink /proc/self/ns/${k}`).join("; "));
    kinds.forEach((k, i) => expect(lines[i], k).not.toBe(hostNs(k)));
    kinds.forEach((k, i) => expect(lines[i]).toMatch(new RegExp(`^${k}:\\[\\d+\\]$`)));
  });

  it("config-linux.md namespaces: a namespace type that is not listed is inherited from the runtime", () => {
    const lines = runLines(sb, "readlink /proc/self/ns/ipc; readlink /proc/self/ns/net", (c) => {
      c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== "ipc" && n.type !== "network");
      // /dev/mqueue needs an ipc namespace of its own.
      c.mounts = c.mounts!.filter((m) => m.destination !== "/dev/mqueue");
    });
    expect(lines).toEqual([hostNs("ipc"), hostNs("net")]);
  });

  it("config-linux.md namespaces: the cgroup namespace is new when listed", () => {
    const lines = runLines(sb, "readlink /proc/self/ns/cgroup", (c) => {
      c.linux!.namespaces!.push({ type: "cgroup" });
    });
    expect(lines[0]).not.toBe(hostNs("cgroup"));
  });

  it("config-linux.md namespaces: a namespace with a path is joined", async () => {
    const a = sb.bundle({ args: ["sleep", "30"] });
    const idA = sb.id("nsA");
    sb.runDetached(idA, a);
    const pidA = sb.state(idA).pid;
    const netA = readlinkSync(`/proc/${pidA}/ns/net`);
    const ipcA = readlinkSync(`/proc/${pidA}/ns/ipc`);
    const lines = runLines(sb, "readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts", (c) => {
      c.linux!.namespaces = c.linux!.namespaces!.map((n) =>
        n.type === "network"
          ? { type: "network", path: `/proc/${pidA}/ns/net` }
          : n.type === "ipc"
            ? { type: "ipc", path: `/proc/${pidA}/ns/ipc` }
            : n,
      );
    });
    expect(lines[0]).toBe(netA);
    expect(lines[1]).toBe(ipcA);
    expect(lines[2]).not.toBe(readlinkSync(`/proc/${pidA}/ns/uts`));
    sb.ok(["delete", "--force", idA]);
  });

  it("config-linux.md namespaces: a path to a namespace of another type is an error", async () => {
    const r = runScript(sb, "true", (c) => {
      c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === "network" ? { type: "network", path: "/proc/self/ns/uts" } : n));
    });
    expect(r.code).not.toBe(0);
    expect(await sb.waitClean(r.id)).toEqual([]);
  });

  it("config-linux.md namespaces: duplicated namespace types are an error", async () => {
    const r = runScript(sb, "true", (c) => {
      c.linux!.namespaces!.push({ type: "uts" });
    });
    expect(r.code).not.toBe(0);
    expect(await sb.waitClean(r.id)).toEqual([]);
  });

  needs("userns").it("config-linux.md user namespace mappings: uidMappings and gidMappings are written", () => {
    const r = runScript(sb, "cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; readlink /proc/self/ns/user", (c, b) => {
      // The mapped root (host uid 100000) must be able to reach the rootfs.
      chmodSync(b.dir, 0o755);
      c.linux!.namespaces!.push({ type: "user" });
      c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      // A cgroup v1 hierarchy cannot be mounted from inside a user namespace.
      c.mounts = c.mounts!.filter((m) => m.destination !== "/sys/fs/cgroup");
    });
    expect(r.code, describeResult(r)).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.trim().split(/\s+/).join(" "));
    expect(lines.slice(0, 2)).toEqual(["0 100000 65536", "0 100000 65536"]);
    expect(lines.slice(2, 4)).toEqual(["0", "0"]);
    expect(lines[4]).not.toBe(hostNs("user"));
  });

  it("config-linux.md default devices: null, zero, full, random, urandom, tty exist with the right numbers", () => {
    const devs = ["null", "zero", "full", "random", "urandom", "tty"];
    const lines = runLines(sb, devs.map((d) => `stat -c '%n %F %t:%T' /dev/${d}`).join("; "));
    expect(lines).toEqual([
      "/dev/null character special file 1:3",
      "/dev/zero character special file 1:5",
      "/dev/full character special file 1:7",
      "/dev/random character special file 1:8",
      "/dev/urandom character special file 1:9",
      "/dev/tty character special file 5:0",
    ]);
  });

  it("config-linux.md default devices: the default devices work", () => {
    const lines = runLines(sb, "echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1; head -c 8 /dev/urandom | wc -c");
    expect(lines[0]).toBe("null-ok");
    expect(lines[1].trim()).toBe("00 00 00 00");
    expect(lines[2].trim()).toBe("8");
  });

  it("config-linux.md default devices: /dev/ptmx is a symlink to or bind of /dev/pts/ptmx", () => {
    const lines = runLines(
      sb,
      "if [ -L /dev/ptmx ]; then echo link $(readlink /dev/ptmx); else stat -c '%t:%T' /dev/ptmx; fi; stat -c '%t:%T' /dev/pts/ptmx",
    );
    if (lines[0].startsWith("link ")) expect(lines[0]).toMatch(/^link (\/dev\/)?pts\/ptmx$/);
    else expect(lines[0]).toBe(lines[1]);
  });

  it("config-linux.md devices: a configured device is created with its type, numbers, mode and owner", () => {
    const lines = runLines(sb, "stat -c '%F %t:%T %a %u:%g' /dev/berth-test-dev", (c) => {
      c.linux!.devices = [{ path: "/dev/berth-test-dev", type: "c", major: 1, minor: 5, fileMode: 0o640, uid: 1000, gid: 1001 }];
    });
    expect(lines).toEqual(["character special file 1:5 640 1000:1001"]);
  });

  it("devices (runc compatibility): a fileMode with file type bits, as podman sends it, gives the permission bits", () => {
    const lines = runLines(sb, "stat -c '%F %t:%T %a' /dev/berth-test-dev", (c) => {
      c.linux!.devices = [{ path: "/dev/berth-test-dev", type: "c", major: 1, minor: 5, fileMode: 0o20600 }];
    });
    expect(lines).toEqual(["character special file 1:5 600"]);
  });

  it("config-linux.md personality: LINUX32 makes uname report a 32-bit machine, for exec'd processes too", async () => {
    const id = uniqueId("persona");
    const b = sb.bundle({
      args: ["sh", "-c", "uname -m; sleep 30"],
      edit: (c) => {
        c.linux!.personality = { domain: "LINUX32" };
      },
    });
    sb.runDetached(id, b);
    expect(sb.ok(["exec", id, "uname", "-m"]).stdout).toBe("i686\n"); // the x86-64 kernel's 32-bit persona
    sb.ok(["delete", "--force", id]);
  });

  it("config-linux.md memoryPolicy: the process's mappings follow the policy (MPOL_BIND to node 0)", () => {
    const lines = runLines(sb, "grep -c ' bind:0 ' /proc/self/numa_maps", (c) => {
      c.linux!.memoryPolicy = { mode: "MPOL_BIND", nodes: "0" };
    });
    expect(Number(lines[0])).toBeGreaterThan(0);
  });

  it("config-linux.md memoryPolicy: a node the host does not have is an error naming linux.memoryPolicy.nodes", async () => {
    const b = sb.bundle({
      edit: (c) => {
        c.linux!.memoryPolicy = { mode: "MPOL_BIND", nodes: "1000" };
      },
    });
    await sb.refuseCreate(b, /linux\.memoryPolicy\.nodes: memory node 1000 is not online on this host/);
  });

  it("config-linux.md sysctl: the listed kernel parameters are set", () => {
    const lines = runLines(sb, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ping_group_range", (c) => {
      c.linux!.sysctl = { "net.ipv4.ip_forward": "1", "net.ipv4.ping_group_range": "0 1000" };
    });
    expect(lines[0]).toBe("1");
    expect(lines[1].split(/\s+/)).toEqual(["0", "1000"]);
  });

  it("config-linux.md maskedPaths: masked files and directories cannot be read", () => {
    // A file in the container's /proc, one in the rootfs and a directory. /proc/version is
    // in every kernel (runc's default /proc/keys and /proc/kcore depend on its options).
    const r = runScript(sb, "wc -c < /proc/version; cat /etc/secret-file; ls -A /etc/secret-dir | wc -l", (c, b) => {
      mkdirSync(b.inRootfs("/etc/secret-dir"), { recursive: true });
      writeFileSync(b.inRootfs("/etc/secret-dir/inside"), "hidden\n");
      writeFileSync(b.inRootfs("/etc/secret-file"), "hidden\n");
      c.linux!.maskedPaths = [...(c.linux!.maskedPaths ?? []), "/proc/version", "/etc/secret-file", "/etc/secret-dir"];
    });
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).not.toContain("hidden");
    expect(r.stdout.trim().split(/\s+/)).toEqual(["0", "0"]);
  });

  it("config-linux.md readonlyPaths: the listed paths are read-only while the rest stays writable", () => {
    const r = runScript(
      sb,
      "touch /data/x 2>/dev/null && echo data-rw || echo data-ro; touch /other 2>/dev/null && echo root-rw; (echo 1 > /proc/sys/kernel/ns_last_pid) 2>/dev/null && echo sys-rw || echo sys-ro",
      (c, b) => {
        mkdirSync(b.inRootfs("/data"), { recursive: true });
        c.linux!.readonlyPaths = [...(c.linux!.readonlyPaths ?? []), "/data"];
      },
    );
    expect(r.stdout.trim().split("\n")).toEqual(["data-ro", "root-rw", "sys-ro"]);
  });

  // runc 1.1 turns / into a slave again at pivot_root, so the shared flag does not survive there.
  needs("berth").it("config-linux.md rootfsPropagation: shared makes the container's / a shared mount", () => {
    const lines = runLines(
      sb,
      'awk \'$5 == "/" {for (i = 7; $i != "-"; i++) printf "%s ", $i; print "end"}\' /proc/self/mountinfo',
      (c) => {
        c.linux!.rootfsPropagation = "shared";
      },
    );
    expect(lines[lines.length - 1]).toMatch(/shared:\d+/);
  });

  it("config-linux.md rootfsPropagation: private leaves / without propagation", () => {
    const lines = runLines(
      sb,
      'awk \'$5 == "/" {for (i = 7; $i != "-"; i++) printf "%s ", $i; print "end"}\' /proc/self/mountinfo',
      (c) => {
        c.linux!.rootfsPropagation = "private";
      },
    );
    expect(lines[lines.length - 1]).toBe("end");
  });

  needs("controller:pids").it("config-linux.md cgroupsPath: the container is placed in the given cgroup path", () => {
    const name = uniqueId("cg");
    const b = sb.bundle({
      args: ["sleep", "30"],
      edit: (c) => {
        c.linux!.cgroupsPath = `/${name}`;
      },
    });
    const id = sb.id();
    sb.runDetached(id, b);
    sb.track(name);
    const pid = sb.state(id).pid;
    // On cgroup v2 the one hierarchy's line ("0::"); on v1 and hybrid the pids controller's.
    const ctrl = hostCgroupLayout().layout === "v2" ? /^0::/ : /:pids:/;
    const line = readFileSync(`/proc/${pid}/cgroup`, "utf8")
      .split("\n")
      .find((l) => ctrl.test(l));
    expect(line).toMatch(new RegExp(`/${name}$`));
    sb.ok(["delete", "--force", id]);
  });
});
