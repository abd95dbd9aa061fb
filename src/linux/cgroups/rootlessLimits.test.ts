import { describe, expect, it } from "vitest";
import { limitsWithoutSkipped, requestedLimits } from "./rootlessLimits.js";

describe("rootless cgroups: limits where no cgroup could be made", () => {
  it("lists only settings that write a file (0, null and empty lists write nothing)", () => {
    expect(requestedLimits({ memory: { limit: 0, swappiness: -1 }, cpu: { shares: 0, cpus: "" }, blockIO: { weightDevice: [] } })).toEqual(
      [],
    );
    expect(
      requestedLimits({ pids: { limit: 10 }, cpu: { quota: 5000, mems: "0" }, network: { classID: 7 } }).map(
        (r) => `${r.path} ${r.controller}`,
      ),
    ).toEqual([
      "linux.resources.pids.limit pids",
      "linux.resources.cpu.quota cpu",
      "linux.resources.cpu.mems cpuset",
      "linux.resources.network.classID net_cls",
    ]);
  });

  it("v1: a limit for a skipped controller is an error naming its path; others pass, and skipped parts are dropped", () => {
    expect(() => limitsWithoutSkipped({ memory: { limit: 1 << 26 } }, ["memory"], false)).toThrow(
      expect.objectContaining({ path: "linux.resources.memory.limit", message: expect.stringMatching(/memory cgroup/) }),
    );
    const out = limitsWithoutSkipped({ memory: { limit: 0 }, cpu: { shares: 512, cpus: "" } }, ["memory", "cpuset"], false);
    expect(out).toEqual({ cpu: { shares: 512 } });
    expect(limitsWithoutSkipped({ pids: { limit: 5 } }, [], false)).toEqual({ pids: { limit: 5 } });
  });

  it("v2: every limit needs the one cgroup", () => {
    expect(() => limitsWithoutSkipped({ pids: { limit: 5 } }, ["unified"], true)).toThrow(
      expect.objectContaining({ path: "linux.resources.pids.limit", message: expect.stringMatching(/no cgroup \(rootless/) }),
    );
    expect(limitsWithoutSkipped({ memory: {} }, ["unified"], true)).toEqual({});
  });
});
