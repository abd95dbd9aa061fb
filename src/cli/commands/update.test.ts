// runc's individual update flags → LinuxResources, through the grammar's types
// (fastParse → toOptions → resourcesFromFlags), as `berth update` reads them.
import { describe, expect, it } from "vitest";
import { fastParse } from "../fastParse.js";
import { toOptions, type CommandOptions } from "../options.js";
import { resourcesFromFlags } from "./update.js";

function flags(...args: string[]): CommandOptions<"update"> {
  const p = fastParse(["update", ...args, "c1"]);
  if (p === undefined) throw new Error(`did not parse: ${args.join(" ")}`);
  return toOptions(p.command, p.argv) as CommandOptions<"update">;
}

const resources = (...args: string[]) => resourcesFromFlags(flags(...args));

describe("update flags → resources", () => {
  it("maps every runc flag to its LinuxResources field", () => {
    expect(
      resources(
        "--blkio-weight",
        "300",
        "--cpu-period",
        "100000",
        "--cpu-quota",
        "-1",
        "--cpu-burst",
        "1000",
        "--cpu-share",
        "512",
        "--cpu-rt-period",
        "1000000",
        "--cpu-rt-runtime",
        "950000",
        "--cpu-idle",
        "1",
        "--cpuset-cpus",
        "0-1",
        "--cpuset-mems",
        "0",
        "--memory",
        "100M",
        "--memory-reservation",
        "50M",
        "--memory-swap",
        "-1",
        "--kernel-memory",
        "1M",
        "--kernel-memory-tcp",
        "1M",
        "--pids-limit",
        "-1",
      ),
    ).toEqual({
      blockIO: { weight: 300 },
      cpu: {
        period: 100000,
        quota: -1,
        burst: 1000,
        shares: 512,
        realtimePeriod: 1000000,
        realtimeRuntime: 950000,
        idle: 1,
        cpus: "0-1",
        mems: "0",
      },
      memory: { limit: 104857600, reservation: 52428800, swap: -1, kernel: 1048576, kernelTCP: 1048576 },
      pids: { limit: -1 },
    });
  });

  it("leaves out absent and empty flags", () => {
    expect(resources()).toEqual({});
    expect(resources("--cpuset-cpus", "", "--memory", "1g", "--pids-limit=")).toEqual({ memory: { limit: 1024 ** 3 } });
  });

  it("rejects malformed numbers naming the flag", () => {
    expect(() => flags("--cpu-period", "-5")).toThrow(/--cpu-period/);
    expect(() => flags("--cpu-quota", "1.5")).toThrow(/--cpu-quota/);
    expect(() => flags("--pids-limit", "many")).toThrow(/--pids-limit/);
    expect(() => flags("--blkio-weight", "70000")).toThrow(/--blkio-weight/);
    expect(() => flags("--memory", "1x")).toThrow(/^update --memory: invalid value "1x": not a memory size/);
    // Intel RDT's flags are not resources: they go to the container's resctrl group (runtime/update.ts).
    expect(resources("--l3-cache-schema", "L3:0=f")).toEqual({});
  });

  it("the last of a repeated flag counts", () => {
    expect(resources("--memory", "1M", "--memory", "2M")).toEqual({ memory: { limit: 2 * 1024 * 1024 } });
  });
});
