// What the grammar drives beyond fastParse: help requests, where option parsing
// stops (and the `--` the yargs fallback gets there), typed options, refused flags.
import { describe, expect, it } from "vitest";
import { splitCommandArgs } from "./argv.js";
import { fastParse, helpRequest, stopIndex } from "./fastParse.js";
import { COMMANDS, type CommandDef } from "./grammar.js";
import { toOptions } from "./options.js";

const typed = (args: string[]): Record<string, unknown> => {
  const p = fastParse(args);
  if (p === undefined) throw new Error(`did not parse: ${args.join(" ")}`);
  return toOptions(p.command, p.argv);
};

describe("the grammar", () => {
  it("every flag and alias is unique within a command and its global options", () => {
    for (const c of COMMANDS as readonly CommandDef[]) {
      const names = c.flags.flatMap((f) => [f.name, ...(f.alias !== undefined ? [f.alias] : [])]);
      expect(new Set(names).size, c.name).toBe(names.length);
    }
  });

  it("only exec, kill and ps stop parsing after the id", () => {
    expect(
      (COMMANDS as readonly CommandDef[])
        .filter((c) => c.stopAfterId === true)
        .map((c) => c.name)
        .sort(),
    ).toEqual(["exec", "kill", "ps"]);
  });
});

describe("help requests", () => {
  it("finds --help and -h for the program and for a command, and `berth help CMD`", () => {
    expect(helpRequest(["--help"])).toBeNull();
    expect(helpRequest(["--root", "/r", "-h"])).toBeNull();
    expect(helpRequest(["help"])).toBeNull();
    expect(helpRequest(["help", "exec"])?.name).toBe("exec");
    expect(helpRequest(["create", "--help"])?.name).toBe("create");
    expect(helpRequest(["--root", "/r", "state", "c1", "-h"])?.name).toBe("state");
    expect(helpRequest(["exec", "-e", "--help", "c1", "sh"])).toBeUndefined(); // --help is -e's value
  });

  it("leaves --help alone after the id of exec, and after --", () => {
    expect(helpRequest(["exec", "c1", "ls", "--help"])).toBeUndefined();
    expect(helpRequest(["exec", "--tty", "c1", "-h"])).toBeUndefined();
    expect(helpRequest(["create", "--", "--help"])).toBeUndefined();
    expect(helpRequest(["state", "c1"])).toBeUndefined();
  });
});

describe("where option parsing stops", () => {
  it("after the id of exec, kill and ps, skipping flag values (command and global)", () => {
    expect(stopIndex(["exec", "-e", "A=1", "--pidfd-socket", "/s", "--log", "/l", "c1", "ls", "-l"])).toBe(8);
    expect(stopIndex(["--root", "/r", "exec", "--cgroup", "x", "c1", "sh"])).toBe(6);
    expect(stopIndex(["kill", "c1", "9"])).toBe(2);
    expect(stopIndex(["ps", "-f", "json", "c1", "-ef"])).toBe(4);
    expect(stopIndex(["exec", "c1"])).toBeUndefined();
    expect(stopIndex(["create", "c1", "x"])).toBeUndefined();
    expect(stopIndex(["exec", "--", "c1", "ls"])).toBeUndefined();
  });

  it("gives yargs a `--` there", () => {
    expect(splitCommandArgs(["exec", "--bogus", "c1", "ls", "--cwd", "/"])).toEqual(["exec", "--bogus", "c1", "--", "ls", "--cwd", "/"]);
    expect(splitCommandArgs(["--root", "/r", "kill", "c1", "KILL"])).toEqual(["--root", "/r", "kill", "c1", "--", "KILL"]);
    expect(splitCommandArgs(["state", "c1"])).toEqual(["state", "c1"]);
  });
});

describe("typed options", () => {
  it("camelCase names, numbers, durations in ms, lists and positionals", () => {
    expect(typed(["--systemd-cgroup", "create", "--preserve-fds", "3", "-b", "/b", "c1"])).toMatchObject({
      systemdCgroup: true,
      preserveFds: 3,
      bundle: "/b",
      id: "c1",
      noPivot: false,
      logFormat: "text",
    });
    expect(typed(["events", "c1"])).toMatchObject({ interval: 5000, stats: false });
    expect(typed(["events", "--interval=250ms", "c1"]).interval).toBe(250);
    expect(typed(["exec", "-e", "A=1", "-e", "B=2", "c1", "ls", "-l"])).toMatchObject({
      env: ["A=1", "B=2"],
      cap: [],
      command: ["ls", "-l"],
      preserveFds: 0,
    });
    expect(typed(["ps", "c1", "-o", "pid"])).toMatchObject({ psArgs: ["-o", "pid"], format: "table" });
    expect(typed(["kill", "c1"]).signal).toBe("SIGTERM");
  });

  it("--pidfd-socket is read by create, run and exec", () => {
    expect(typed(["create", "--pidfd-socket", "/s", "c1"]).pidfdSocket).toBe("/s");
    expect(typed(["run", "-d", "--pidfd-socket=/s", "c1"]).pidfdSocket).toBe("/s");
    expect(typed(["exec", "--pidfd-socket", "/s", "c1", "true"]).pidfdSocket).toBe("/s");
  });

  it("global options after the command", () => {
    expect(typed(["state", "--root", "/r", "c1"])).toMatchObject({ root: "/r", id: "c1" });
  });

  it("refuses flags berth cannot honour, naming them, and an empty id", () => {
    expect(() => typed(["exec", "--cgroup", "x", "c1", "true"])).toThrow(/^exec --cgroup: .*; drop --cgroup/);
    expect(() => typed(["create", ""])).toThrow(/"create" requires exactly 1 argument: the container id/);
    expect(() => typed(["create", "--preserve-fds", "-1", "c1"])).toThrow(/--preserve-fds/);
  });
});
