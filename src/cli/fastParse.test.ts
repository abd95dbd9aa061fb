import { describe, expect, it } from "vitest";
import { fastParse } from "./fastParse.js";

describe("fastParse", () => {
  it("parses global options before the command in both --x v and --x=v forms", () => {
    const p = fastParse(["--root", "/r", "--log=/l", "--log-format", "json", "state", "c1"]);
    expect(p?.command.name).toBe("state");
    expect(p?.argv).toMatchObject({ root: "/r", log: "/l", "log-format": "json", id: "c1" });
  });

  it("parses create flags, aliases and defaults", () => {
    const p = fastParse(["create", "-b", "/b", "--pid-file=/p", "--no-pivot", "c1"]);
    expect(p?.argv).toMatchObject({
      bundle: "/b",
      "pid-file": "/p",
      "no-pivot": true,
      "no-new-keyring": false,
      "preserve-fds": "0",
      id: "c1",
    });
  });

  it("accepts Go-style single-dash long flags", () => {
    expect(fastParse(["create", "-bundle", "/b", "c1"])?.argv.bundle).toBe("/b");
  });

  it("stops option parsing after the id for exec and kill", () => {
    const e = fastParse(["exec", "-e", "A=1", "--env", "B=2", "c1", "ls", "-la", "--cwd", "x"]);
    expect(e?.argv).toMatchObject({ id: "c1", command: ["ls", "-la", "--cwd", "x"], env: ["A=1", "B=2"] });
    const k = fastParse(["kill", "-a", "c1", "9"]);
    expect(k?.argv).toMatchObject({ id: "c1", signal: "9", all: true });
    expect(fastParse(["kill", "c1"])?.argv.signal).toBe("SIGTERM");
  });

  it("leaves help, unknown flags, bad choices and missing or extra arguments to yargs", () => {
    expect(fastParse(["create", "--help"])).toBeUndefined();
    expect(fastParse(["create", "--nope", "c1"])).toBeUndefined();
    expect(fastParse(["list", "--format", "xml"])).toBeUndefined();
    expect(fastParse(["state"])).toBeUndefined();
    expect(fastParse(["state", "a", "b"])).toBeUndefined();
    expect(fastParse(["frobnicate"])).toBeUndefined();
    expect(fastParse(["create", "--pid-file"])).toBeUndefined();
  });

  it("reads --trace bare or with =FILE, never taking the next argument", () => {
    expect(fastParse(["--trace", "create", "c1"])?.argv).toMatchObject({ trace: "", id: "c1" });
    expect(fastParse(["--trace=/t.json", "run", "c1"])?.argv).toMatchObject({ trace: "/t.json", id: "c1" });
    expect(fastParse(["run", "--trace", "c1"])?.argv).toMatchObject({ trace: "", id: "c1" });
    expect(fastParse(["state", "c1"])?.argv.trace).toBeUndefined();
  });
});
