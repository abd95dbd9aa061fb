import { describe, expect, it } from "vitest";
import { BerthError } from "../../errors.js";
import {
  annotationProperties,
  parseGVariantText,
  cpuQuotaPerSec,
  cpusetBitmask,
  deviceProperties,
  expandSlice,
  parseProcDevices,
  parseSystemdVersion,
  resourceProperties,
  sharesToWeight,
  swapOnlyV2,
  systemdPlace,
  unitNameFor,
  unitProperties,
  UINT64_MAX,
} from "./properties.js";

const DEVICES = parseProcDevices(`Character devices:
  1 mem
  4 tty
136 pts
254 gpiochip

Block devices:
  8 sd
259 blkext
`);

describe("slices and unit names", () => {
  it("expands slices to nested directories", () => {
    expect(expandSlice("system.slice")).toBe("/system.slice");
    expect(expandSlice("a-b-c.slice")).toBe("/a.slice/a-b.slice/a-b-c.slice");
    expect(expandSlice("-.slice")).toBe("/");
  });
  it("rejects names systemd would not accept", () => {
    for (const bad of ["system", ".slice", "a/b.slice", "a--b.slice", "-a.slice", "a-.slice", "a b.slice"]) {
      expect(() => expandSlice(bad), bad).toThrow(BerthError);
    }
  });
  it("names scopes prefix-name.scope, a bare name without prefix, slices as given", () => {
    expect(unitNameFor("berth", "c1")).toBe("berth-c1.scope");
    expect(unitNameFor("", "c1")).toBe("c1.scope");
    expect(unitNameFor("docker", "x.slice")).toBe("x.slice");
  });
  it("places slice:prefix:name", () => {
    expect(systemdPlace("system.slice:docker:abc", "id")).toEqual({
      slice: "system.slice",
      unit: "docker-abc.scope",
      cgroup: "/system.slice/docker-abc.scope",
    });
    expect(systemdPlace("machine-app.slice:libpod:x", "id").cgroup).toBe("/machine.slice/machine-app.slice/libpod-x.scope");
    expect(systemdPlace("-.slice:berth:x", "id").cgroup).toBe("/berth-x.scope");
  });
  it("defaults: system.slice (user.slice rootless), prefix berth, the id as name", () => {
    expect(systemdPlace(undefined, "c1")).toEqual({
      slice: "system.slice",
      unit: "berth-c1.scope",
      cgroup: "/system.slice/berth-c1.scope",
    });
    expect(systemdPlace("", "c1").unit).toBe("berth-c1.scope");
    expect(systemdPlace("::c2", "c1")).toMatchObject({ slice: "system.slice", unit: "c2.scope" });
    expect(systemdPlace(":p:c2", "c1", true)).toMatchObject({ slice: "user.slice", unit: "p-c2.scope" });
  });
  it("rejects malformed paths naming linux.cgroupsPath", () => {
    for (const bad of ["/a/b", "a:b", "a:b:c:d", "system.slice:p:", "nodots:p:n", "system.slice:p:a/b"]) {
      let err: unknown;
      try {
        systemdPlace(bad, "id");
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(BerthError);
      expect((err as BerthError).path).toBe("linux.cgroupsPath");
    }
  });
});

describe("conversions", () => {
  it("reads systemd's version", () => {
    expect(parseSystemdVersion("252.22-1~deb12u1")).toBe(252);
    expect(parseSystemdVersion('"249"')).toBe(249);
    expect(parseSystemdVersion("v255")).toBe(255);
    expect(parseSystemdVersion("")).toBe(0);
  });
  it("turns cpuset lists into little-endian byte masks", () => {
    expect(cpusetBitmask("0", "f")).toEqual([1]);
    expect(cpusetBitmask("0-3", "f")).toEqual([0x0f]);
    expect(cpusetBitmask("1,8", "f")).toEqual([0x02, 0x01]);
    expect(cpusetBitmask("9-10", "f")).toEqual([0x00, 0x06]);
    expect(cpusetBitmask("", "f")).toEqual([]);
    expect(() => cpusetBitmask("3-1", "f")).toThrow(BerthError);
    expect(() => cpusetBitmask("a", "f")).toThrow(BerthError);
  });
  it("converts shares and blkio weights to their v2 scales", () => {
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(262144)).toBe(10000);
  });
  it("derives the v2 swap value from memory+swap", () => {
    expect(swapOnlyV2(undefined, 100)).toBeUndefined();
    expect(swapOnlyV2(300, 100)).toBe(200n);
    expect(swapOnlyV2(-1, 100)).toBe(UINT64_MAX);
    expect(swapOnlyV2(undefined, -1)).toBe(UINT64_MAX);
    expect(() => swapOnlyV2(50, 100)).toThrow(BerthError);
    expect(() => swapOnlyV2(50, undefined)).toThrow(BerthError);
  });
  it("computes CPUQuotaPerSecUSec rounded up to whole percent", () => {
    expect(cpuQuotaPerSec(undefined, undefined)).toBeUndefined();
    expect(cpuQuotaPerSec(50000, 100000)).toBe(500000n);
    expect(cpuQuotaPerSec(50000, undefined)).toBe(500000n);
    expect(cpuQuotaPerSec(12345, 100000)).toBe(130000n);
    expect(cpuQuotaPerSec(-1, 100000)).toBe(UINT64_MAX);
  });
});

describe("device rules", () => {
  it("a deny-all list becomes strict with DeviceAllow entries", () => {
    expect(
      deviceProperties(
        [
          { allow: false, access: "rwm" },
          { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
          { allow: true, type: "c", major: 136, access: "rwm" },
          { allow: true, type: "c", access: "m" },
          { allow: true, type: "b", major: 8, minor: 0, access: "r" },
        ],
        DEVICES,
      ),
    ).toEqual([
      ["DevicePolicy", { type: "s", value: "strict" }],
      [
        "DeviceAllow",
        {
          type: "a(ss)",
          value: [
            ["/dev/char/1:3", "rwm"],
            ["char-pts", "rwm"],
            ["char-*", "m"],
            ["/dev/block/8:0", "r"],
          ],
        },
      ],
    ]);
  });
  it("everything starts denied: a list of allow rules alone is strict", () => {
    expect(
      deviceProperties(
        [
          { allow: true, type: "c", access: "m" },
          { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
        ],
        DEVICES,
      ),
    ).toEqual([
      ["DevicePolicy", { type: "s", value: "strict" }],
      [
        "DeviceAllow",
        {
          type: "a(ss)",
          value: [
            ["char-*", "m"],
            ["/dev/char/1:3", "rwm"],
          ],
        },
      ],
    ]);
  });
  it("a later deny removes the same allow; unknown majors are skipped with a warning", () => {
    const warnings: string[] = [];
    expect(
      deviceProperties(
        [
          { allow: false },
          { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
          { allow: true, type: "c", major: 99, access: "rwm" },
          { allow: false, type: "c", major: 1, minor: 3, access: "rwm" },
        ],
        DEVICES,
        (w) => warnings.push(w),
      ),
    ).toEqual([
      ["DevicePolicy", { type: "s", value: "strict" }],
      ["DeviceAllow", { type: "a(ss)", value: [] }],
    ]);
    expect(warnings).toHaveLength(1);
  });
  it("an allow-all default is left to the cgroupfs rules", () => {
    expect(
      deviceProperties(
        [
          { allow: true, access: "rwm" },
          { allow: false, type: "c", major: 1, minor: 3 },
        ],
        DEVICES,
      ),
    ).toEqual([["DevicePolicy", { type: "s", value: "auto" }]]);
    expect(deviceProperties(undefined, DEVICES)).toEqual([]);
  });
});

describe("unit properties", () => {
  const place = systemdPlace("system.slice:berth:c1", "c1");
  it("a scope: slice, delegation, the pid, accounting, no default dependencies", () => {
    expect(unitProperties({ place, description: "berth container c1", pid: 42, cgroupVersion: 2, systemdVersion: 252 })).toEqual([
      ["Description", { type: "s", value: "berth container c1" }],
      ["Slice", { type: "s", value: "system.slice" }],
      ["Delegate", { type: "b", value: true }],
      ["PIDs", { type: "au", value: [42] }],
      ["MemoryAccounting", { type: "b", value: true }],
      ["CPUAccounting", { type: "b", value: true }],
      ["IOAccounting", { type: "b", value: true }],
      ["TasksAccounting", { type: "b", value: true }],
      ["DefaultDependencies", { type: "b", value: false }],
    ]);
  });
  it("a slice: Wants= its parent, no pid", () => {
    const props = unitProperties({
      place: systemdPlace("system.slice:x:pod.slice", "c1"),
      description: "d",
      pid: 42,
      cgroupVersion: 1,
      systemdVersion: 252,
    });
    expect(props.map((p) => p[0])).toEqual([
      "Description",
      "Wants",
      "MemoryAccounting",
      "CPUAccounting",
      "BlockIOAccounting",
      "TasksAccounting",
      "DefaultDependencies",
    ]);
  });
  const resources = {
    memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20 },
    cpu: { shares: 1024, quota: 50000, period: 100000, cpus: "0-1", mems: "0" },
    blockIO: { weight: 500 },
    pids: { limit: 100 },
  };
  it("v2 names and values", () => {
    expect(resourceProperties({ cgroupVersion: 2, systemdVersion: 252, resources })).toEqual([
      ["MemoryMax", { type: "t", value: 67108864n }],
      ["MemoryLow", { type: "t", value: 33554432n }],
      ["MemorySwapMax", { type: "t", value: 67108864n }],
      ["CPUWeight", { type: "t", value: 39n }],
      ["CPUQuotaPeriodUSec", { type: "t", value: 100000n }],
      ["CPUQuotaPerSecUSec", { type: "t", value: 500000n }],
      ["AllowedCPUs", { type: "ay", value: [3] }],
      ["AllowedMemoryNodes", { type: "ay", value: [1] }],
      ["IOWeight", { type: "t", value: 4950n }],
      ["TasksMax", { type: "t", value: 100n }],
    ]);
  });
  it("v1 names; old systemd gets no period or cpuset properties; -1 is infinity", () => {
    expect(
      resourceProperties({
        cgroupVersion: 1,
        systemdVersion: 219,
        resources: { ...resources, pids: { limit: -1 }, memory: { limit: -1 } },
      }),
    ).toEqual([
      ["MemoryLimit", { type: "t", value: UINT64_MAX }],
      ["CPUShares", { type: "t", value: 1024n }],
      ["CPUQuotaPerSecUSec", { type: "t", value: 500000n }],
      ["BlockIOWeight", { type: "t", value: 500n }],
      ["TasksMax", { type: "t", value: UINT64_MAX }],
    ]);
  });
});

describe("annotations as unit properties", () => {
  it("parses the GVariant text forms", () => {
    expect(parseGVariantText("uint64 123")).toEqual({ type: "t", value: 123n });
    expect(parseGVariantText("@t 5")).toEqual({ type: "t", value: 5n });
    expect(parseGVariantText("int32 -4")).toEqual({ type: "i", value: -4 });
    expect(parseGVariantText("uint32 7")).toEqual({ type: "u", value: 7 });
    expect(parseGVariantText("42")).toEqual({ type: "i", value: 42 });
    expect(parseGVariantText("1.5")).toEqual({ type: "d", value: 1.5 });
    expect(parseGVariantText("true")).toEqual({ type: "b", value: true });
    expect(parseGVariantText("'inactive-or-failed'")).toEqual({ type: "s", value: "inactive-or-failed" });
    expect(parseGVariantText('"it\\\'s"')).toEqual({ type: "s", value: "it's" });
    expect(parseGVariantText("['a', \"b\"]")).toEqual({ type: "as", value: ["a", "b"] });
    expect(parseGVariantText("@as []")).toEqual({ type: "as", value: [] });
    for (const bad of ["uint32 -1", "byte 256", "unquoted", "[1, 2]", "'open", ""]) expect(parseGVariantText(bad), bad).toBeUndefined();
  });
  it("takes org.systemd.property.* annotations, converting …Sec to …USec", () => {
    expect(
      annotationProperties({
        "org.systemd.property.TimeoutStopUSec": "uint64 123456789",
        "org.systemd.property.CollectMode": "'inactive-or-failed'",
        "org.systemd.property.RuntimeMaxSec": "uint64 2",
        "org.systemd.property.TimeoutStopSec": "1.5",
        "other.annotation": "x",
      }),
    ).toEqual([
      ["TimeoutStopUSec", { type: "t", value: 123456789n }],
      ["CollectMode", { type: "s", value: "inactive-or-failed" }],
      ["RuntimeMaxUSec", { type: "t", value: 2000000n }],
      ["TimeoutStopUSec", { type: "t", value: 1500000n }],
    ]);
    expect(annotationProperties(undefined)).toEqual([]);
  });
  it("rejects bad names and values naming the annotation", () => {
    const cases: Record<string, string>[] = [
      { "org.systemd.property.lower": "1" },
      { "org.systemd.property.X": "nope" },
      { "org.systemd.property.TimeoutSec": "'x'" },
    ];
    for (const a of cases) {
      let err: unknown;
      try {
        annotationProperties(a);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BerthError);
      expect((err as BerthError).path).toBe(`annotations["${Object.keys(a)[0]}"]`);
    }
  });
});
