import { describe, expect, it } from "vitest";
import { BerthError } from "../errors.js";
import { isSignalKnown, parseSignal, signalName } from "./signals.js";

describe("parseSignal", () => {
  it("takes numbers as they are", () => {
    expect(parseSignal("9")).toBe(9);
    expect(parseSignal("15")).toBe(15);
    expect(parseSignal("0")).toBe(0);
    expect(parseSignal("64")).toBe(64);
  });

  it("matches names with or without SIG, in any case", () => {
    expect(parseSignal("KILL")).toBe(9);
    expect(parseSignal("SIGKILL")).toBe(9);
    expect(parseSignal("kill")).toBe(9);
    expect(parseSignal("sigterm")).toBe(15);
    expect(parseSignal("Hup")).toBe(1);
    expect(parseSignal("USR1")).toBe(10);
    expect(parseSignal("SIGUSR2")).toBe(12);
    expect(parseSignal("CHLD")).toBe(17);
    expect(parseSignal("WINCH")).toBe(28);
    expect(parseSignal("SIGSYS")).toBe(31);
  });

  it("knows the real-time range", () => {
    expect(parseSignal("RTMIN")).toBe(34);
    expect(parseSignal("SIGRTMIN+1")).toBe(35);
    expect(parseSignal("sigrtmin+30")).toBe(64);
    expect(parseSignal("SIGRTMAX")).toBe(64);
    expect(parseSignal("RTMAX-2")).toBe(62);
    expect(() => parseSignal("SIGRTMIN+31")).toThrowError(BerthError);
    expect(() => parseSignal("SIGRTMAX+1")).toThrowError(BerthError);
  });

  it("throws a BerthError for unknown signals", () => {
    expect(() => parseSignal("FOO")).toThrowError(/unknown signal "FOO"/);
    expect(() => parseSignal("65")).toThrowError(BerthError);
    expect(() => parseSignal("-1")).toThrowError(BerthError);
    expect(() => parseSignal("")).toThrowError(BerthError);
    expect(isSignalKnown("TERM")).toBe(true);
    expect(isSignalKnown("NOPE")).toBe(false);
  });

  it("names numbers", () => {
    expect(signalName(15)).toBe("SIGTERM");
    expect(signalName(6)).toBe("SIGABRT");
    expect(signalName(36)).toBe("SIGRTMIN+2");
    expect(signalName(64)).toBe("SIGRTMAX");
    expect(signalName(99)).toBeUndefined();
  });
});
