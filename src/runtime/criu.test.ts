import { describe, expect, it } from "vitest";
import { HYBRID_LAYOUT } from "../testing/layouts.js";
import {
  bindMounts,
  cgroupBinds,
  cgroupRoots,
  checkEmptyNs,
  dumpArgs,
  isPtySlave,
  parseDescriptors,
  parseTerminalFile,
  restoreArgs,
  ttyKey,
  type CriuFlags,
} from "./criu.js";
import type { Spec } from "../spec/types.js";

const NONE: CriuFlags = { tcpEstablished: false, extUnixSk: false, shellJob: false, fileLocks: false, autoDedup: false, emptyNs: [] };

function pairs(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ""] : []));
}

describe("criu command lines", () => {
  const dump = {
    ...NONE,
    pid: 42,
    rootfs: "/b/rootfs",
    images: "/img",
    preDump: false,
    leaveRunning: false,
    tcpSkipInFlight: false,
    linkRemap: false,
    binds: [{ destination: "/data" }],
  };

  it("dump: the init pid, the rootfs as root, soft cgroups, logs in the image directory, bind mounts external by destination", () => {
    const a = dumpArgs(dump);
    expect(a.slice(0, 5)).toEqual(["dump", "-t", "42", "--root", "/b/rootfs"]);
    expect(pairs(a, "-D")).toEqual(["/img"]);
    expect(pairs(a, "--log-file")).toEqual(["dump.log"]);
    expect(a).toContain("--manage-cgroups=soft");
    expect(pairs(a, "--external")).toEqual(["mnt[/data]:/data"]);
    expect(a).not.toContain("--leave-running");
    expect(a).not.toContain("-W");
    // As runc: the network namespace is always an empty one for criu.
    expect(pairs(a, "--empty-ns")).toEqual(["net"]);
  });

  it("dump: each runc flag becomes its criu option", () => {
    const a = dumpArgs({
      ...dump,
      tcpEstablished: true,
      extUnixSk: true,
      shellJob: true,
      fileLocks: true,
      autoDedup: true,
      leaveRunning: true,
      manageCgroupsMode: "ignore",
      emptyNs: ["network"],
      work: "/w",
      parentPath: "../pre",
      tcpSkipInFlight: true,
      linkRemap: true,
      pageServer: "10.0.0.1:27",
      freezeCgroup: "/sys/fs/cgroup/berth/x",
      externalNetNs: 4026531992,
    });
    for (const o of [
      "--tcp-established",
      "--ext-unix-sk",
      "--shell-job",
      "--file-locks",
      "--auto-dedup",
      "--leave-running",
      "--manage-cgroups=ignore",
      "--track-mem",
      "--skip-in-flight",
      "--link-remap",
      "--page-server",
    ])
      expect(a).toContain(o);
    expect(pairs(a, "--empty-ns")).toEqual(["net"]);
    expect(pairs(a, "-W")).toEqual(["/w"]);
    expect(pairs(a, "--prev-images-dir")).toEqual(["../pre"]);
    expect(pairs(a, "--address")).toEqual(["10.0.0.1"]);
    expect(pairs(a, "--port")).toEqual(["27"]);
    expect(pairs(a, "--freeze-cgroup")).toEqual(["/sys/fs/cgroup/berth/x"]);
    expect(pairs(a, "--external")).toContain("net[4026531992]:extRootNetNS");
  });

  it("a terminal: the pty external at dump (with the /dev/console bind of it), the new slave inherited in its place at restore", () => {
    const key = ttyKey(0x8800, 0x2d);
    expect(key).toBe("tty[8800:2d]");
    const d = dumpArgs({ ...dump, binds: [{ destination: "/dev/console" }], ttyKey: key });
    expect(pairs(d, "--external")).toEqual(["mnt[/dev/console]:/dev/console", "tty[8800:2d]"]);
    expect(pairs(dumpArgs({ ...dump, preDump: true, ttyKey: key }), "--external")).toEqual([]);
    const r = restoreArgs({
      ...NONE,
      root: "/r",
      images: "/img",
      pidFile: "/p",
      cgroupRoots: [],
      binds: [{ destination: "/dev/console", source: "/dev/pts/7" }],
      descriptors: ["/dev/pts/0", "/dev/pts/0", "/dev/pts/0"],
      ttyKey: key,
    });
    expect(pairs(r, "--external")).toEqual(["mnt[/dev/console]:/dev/pts/7"]);
    expect(pairs(r, "--inherit-fd")).toEqual(["fd[4]:tty[8800:2d]"]);
  });

  it("pre-dump: memory only, tracked, no external mounts", () => {
    const a = dumpArgs({ ...dump, preDump: true, leaveRunning: true });
    expect(a[0]).toBe("pre-dump");
    expect(a).toContain("--track-mem");
    expect(a).not.toContain("--leave-running");
    expect(pairs(a, "--external")).toEqual([]);
  });

  it("a page server without a port is an error naming the flag", () => {
    expect(() => dumpArgs({ ...dump, pageServer: "10.0.0.1" })).toThrow(/--page-server/);
  });

  it("restore: detached sibling, pid file, bind mounts to their sources, stdio pipes inherited, cgroup roots", () => {
    const a = restoreArgs({
      ...NONE,
      root: "/run/berth/x/criu-root",
      images: "/img",
      pidFile: "/run/berth/x/criu.pid",
      cgroupRoots: ["/berth/x"],
      binds: [{ destination: "/data", source: "/srv/data" }],
      descriptors: ["/dev/null", "pipe:[123]", "pipe:[456]"],
      netNsFd: 3,
      lsmProfile: "apparmor:p",
    });
    expect(a[0]).toBe("restore");
    for (const o of ["--restore-detached", "--restore-sibling", "--evasive-devices", "--manage-cgroups=soft"]) expect(a).toContain(o);
    expect(pairs(a, "--root")).toEqual(["/run/berth/x/criu-root"]);
    expect(pairs(a, "--pidfile")).toEqual(["/run/berth/x/criu.pid"]);
    expect(pairs(a, "--log-file")).toEqual(["restore.log"]);
    expect(pairs(a, "--cgroup-root")).toEqual(["/berth/x"]);
    expect(pairs(a, "--external")).toEqual(["mnt[/data]:/srv/data"]);
    expect(pairs(a, "--inherit-fd")).toEqual(["fd[1]:pipe:[123]", "fd[2]:pipe:[456]", "fd[3]:extRootNetNS"]);
    expect(pairs(a, "--lsm-profile")).toEqual(["apparmor:p"]);
    expect(a).not.toContain("--action-script");
  });

  it("restore: the action script, when hooks are to run at setup-namespaces", () => {
    const a = restoreArgs({
      ...NONE,
      root: "/r",
      images: "/img",
      pidFile: "/p",
      cgroupRoots: [],
      binds: [],
      descriptors: [],
      actionScript: "/run/berth/x/criu.action",
    });
    expect(pairs(a, "--action-script")).toEqual(["/run/berth/x/criu.action"]);
  });
});

describe("criu inputs", () => {
  it("--empty-ns: network only", () => {
    expect(() => checkEmptyNs(["network"], "checkpoint")).not.toThrow();
    expect(() => checkEmptyNs(["pid"], "checkpoint")).toThrow(/namespace "pid" is not supported/);
  });

  it("bind mounts: type bind or a bind/rbind option, sources resolved against the bundle", () => {
    const spec = {
      ociVersion: "1.0.2",
      mounts: [
        { destination: "/proc", type: "proc", source: "proc" },
        { destination: "/data/", type: "bind", source: "data" },
        { destination: "/etc/hosts", type: "none", source: "/etc/hosts", options: ["rbind", "ro"] },
      ],
    } as Spec;
    expect(bindMounts(spec, "/b")).toEqual([
      { destination: "/data", source: "/b/data" },
      { destination: "/etc/hosts", source: "/etc/hosts" },
    ]);
  });

  it("cgroup binds: on v1/hybrid each hierarchy's bind is external (the container's directory as source); none with a cgroup namespace or on v2", () => {
    const spec = { ociVersion: "1.0.2", mounts: [{ destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup" }] } as Spec;
    const state = {
      layout: "hybrid" as const,
      created: [],
      paths: { cpu: "/sys/fs/cgroup/cpu,cpuacct/c1", cpuacct: "/sys/fs/cgroup/cpu,cpuacct/c1", memory: "/sys/fs/cgroup/memory/c1" },
    };
    expect(cgroupBinds(spec, state, HYBRID_LAYOUT)).toEqual([
      { destination: "/sys/fs/cgroup/cpu,cpuacct", source: "/sys/fs/cgroup/cpu,cpuacct/c1" },
      { destination: "/sys/fs/cgroup/memory", source: "/sys/fs/cgroup/memory/c1" },
    ]);
    const withNs = { ...spec, linux: { namespaces: [{ type: "cgroup" }, { type: "mount" }] } } as Spec;
    expect(cgroupBinds(withNs, state, HYBRID_LAYOUT)).toEqual([]);
    const v2 = { layout: "v2" as const, hierarchies: { unified: { mountPoint: "/sys/fs/cgroup", root: "/" } } };
    expect(cgroupBinds(spec, { layout: "v2", created: [], paths: { unified: "/sys/fs/cgroup/c1" } }, v2)).toEqual([]);
  });

  it("cgroup roots: the cgroup2 directory on v2 (and hybrid, as the default root), each controller's on v1", () => {
    expect(cgroupRoots({ layout: "v2", paths: { unified: "/sys/fs/cgroup/berth/x" }, created: [] })).toEqual(["/berth/x"]);
    expect(
      cgroupRoots({
        layout: "v1",
        paths: { cpu: "/sys/fs/cgroup/cpu,cpuacct/berth/x", memory: "/sys/fs/cgroup/memory/berth/x" },
        created: [],
      }),
    ).toEqual(["cpu:/berth/x", "memory:/berth/x"]);
    expect(
      cgroupRoots({
        layout: "hybrid",
        paths: { memory: "/sys/fs/cgroup/memory/berth/x", unified: "/sys/fs/cgroup/unified/berth/x" },
        created: [],
      }),
    ).toEqual(["memory:/berth/x", "/berth/x"]);
  });

  it("pty slaves are majors 136-143; berth-terminal.json holds criu's key", () => {
    expect(isPtySlave(0x8800)).toBe(true); // 136:0
    expect(isPtySlave(0x8f05)).toBe(true); // 143:5
    expect(isPtySlave(0x0503)).toBe(false); // 5:3, /dev/console
    expect(isPtySlave(0x0103)).toBe(false); // 1:3, /dev/null
    expect(parseTerminalFile('{"tty":"tty[8800:2d]"}', "/img/berth-terminal.json")).toBe("tty[8800:2d]");
    expect(() => parseTerminalFile("{", "/img/berth-terminal.json")).toThrow(/not JSON/);
    expect(() => parseTerminalFile('{"tty":"mnt[/x]"}', "/img/berth-terminal.json")).toThrow(/tty\[RDEV:DEV\]/);
  });

  it("descriptors.json: an array of strings, else an error naming the file", () => {
    expect(parseDescriptors('["/dev/null","pipe:[1]","pipe:[2]"]', "/img/descriptors.json")).toHaveLength(3);
    expect(() => parseDescriptors("{", "/img/descriptors.json")).toThrow(/descriptors\.json/);
    expect(() => parseDescriptors("[1]", "/img/descriptors.json")).toThrow(/array of strings/);
  });
});
