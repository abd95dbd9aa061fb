import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { BerthError } from "../errors.js";
import {
  checkMapList,
  checkOciVersion,
  checkSemantics,
  parseSemver,
  sysctlDotted,
  sysctlProcPath,
  validateContainerId,
} from "./semantic.js";
import type { Spec } from "./types.js";

const scratch = mkdtempSync(join(tmpdir(), "berth-semantic-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const bundleDir = join(scratch, "bundle");
mkdirSync(join(bundleDir, "rootfs"), { recursive: true });

function base(): Spec & Record<string, any> {
  return {
    ociVersion: "1.2.0",
    root: { path: "rootfs" },
    process: { cwd: "/", args: ["sh"], user: { uid: 0, gid: 0 }, env: ["PATH=/bin"] },
    hostname: "box",
    linux: {
      namespaces: [{ type: "pid" }, { type: "mount" }, { type: "uts" }, { type: "ipc" }, { type: "network" }],
      maskedPaths: ["/proc/kcore"],
      readonlyPaths: ["/proc/sys"],
    },
  } as Spec & Record<string, any>;
}

/** Run the checks (host checks off unless asked) on a modified base config. */
function check(mutate: (c: any) => void, checkHost = false): string[] {
  const c = base();
  mutate(c);
  return checkSemantics(c, bundleDir, { checkHost });
}

/** The BerthError the checks raise; asserts its JSON path and that the message contains `text`. */
function rejects(mutate: (c: any) => void, path: string, text: string | RegExp, checkHost = false): BerthError {
  let err: unknown;
  try {
    check(mutate, checkHost);
  } catch (e) {
    err = e;
  }
  expect(err, "expected an error").toBeInstanceOf(BerthError);
  const e = err as BerthError;
  expect(e.op).toBe("validate config.json");
  expect(e.path).toBe(path);
  if (typeof text === "string") expect(e.message).toContain(text);
  else expect(e.message).toMatch(text);
  return e;
}

test("the base config passes", () => {
  expect(check(() => {}, true)).toEqual([]);
});

describe("ociVersion", () => {
  test.each(["1.0.0", "1.0.2", "1.1.0", "1.2.1", "1.3.0", "1.3.7", "1.0.0-rc5", "1.3.0+dev", "1.2.0-rc.1+build.5"])(
    "%s is accepted",
    (v) => {
      expect(() => checkOciVersion(v)).not.toThrow();
    },
  );

  test.each(["0.2.0", "1.4.0", "2.0.0", "0.9.9"])("%s is out of range", (v) => {
    rejects((c) => (c.ociVersion = v), "ociVersion", `runtime-spec version "${v}" is not supported; berth supports 1.0.0 to 1.3.x`);
  });

  test.each(["1.0", "v1.0.0", "", "1.0.0.0", "01.0.0", "1.0.0-"])("%j is not SemVer", (v) => {
    rejects((c) => (c.ociVersion = v), "ociVersion", "is not a SemVer version");
  });

  test("parseSemver", () => {
    expect(parseSemver("1.2.3-rc1+x")).toEqual([1, 2, 3]);
    expect(parseSemver("1.2")).toBeUndefined();
  });
});

describe("root", () => {
  test("root is required on Linux", () => {
    rejects((c) => delete c.root, "root", "is required on Linux");
  });

  test("root.path must exist", () => {
    const e = rejects((c) => (c.root.path = "nope"), "root.path", `"nope" (${join(bundleDir, "nope")}): no such file or directory`, true);
    expect(e.errno).toBe("ENOENT");
    expect(e.hint).toContain("create the root filesystem");
  });

  test("root.path must be a directory", () => {
    writeFileSync(join(bundleDir, "afile"), "");
    const e = rejects((c) => (c.root.path = "afile"), "root.path", "is not a directory", true);
    expect(e.errno).toBe("ENOTDIR");
  });

  test("root.path may be absolute or a symlink to a directory", () => {
    symlinkSync("rootfs", join(bundleDir, "link"));
    expect(check((c) => (c.root.path = join(bundleDir, "rootfs")), true)).toEqual([]);
    expect(check((c) => (c.root.path = "link"), true)).toEqual([]);
  });

  test("root.path must not be empty", () => {
    rejects((c) => (c.root.path = ""), "root.path", "must not be empty");
  });
});

describe("mounts", () => {
  test("a relative destination is a warning", () => {
    expect(check((c) => (c.mounts = [{ destination: "/proc" }, { destination: "run/x" }]))).toEqual([
      'mounts[1].destination: "run/x" is relative; treating it as "/run/x" (deprecated)',
    ]);
  });

  test("an empty destination is an error", () => {
    rejects((c) => (c.mounts = [{ destination: "" }]), "mounts[0].destination", "must not be empty");
  });

  test("uidMappings and gidMappings come together", () => {
    const m = [{ containerID: 0, hostID: 1000, size: 1 }];
    rejects((c) => (c.mounts = [{ destination: "/d", uidMappings: m }]), "mounts[0].uidMappings", "is set without gidMappings");
    rejects((c) => (c.mounts = [{ destination: "/d", gidMappings: m }]), "mounts[0].gidMappings", "is set without uidMappings");
    expect(check((c) => (c.mounts = [{ destination: "/d", uidMappings: m, gidMappings: m }]))).toEqual([]);
  });

  test("mount id maps are checked like user namespace maps", () => {
    rejects(
      (c) => (c.mounts = [{ destination: "/d", uidMappings: [{ containerID: 0, hostID: 1, size: 0 }], gidMappings: [] }]),
      "mounts[0].uidMappings[0].size",
      "must be greater than zero",
    );
  });
});

describe("devices", () => {
  test("fileMode may carry file type bits (as podman sends it), but no more than a mode holds", () => {
    expect(check((c) => (c.linux.devices = [{ type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o20600 }]))).toEqual([]);
    rejects(
      (c) => (c.linux.devices = [{ type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o1000000 }]),
      "linux.devices[0].fileMode",
      "is not a file mode",
    );
  });
});

describe("process", () => {
  test("process is required by default, optional on request", () => {
    rejects((c) => delete c.process, "process", "is required to create a container");
    const c = base();
    delete c.process;
    expect(checkSemantics(c, bundleDir, { checkHost: false, requireProcess: false })).toEqual([]);
  });

  test("args must have an entry", () => {
    rejects((c) => delete c.process.args, "process.args", "at least one entry");
    rejects((c) => (c.process.args = []), "process.args", "at least one entry");
    rejects((c) => (c.process.args = [""]), "process.args[0]", "must not be empty");
  });

  test("cwd must be absolute", () => {
    rejects((c) => (c.process.cwd = "home"), "process.cwd", '"home" is not an absolute path');
  });

  test("user, uid and gid are required", () => {
    rejects((c) => delete c.process.user, "process.user", "is required");
    rejects((c) => delete c.process.user.uid, "process.user.uid", "is required");
    rejects((c) => delete c.process.user.gid, "process.user.gid", "is required");
  });

  test("env entries are NAME=value", () => {
    rejects((c) => c.process.env.push("NOEQUALS"), "process.env[1]", 'has no "="');
    rejects((c) => c.process.env.push("=x"), "process.env[1]", "has an empty name");
    rejects((c) => c.process.env.push("A=b\0c"), "process.env[1]", "NUL");
    expect(check((c) => c.process.env.push("EMPTY="))).toEqual([]);
  });

  test("oomScoreAdj is within -1000..1000", () => {
    rejects((c) => (c.process.oomScoreAdj = 1001), "process.oomScoreAdj", "between -1000 and 1000");
    expect(check((c) => (c.process.oomScoreAdj = -1000))).toEqual([]);
  });

  test("unknown capability names are a warning naming the JSON path (config.md)", () => {
    expect(check((c) => (c.process.capabilities = { bounding: ["CAP_KILL", "CAP_BOGUS"] }))).toEqual([
      expect.stringMatching(/^process\.capabilities\.bounding\[1\]: unknown capability "CAP_BOGUS"/),
    ]);
    expect(check((c) => (c.process.capabilities = { ambient: ["kill"] }))[0]).toMatch(/^process\.capabilities\.ambient\[0\]/);
    expect(check((c) => (c.process.capabilities = { effective: ["CAP_CHECKPOINT_RESTORE", "CAP_CHOWN"] }))).toEqual([]);
  });

  test("rlimits: known names, no duplicates, soft <= hard", () => {
    rejects(
      (c) => (c.process.rlimits = [{ type: "RLIMIT_BOGUS", soft: 1, hard: 1 }]),
      "process.rlimits[0].type",
      'unknown resource limit "RLIMIT_BOGUS"',
    );
    rejects(
      (c) =>
        (c.process.rlimits = [
          { type: "RLIMIT_NOFILE", soft: 1, hard: 1 },
          { type: "RLIMIT_NOFILE", soft: 2, hard: 2 },
        ]),
      "process.rlimits[1].type",
      "RLIMIT_NOFILE is set twice (also process.rlimits[0])",
    );
    rejects(
      (c) => (c.process.rlimits = [{ type: "RLIMIT_CORE", soft: 10, hard: 5 }]),
      "process.rlimits[0].soft",
      "soft limit 10 is above the hard limit 5",
    );
    expect(
      check(
        (c) =>
          (c.process.rlimits = [
            { type: "RLIMIT_NOFILE", soft: 1024, hard: 1024 },
            { type: "RLIMIT_CORE", soft: 0, hard: 18446744073709551615 },
          ]),
      ),
    ).toEqual([]);
  });

  test("scheduler rules", () => {
    rejects((c) => (c.process.scheduler = { policy: "SCHED_OTHER", nice: 20 }), "process.scheduler.nice", "between -20 and 19");
    rejects(
      (c) => (c.process.scheduler = { policy: "SCHED_OTHER", priority: 5 }),
      "process.scheduler.priority",
      "only applies to SCHED_FIFO and SCHED_RR",
    );
    rejects(
      (c) => (c.process.scheduler = { policy: "SCHED_RR", runtime: 5 }),
      "process.scheduler.runtime",
      "only applies to SCHED_DEADLINE",
    );
    expect(check((c) => (c.process.scheduler = { policy: "SCHED_FIFO", priority: 5 }))).toEqual([]);
    expect(check((c) => (c.process.scheduler = { policy: "SCHED_DEADLINE", runtime: 1, deadline: 2, period: 3 }))).toEqual([]);
  });
});

describe("hooks and annotations", () => {
  test("hook paths must be absolute", () => {
    rejects(
      (c) => (c.hooks = { poststop: [{ path: "/bin/true" }, { path: "true" }] }),
      "hooks.poststop[1].path",
      '"true" is not an absolute path',
    );
    rejects((c) => (c.hooks = { startContainer: [{ path: "bin/x" }] }), "hooks.startContainer[0].path", "not an absolute path");
  });

  test("hook timeouts must be positive", () => {
    rejects((c) => (c.hooks = { prestart: [{ path: "/x", timeout: 0 }] }), "hooks.prestart[0].timeout", "must be greater than zero");
  });

  test("annotation keys must not be empty", () => {
    rejects((c) => (c.annotations = { "": "x" }), "annotations", "keys must not be empty");
  });
});

describe("namespaces", () => {
  test("duplicates are rejected", () => {
    rejects(
      (c) => c.linux.namespaces.push({ type: "pid" }),
      "linux.namespaces[5].type",
      '"pid" is listed twice (also linux.namespaces[0])',
    );
  });

  test("namespace paths must be absolute", () => {
    rejects((c) => (c.linux.namespaces[0].path = "proc/1/ns/pid"), "linux.namespaces[0].path", "is not an absolute path");
  });

  test("hostname and domainname need a UTS namespace", () => {
    rejects(
      (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== "uts")),
      "hostname",
      "without a private UTS namespace",
    );
    rejects(
      (c) => {
        delete c.hostname;
        c.domainname = "example.org";
        c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== "uts");
      },
      "domainname",
      "without a private UTS namespace",
    );
  });

  test("masked and read-only paths need a mount namespace", () => {
    rejects(
      (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== "mount")),
      "linux.maskedPaths",
      "needs a private mount namespace",
    );
  });

  test("time offsets need a new time namespace", () => {
    rejects((c) => (c.linux.timeOffsets = { monotonic: { secs: 1 } }), "linux.timeOffsets", "no time namespace is configured");
    rejects(
      (c) => {
        c.linux.timeOffsets = { monotonic: { secs: 1 } };
        c.linux.namespaces.push({ type: "time", path: "/proc/1/ns/time" });
      },
      "linux.timeOffsets",
      "joining an existing time namespace",
    );
    expect(
      check((c) => {
        c.linux.timeOffsets = { boottime: { secs: 1, nanosecs: 5 } };
        c.linux.namespaces.push({ type: "time" });
      }),
    ).toEqual([]);
  });
});

describe("user namespace mappings", () => {
  const map = (containerID: number, hostID: number, size: number) => ({ containerID, hostID, size });

  test("maps without a user namespace are an error (as runc)", () => {
    rejects((c) => (c.linux.uidMappings = [map(0, 1000, 1)]), "linux.uidMappings", "no user namespace is configured");
    rejects((c) => (c.linux.gidMappings = [map(0, 1000, 1)]), "linux.gidMappings", "no user namespace is configured");
  });

  test("a new user namespace needs both maps", () => {
    rejects((c) => c.linux.namespaces.push({ type: "user" }), "linux.uidMappings", "needs uid mappings");
    rejects(
      (c) => {
        c.linux.namespaces.push({ type: "user" });
        c.linux.uidMappings = [map(0, 1000, 1)];
      },
      "linux.gidMappings",
      "needs gid mappings",
    );
  });

  test("joining a user namespace needs no maps", () => {
    expect(check((c) => c.linux.namespaces.push({ type: "user", path: "/proc/1/ns/user" }))).toEqual([]);
  });

  test("good maps pass", () => {
    expect(
      check((c) => {
        c.linux.namespaces.push({ type: "user" });
        c.linux.uidMappings = [map(0, 100000, 1000), map(1000, 1000, 1), map(1001, 101001, 64535)];
        c.linux.gidMappings = [map(0, 100000, 65536)];
      }),
    ).toEqual([]);
  });

  test("sizes must be positive and ranges must fit in 32 bits", () => {
    expect(() => checkMapList([map(0, 0, 0)], "linux.uidMappings")).toThrow(/linux\.uidMappings\[0\]\.size: must be greater than zero/);
    expect(() => checkMapList([map(4294967295, 0, 2)], "linux.uidMappings")).toThrow(/containerID \+ size runs past 4294967295/);
    expect(() => checkMapList([map(0, 4294967295, 2)], "linux.uidMappings")).toThrow(/hostID \+ size runs past 4294967295/);
  });

  test("overlapping container or host ranges are rejected", () => {
    expect(() => checkMapList([map(0, 1000, 10), map(5, 2000, 10)], "linux.uidMappings")).toThrow(
      /linux\.uidMappings\[1\]\.containerID: container range 5-14 overlaps linux\.uidMappings\[0\] \(0-9\)/,
    );
    expect(() => checkMapList([map(0, 1000, 10), map(10, 1009, 1)], "linux.gidMappings")).toThrow(
      /gidMappings\[1\]\.hostID: host range 1009-1009 overlaps/,
    );
    expect(() => checkMapList([map(0, 1000, 10), map(10, 1010, 10)], "linux.uidMappings")).not.toThrow();
  });

  test("at most 340 map lines", () => {
    const many = Array.from({ length: 341 }, (_, i) => map(i, 1000 + i, 1));
    expect(() => checkMapList(many, "linux.uidMappings")).toThrow(/at most 340/);
  });
});

describe("devices and path lists", () => {
  test("device paths must be absolute", () => {
    rejects(
      (c) => (c.linux.devices = [{ type: "c", path: "dev/null", major: 1, minor: 3 }]),
      "linux.devices[0].path",
      "not an absolute path",
    );
  });

  test("major and minor are required except for fifos", () => {
    rejects(
      (c) => (c.linux.devices = [{ type: "c", path: "/dev/x", minor: 3 }]),
      "linux.devices[0].major",
      'is required for a device of type "c"',
    );
    rejects(
      (c) => (c.linux.devices = [{ type: "b", path: "/dev/x", major: 3 }]),
      "linux.devices[0].minor",
      'is required for a device of type "b"',
    );
    expect(check((c) => (c.linux.devices = [{ type: "p", path: "/dev/fifo" }]))).toEqual([]);
  });

  test("masked and read-only paths must be absolute", () => {
    rejects((c) => c.linux.maskedPaths.push("proc/x"), "linux.maskedPaths[1]", "not an absolute path");
    rejects((c) => c.linux.readonlyPaths.push("sys"), "linux.readonlyPaths[1]", "not an absolute path");
  });
});

describe("sysctl", () => {
  test("key forms", () => {
    expect(sysctlDotted("net.ipv4.ip_forward")).toBe("net.ipv4.ip_forward");
    expect(sysctlDotted("net/ipv4/conf/eth0.100/rp_filter")).toBe("net.ipv4.conf.eth0/100.rp_filter");
    expect(sysctlProcPath("net.ipv4.conf.eth0/100.rp_filter")).toBe("net/ipv4/conf/eth0.100/rp_filter");
    expect(sysctlProcPath("kernel/msgmax")).toBe("kernel/msgmax");
  });

  test("namespaced keys are allowed with their namespace", () => {
    expect(
      check(
        (c) =>
          (c.linux.sysctl = {
            "net.ipv4.ip_forward": "1",
            "net/core/somaxconn": "1024",
            "kernel.shmmax": "1",
            "fs.mqueue.msg_max": "10",
            "kernel.domainname": "example.org",
          }),
      ),
    ).toEqual([]);
  });

  test("malformed keys are rejected", () => {
    rejects((c) => (c.linux.sysctl = { "": "1" }), "linux.sysctl", "has an empty key");
    rejects((c) => (c.linux.sysctl = { "net..ipv4": "1" }), 'linux.sysctl["net..ipv4"]', "empty");
    rejects((c) => (c.linux.sysctl = { "net/../../etc": "1" }), 'linux.sysctl["net/../../etc"]', '".."');
    rejects((c) => (c.linux.sysctl = { "net.ipv4 x": "1" }), 'linux.sysctl["net.ipv4 x"]', "characters");
    rejects((c) => (c.linux.sysctl = { ".net": "1" }), 'linux.sysctl[".net"]', "empty");
  });

  test("IPC sysctls need an IPC namespace", () => {
    rejects(
      (c) => {
        c.linux.sysctl = { "kernel.msgmax": "1" };
        c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== "ipc");
      },
      'linux.sysctl["kernel.msgmax"]',
      "not allowed in the host's IPC namespace",
    );
  });

  test("net sysctls need a network namespace other than the host's", () => {
    rejects(
      (c) => {
        c.linux.sysctl = { "net.ipv4.ip_forward": "1" };
        c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== "network");
      },
      'linux.sysctl["net.ipv4.ip_forward"]',
      "host's network namespace",
    );
    rejects(
      (c) => {
        c.linux.sysctl = { "net.ipv4.ip_forward": "1" };
        c.linux.namespaces.find((n: any) => n.type === "network").path = "/proc/self/ns/net";
      },
      'linux.sysctl["net.ipv4.ip_forward"]',
      "host's network namespace",
      true,
    );
  });

  test("kernel.hostname conflicts with hostname; other sysctls are not namespaced", () => {
    rejects((c) => (c.linux.sysctl = { "kernel.hostname": "x" }), 'linux.sysctl["kernel.hostname"]', 'conflicts with the "hostname" field');
    rejects((c) => (c.linux.sysctl = { "vm.swappiness": "1" }), 'linux.sysctl["vm.swappiness"]', "is not namespaced");
  });
});

describe("validateContainerId", () => {
  test.each(["abc", "a-b_c+d.e", "0", "A.B", "x".repeat(200), "...", "-"])("%j is valid", (id) => {
    expect(() => validateContainerId(id)).not.toThrow();
  });

  test.each(["", ".", "..", "a/b", "a b", "é", "a:b", "a\nb"])("%j is invalid with runc's message", (id) => {
    expect(() => validateContainerId(id)).toThrow(/invalid container ID format/);
  });
});
