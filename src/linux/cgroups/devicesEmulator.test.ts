import { describe, expect, it } from "vitest";
import { effectiveDeviceRules, toDevRules } from "./devices.js";
import { ACC_R, ACC_W, DeviceEmulator, DeviceRuleError, ruleString, type DevRule } from "./devicesEmulator.js";
import { devicesV1Writes } from "./devicesV1.js";

/** devices.list runc 1.1 leaves for the `runc spec` config (deny all, then the defaults). */
const RUNC_DEFAULT_LIST = `b *:* m
c *:* m
c 1:3 rwm
c 1:5 rwm
c 1:7 rwm
c 1:8 rwm
c 1:9 rwm
c 5:0 rwm
c 5:2 rwm
c 10:200 rwm
c 136:* rwm
`;

const rule = (s: string, allow = true): DevRule => {
  const [t, mm, acc] = s.split(" ") as [string, string, string];
  const [maj, min] = mm.split(":") as [string, string];
  const n = (x: string): number => (x === "*" ? -1 : Number(x));
  return toDevRules([{ allow, type: t, major: n(maj), minor: n(min), access: acc }])[0]!;
};

const specDefault = () => toDevRules(effectiveDeviceRules({ resources: { devices: [{ allow: false, access: "rwm" }] } }));

describe("DeviceEmulator", () => {
  it("turns a fresh cgroup (allow-all) into runc's devices.list: deny all, then the allows", () => {
    const writes = devicesV1Writes("a *:* rwm\n", specDefault());
    expect(writes[0]).toEqual({ file: "devices.deny", line: "a *:* rwm" });
    expect(writes.slice(1).every((w) => w.file === "devices.allow")).toBe(true);
    expect(
      writes
        .slice(1)
        .map((w) => w.line)
        .sort(),
    ).toEqual(RUNC_DEFAULT_LIST.trim().split("\n").sort());
  });

  it("adds the allows in the rules' order, so devices.list lists them as the config does", () => {
    const rules = toDevRules(
      effectiveDeviceRules({
        resources: {
          devices: [
            { allow: false, access: "rwm" },
            { allow: true, type: "c", major: 10, minor: 229, access: "rwm" },
            { allow: true, type: "b", major: 8, minor: 20, access: "rw" },
            { allow: true, type: "b", major: 10, minor: 200, access: "r" },
          ],
        },
      }),
    );
    const lines = devicesV1Writes("a *:* rwm\n", rules)
      .slice(1)
      .map((w) => w.line);
    expect(lines.slice(0, 3)).toEqual(["c 10:229 rwm", "b 8:20 rw", "b 10:200 r"]);
  });

  it("writes nothing when devices.list already matches (update keeps access uninterrupted)", () => {
    expect(devicesV1Writes(RUNC_DEFAULT_LIST, specDefault())).toEqual([]);
  });

  it("takes away and adds only the difference on update", () => {
    const target = [...specDefault(), rule("c 10:229 rw"), rule("c 1:3 w", false)];
    expect(devicesV1Writes(RUNC_DEFAULT_LIST, target)).toEqual([
      { file: "devices.deny", line: "c 1:3 w" },
      { file: "devices.allow", line: "c 10:229 rw" },
    ]);
  });

  it('resets with "a" when the target allows by default, and lists deny exceptions after it', () => {
    const target = [rule("a *:* rwm"), rule("b 8:* rwm", false)];
    expect(devicesV1Writes(RUNC_DEFAULT_LIST, target)).toEqual([
      { file: "devices.allow", line: "a *:* rwm" },
      { file: "devices.deny", line: "b 8:* rwm" },
    ]);
    // From an allow-all cgroup the deny exceptions are unknown, so it resets again.
    expect(devicesV1Writes("a *:* rwm\n", target)[0]).toEqual({ file: "devices.allow", line: "a *:* rwm" });
  });

  it("merges access of rules with the same device and drops what later rules deny", () => {
    const e = DeviceEmulator.fromRules([rule("c 1:3 r"), rule("c 1:3 w"), rule("c 1:5 rwm"), rule("c 1:5 rm", false)]);
    expect(e.entries().map(ruleString)).toEqual(["c 1:3 rw", "c 1:5 w"]);
  });

  it('an "a" rule discards everything before it', () => {
    const e = DeviceEmulator.fromRules([rule("c 1:3 rwm"), rule("a *:* rwm", false), rule("c 1:5 r")]);
    expect(e.defaultAllow).toBe(false);
    expect(e.entries().map(ruleString)).toEqual(["c 1:5 r"]);
  });

  it("refuses to take access away from inside a wider wildcard rule", () => {
    expect(() => DeviceEmulator.fromRules([rule("c *:* rw"), rule("c 1:3 w", false)])).toThrow(DeviceRuleError);
    expect(() => DeviceEmulator.fromRules([rule("c 1:* r"), rule("c 1:3 r", false)])).toThrow(DeviceRuleError);
    // Disjoint access is fine (the wildcard only allows mknod).
    expect(() => DeviceEmulator.fromRules([rule("c *:* m"), rule("c 1:3 w", false)])).not.toThrow();
  });

  it("parses devices.list and rejects garbage", () => {
    expect(DeviceEmulator.fromList(RUNC_DEFAULT_LIST).equals(DeviceEmulator.fromRules(specDefault()))).toBe(true);
    expect(DeviceEmulator.fromList("a *:* rwm\n").defaultAllow).toBe(true);
    expect(() => DeviceEmulator.fromList("c 1:3\n")).toThrow(DeviceRuleError);
    expect(() => DeviceEmulator.fromList("x 1:3 rwm\n")).toThrow(DeviceRuleError);
    expect(() => DeviceEmulator.fromList("c 1:3 rwx\n")).toThrow(DeviceRuleError);
  });

  it("decides like the kernel: an exception must cover every requested access", () => {
    const e = DeviceEmulator.fromRules([rule("c 1:* r"), rule("c 1:3 w")]);
    expect(e.permits("c", 1, 3, ACC_R)).toBe(true);
    expect(e.permits("c", 1, 3, ACC_W)).toBe(true);
    expect(e.permits("c", 1, 3, ACC_R | ACC_W)).toBe(false);
    expect(e.permits("b", 1, 3, ACC_R)).toBe(false);
  });
});
