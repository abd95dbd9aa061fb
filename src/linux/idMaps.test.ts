import { describe, expect, it } from "vitest";
import { isSelfGidMap, writeIdMaps, type IdMapWriter } from "./idMaps.js";

function fakeIo(opts: { refuse?: (file: string, text: string) => string | undefined; tools?: boolean; toolStatus?: number } = {}) {
  const writes: [string, string][] = [];
  const runs: [string, string[]][] = [];
  const io: IdMapWriter = {
    write: (file, text) => {
      const code = opts.refuse?.(file, text);
      if (code !== undefined) throw Object.assign(new Error(code), { code });
      writes.push([file, text]);
    },
    run: (tool, args) => {
      runs.push([tool, args]);
      return { status: opts.toolStatus ?? 0, stderr: opts.toolStatus ? "newuidmap: uid range [1-11) -> [5-15) not allowed\n" : "" };
    },
    which: (name) => (opts.tools === false ? undefined : `/usr/bin/${name}`),
  };
  return { io, writes, runs };
}

const SELF = [{ containerID: 0, hostID: 1000, size: 1 }];
const MANY = [
  { containerID: 0, hostID: 1000, size: 1 },
  { containerID: 1, hostID: 100000, size: 65536 },
];
const multiLine = (_f: string, text: string) => (text.split("\n").length > 2 ? "EPERM" : undefined);

describe("user namespace maps", () => {
  it("root writes any map, and leaves setgroups alone", () => {
    const { io, writes, runs } = fakeIo();
    writeIdMaps(42, MANY, MANY, { rootlessEuid: false, egid: 0, io });
    expect(writes.map(([f]) => f)).toEqual(["/proc/42/uid_map", "/proc/42/gid_map"]);
    expect(writes[0]![1]).toBe("0 1000 1\n1 100000 65536\n");
    expect(runs).toEqual([]);
  });

  it("rootless with its own ids alone: setgroups deny first, then the maps, directly", () => {
    const { io, writes } = fakeIo();
    writeIdMaps(42, SELF, SELF, { rootlessEuid: true, egid: 1000, io });
    expect(writes).toEqual([
      ["/proc/42/setgroups", "deny"],
      ["/proc/42/uid_map", "0 1000 1\n"],
      ["/proc/42/gid_map", "0 1000 1\n"],
    ]);
  });

  it("rootless with several ids: the kernel says EPERM, newuidmap/newgidmap get the triplets", () => {
    const { io, writes, runs } = fakeIo({ refuse: multiLine });
    writeIdMaps(42, MANY, MANY, { rootlessEuid: true, egid: 1000, io });
    expect(writes).toEqual([]);
    expect(runs).toEqual([
      ["/usr/bin/newuidmap", ["42", "0", "1000", "1", "1", "100000", "65536"]],
      ["/usr/bin/newgidmap", ["42", "0", "1000", "1", "1", "100000", "65536"]],
    ]);
  });

  it("errors name the JSON path: no tool, a refusing tool, and root's own failures", () => {
    expect(() =>
      writeIdMaps(42, MANY, MANY, { rootlessEuid: true, egid: 1000, io: fakeIo({ refuse: multiLine, tools: false }).io }),
    ).toThrow(/linux\.uidMappings.*newuidmap.*not installed/);
    expect(() =>
      writeIdMaps(42, MANY, MANY, { rootlessEuid: true, egid: 1000, io: fakeIo({ refuse: multiLine, toolStatus: 1 }).io }),
    ).toThrow(/newuidmap 42 0 1000 1 1 100000 65536 failed: newuidmap: uid range/);
    expect(() => writeIdMaps(42, MANY, MANY, { rootlessEuid: false, egid: 0, io: fakeIo({ refuse: () => "EINVAL" }).io })).toThrow(
      /write id map/,
    );
  });

  it("the self gid map is exactly 0 → egid, size 1", () => {
    expect(isSelfGidMap(SELF, 1000)).toBe(true);
    expect(isSelfGidMap(SELF, 1001)).toBe(false);
    expect(isSelfGidMap(MANY, 1000)).toBe(false);
    expect(isSelfGidMap(undefined, 1000)).toBe(false);
  });
});
