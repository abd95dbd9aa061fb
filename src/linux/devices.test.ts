import { describe, expect, it } from "vitest";
import { DEFAULT_DEVICES, DEVICE_TYPES, S_IFBLK, S_IFCHR, S_IFIFO, devSymlinks, deviceType } from "./devices.js";

describe("devices", () => {
  it("has runc's default device nodes", () => {
    expect(DEFAULT_DEVICES.map((d) => [d.path, d.major, d.minor, d.mode, d.type])).toEqual([
      ["/dev/null", 1, 3, 0o666, S_IFCHR],
      ["/dev/random", 1, 8, 0o666, S_IFCHR],
      ["/dev/full", 1, 7, 0o666, S_IFCHR],
      ["/dev/tty", 5, 0, 0o666, S_IFCHR],
      ["/dev/zero", 1, 5, 0o666, S_IFCHR],
      ["/dev/urandom", 1, 9, 0o666, S_IFCHR],
    ]);
  });

  it("maps device type letters", () => {
    expect([S_IFCHR, S_IFBLK, S_IFIFO]).toEqual([0o020000, 0o060000, 0o010000]);
    expect(DEVICE_TYPES).toEqual({ c: S_IFCHR, u: S_IFCHR, b: S_IFBLK, p: S_IFIFO });
    expect(() => deviceType("x", "linux.devices[0].type")).toThrowError(/linux\.devices\[0\]\.type/);
  });

  it("adds /dev/core only when the host has /proc/kcore", () => {
    const base = [
      { target: "/proc/self/fd", path: "/dev/fd" },
      { target: "/proc/self/fd/0", path: "/dev/stdin" },
      { target: "/proc/self/fd/1", path: "/dev/stdout" },
      { target: "/proc/self/fd/2", path: "/dev/stderr" },
    ];
    expect(devSymlinks(false)).toEqual(base);
    expect(devSymlinks(true)).toEqual([...base, { target: "/proc/kcore", path: "/dev/core" }]);
  });
});
