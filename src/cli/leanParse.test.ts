import { describe, expect, it } from "vitest";
import { fastParse } from "./fastParse.js";
import type { FlagRule } from "./flags.js";
import { COMMANDS, GLOBAL_FLAGS, type CommandDef, type FlagDef } from "./grammar.js";
import { LEAN_COMMANDS, LEAN_GLOBALS, leanOptions, leanParse } from "./leanParse.js";
import { toOptions } from "./options.js";

/** A grammar flag's rule: everything but the words help shows. */
function rule(f: FlagDef): FlagRule {
  const { describe: _describe, value: _value, ...r } = f;
  return r;
}

/** The options a parser gives, or the error reading them throws. */
function outcome(read: () => Record<string, unknown>): unknown {
  try {
    return read();
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const def = (name: string): CommandDef => (COMMANDS as readonly CommandDef[]).find((c) => c.name === name)!;

describe("leanParse's tables", () => {
  it("are the grammar's global flags, but --trace", () => {
    const globals = (GLOBAL_FLAGS as readonly FlagDef[]).filter((f) => f.name !== "trace");
    expect(LEAN_GLOBALS).toEqual(globals.map(rule));
  });

  it("are the grammar's flags and positionals of each command", () => {
    for (const [name, lean] of Object.entries(LEAN_COMMANDS)) {
      const c = def(name);
      expect(lean.flags, name).toEqual(c.flags.map(rule));
      if (!lean.id) {
        expect(c.positionals, name).toEqual([]);
        continue;
      }
      expect(c.positionals[0]?.name, name).toBe("id");
      if (lean.signal === undefined) {
        expect(c.positionals.length, name).toBe(1);
      } else {
        expect(c.positionals.length, name).toBe(2);
        expect(c.positionals[1], name).toMatchObject({ name: "signal", optional: true, default: lean.signal });
        expect(c.stopAfterId, name).toBe(true);
      }
    }
  });
});

const GLOBAL_PREFIXES: string[][] = [
  [],
  ["--root", "/run/containerd/runc/k8s.io", "--log", "/run/log.json", "--log-format", "json"],
  ["--root=/r", "--log-format=text", "--debug"],
  ["--systemd-cgroup", "--rootless", "true", "--criu", "/usr/sbin/criu"],
  ["-root", "/r", "--debug=false", "--systemd-cgroup=true", "--rootless=auto"],
  ["--log-format", "yaml"],
  ["--debug=yes"],
  ["--root"],
  ["--trace"],
  ["--bogus"],
  ["--", "x"],
];

const TAILS: Record<string, string[][]> = {
  state: [["c1"], [], ["c1", "extra"], ["--help", "c1"], ["-h"], ["c1", "--root", "/x"], ["--", "c1"], ["-"], [""]],
  start: [["c1"], ["c1", "c2"], ["-x", "c1"]],
  pause: [["c1"]],
  resume: [["c1"], ["--force", "c1"]],
  delete: [["c1"], ["--force", "c1"], ["-f", "c1"], ["--force=false", "c1"], ["--f", "c1"], ["c1", "--force"], ["--force=1", "c1"]],
  kill: [
    ["c1"],
    ["c1", "9"],
    ["c1", "KILL"],
    ["--all", "c1", "9"],
    ["-a", "c1", "SIGKILL"],
    ["--all=true", "c1"],
    ["c1", "-9"],
    ["c1", "--all"],
    ["c1", "9", "x"],
    ["c1", "--", "9"],
  ],
  list: [[], ["--format", "json"], ["-f", "table"], ["-q"], ["--quiet", "--format=json"], ["--format", "yaml"], ["c1"], ["--format"]],
  events: [
    ["c1"],
    ["--stats", "c1"],
    ["--interval", "1s", "c1"],
    ["--interval=250ms", "--stats", "c1"],
    ["--interval", "soon", "c1"],
    ["--interval"],
  ],
  update: [
    ["--pids-limit", "100", "c1"],
    ["--pids-limit=-1", "c1"],
    ["--pids-limit", "", "c1"],
    ["--pids-limit", "x", "c1"],
    ["--memory", "100M", "--memory-swap", "-1", "c1"],
    ["--memory", "1g", "--cpu-quota", "-5", "--cpu-period", "100000", "c1"],
    ["--blkio-weight", "70000", "c1"],
    ["--cpuset-cpus", "0-1", "--cpuset-mems", "", "c1"],
    ["-r", "-", "c1"],
    ["--resources", "/r.json", "c1"],
    ["--resources=-", "c1"],
    ["--kernel-memory", "10M", "c1"],
    ["--cpu-share", "512", "--cpu-rt-runtime", "-1", "--cpu-rt-period", "1000", "--cpu-idle", "1", "--cpu-burst", "10", "c1"],
    ["--l3-cache-schema", "L3:0=ff", "--mem-bw-schema", "MB:0=50", "c1"],
    ["c1", "--pids-limit", "5"],
    ["--memory", "lots", "c1"],
  ],
  exec: [["c1", "true"]],
};

describe("leanParse", () => {
  it("gives exactly what fastParse and toOptions give, or leaves the line to them", () => {
    let lean = 0;
    for (const prefix of GLOBAL_PREFIXES)
      for (const [command, tails] of Object.entries(TAILS))
        for (const tail of tails) {
          const argv = [...prefix, command, ...tail];
          const got = leanParse(argv);
          if (got === undefined) continue;
          lean++;
          const full = fastParse(argv);
          expect(full, argv.join(" ")).toBeDefined();
          expect(got.command, argv.join(" ")).toBe(full!.command.name);
          expect(
            outcome(() => leanOptions(got)),
            argv.join(" "),
          ).toEqual(outcome(() => toOptions(full!.command, full!.argv)));
        }
    expect(lean).toBeGreaterThan(100);
  });

  it("takes the command lines containerd's shim and podman send", () => {
    const engines = [
      ["--root", "/run/containerd/runc/default", "--log", "/run/c/log.json", "--log-format", "json", "state", "c1"],
      ["--root", "/run/containerd/runc/default", "--log", "/run/c/log.json", "--log-format", "json", "start", "c1"],
      ["--root", "/run/containerd/runc/default", "--log", "/run/c/log.json", "--log-format", "json", "kill", "c1", "9"],
      ["--root", "/run/containerd/runc/default", "--log", "/run/c/log.json", "--log-format", "json", "kill", "--all", "c1", "9"],
      ["--root", "/run/containerd/runc/default", "--log", "/run/c/log.json", "--log-format", "json", "delete", "c1"],
      ["--root", "/run/containerd/runc/default", "--log", "/run/c/log.json", "--log-format", "json", "delete", "--force", "c1"],
      ["--root", "/run/runc", "--systemd-cgroup", "start", "c1"],
      ["--root", "/run/runc", "--systemd-cgroup", "kill", "c1", "15"],
      ["--root", "/run/runc", "--systemd-cgroup", "delete", "--force", "c1"],
      ["--root", "/run/runc", "pause", "c1"],
      ["--root", "/run/runc", "resume", "c1"],
      ["--root", "/run/runc", "list", "--format", "json"],
      ["--root", "/run/crio", "update", "--resources", "-", "c1"],
      ["--root", "/run/runc", "update", "--memory", "104857600", "--pids-limit", "100", "c1"],
      ["--root", "/run/runc", "events", "--stats", "c1"],
    ];
    for (const argv of engines) expect(leanParse(argv), argv.join(" ")).toBeDefined();
  });

  it("leaves help, --trace, unknown flags and malformed lines to the grammar's parser", () => {
    for (const argv of [
      ["state"],
      ["state", "--help"],
      ["--trace", "state", "c1"],
      ["--trace=/t.json", "start", "c1"],
      ["state", "c1", "c2"],
      ["delete", "c1", "--force"],
      ["kill", "--signal", "9", "c1"],
      ["--root", "state"],
      ["list", "c1"],
      ["list", "--format", "csv"],
      ["help", "state"],
      ["constructor", "c1"],
      ["__proto__", "c1"],
    ])
      expect(leanParse(argv), argv.join(" ")).toBeUndefined();
  });
});
