import { describe, expect, it } from "vitest";
import type { DeviceCgroup, Linux } from "../../spec/types.js";
import { checkDeviceRules, effectiveDeviceRules, toDevRules } from "./devices.js";
import { ruleString } from "./devicesEmulator.js";
import { thrown } from "../../testing/thrown.js";

const lines = (rules: DeviceCgroup[]): string[] => toDevRules(rules).map((r) => `${r.allow ? "allow" : "deny"} ${ruleString(r)}`);

const DEFAULTS = [
  "allow c *:* m",
  "allow b *:* m",
  "allow c 1:3 rwm",
  "allow c 1:8 rwm",
  "allow c 1:7 rwm",
  "allow c 5:0 rwm",
  "allow c 1:5 rwm",
  "allow c 1:9 rwm",
  "allow c 136:* rwm",
  "allow c 5:2 rwm",
  "allow c 10:200 rwm",
];

describe("effectiveDeviceRules", () => {
  it("is runc's default list when the config has no rules or no linux section", () => {
    expect(lines(effectiveDeviceRules(undefined))).toEqual(DEFAULTS);
    expect(lines(effectiveDeviceRules({}))).toEqual(DEFAULTS);
  });

  it("puts the config's rules first, in order, with an absent type meaning all devices", () => {
    const linux: Linux = {
      resources: {
        devices: [
          { allow: false, access: "rwm" },
          { allow: true, type: "c", major: 10, minor: 229, access: "rw" },
          { allow: false, type: "b", major: 8, access: "m" },
        ],
      },
    };
    const out = effectiveDeviceRules(linux);
    expect(lines(out)).toEqual(["deny a *:* rwm", "allow c 10:229 rw", "deny b 8:* m", ...DEFAULTS]);
    expect(out[0]).toEqual({ allow: false, type: "a", access: "rwm" });
  });

  it("drops a default rule whose path linux.devices redefines, and adds none for linux.devices", () => {
    const out = effectiveDeviceRules({
      devices: [
        { path: "/dev/null", type: "c", major: 1, minor: 3 },
        { path: "/dev/fuse", type: "c", major: 10, minor: 229 },
        { path: "/dev/zero", type: "c", major: 1, minor: 99 },
      ],
    });
    expect(lines(out)).toEqual(DEFAULTS.filter((l) => l !== "allow c 1:3 rwm" && l !== "allow c 1:5 rwm"));
  });

  it("keeps the defaults without paths (pts, ptmx, tun, mknod) whatever linux.devices says", () => {
    const out = effectiveDeviceRules({ devices: [{ path: "/dev/ptmx", type: "c", major: 5, minor: 2 }] });
    expect(lines(out)).toEqual(DEFAULTS);
  });

  it("reads major/minor -1 as any", () => {
    const out = effectiveDeviceRules({ resources: { devices: [{ allow: true, type: "c", major: -1, minor: -1, access: "r" }] } });
    expect(lines(out)[0]).toBe("allow c *:* r");
  });

  it("refuses a deny that would punch a hole in a wildcard allow, naming the rule", () => {
    const e = thrown(() =>
      effectiveDeviceRules({
        resources: {
          devices: [
            { allow: false, access: "rwm" },
            { allow: true, type: "c", access: "rw" },
            { allow: false, type: "c", major: 1, minor: 3, access: "w" },
          ],
        },
      }),
    );
    expect(e.path).toBe("linux.resources.devices[2]");
    expect(e.message).toContain("c *:* rw");
  });

  it("validates the config's rules", () => {
    const e = thrown(() => effectiveDeviceRules({ resources: { devices: [{ allow: true, type: "x", access: "r" }] } }));
    expect(e.path).toBe("linux.resources.devices[0].type");
  });
});

describe("access letters", () => {
  it("other letters than r, w and m are dropped, as runc does", () => {
    const out = effectiveDeviceRules({ resources: { devices: [{ allow: true, type: "c", major: 1, minor: 4, access: "ra" }] } });
    expect(out[0]).toEqual({ allow: true, type: "c", major: 1, minor: 4, access: "r" });
  });
});

describe("checkDeviceRules", () => {
  const cases: [string, DeviceCgroup, string][] = [
    ["unknown type", { allow: true, type: "u", access: "r" }, ".type"],
    ["fifo type", { allow: true, type: "p", access: "r" }, ".type"],
    ["an access without r, w or m", { allow: true, type: "c", access: "x" }, ".access"],
    ["upper-case access", { allow: true, type: "c", access: "RWM" }, ".access"],
    ["empty access", { allow: true, type: "c", access: "" }, ".access"],
    ["missing access", { allow: true, type: "c" }, ".access"],
    ["negative major", { allow: true, type: "c", major: -2, access: "r" }, ".major"],
    ["negative minor", { allow: true, type: "c", major: 1, minor: -5, access: "r" }, ".minor"],
    ["fractional minor", { allow: true, type: "c", major: 1, minor: 1.5, access: "r" }, ".minor"],
    ["huge major", { allow: true, type: "b", major: 2 ** 32, access: "r" }, ".major"],
    ["allow not boolean", { allow: "yes" as unknown as boolean, access: "r" }, ".allow"],
  ];
  for (const [name, rule, field] of cases) {
    it(`rejects ${name}`, () => {
      const e = thrown(() => checkDeviceRules([{ allow: true, access: "rwm" }, rule]));
      expect(e.path).toBe(`linux.resources.devices[1]${field}`);
      expect(e.op).toBe("validate");
      expect(e.hint).toBeTruthy();
    });
  }

  it("accepts valid rules", () => {
    expect(() =>
      checkDeviceRules([
        { allow: false, access: "rwm" },
        { allow: true, type: "a", access: "r" },
        { allow: true, type: "b", major: 8, minor: 0, access: "mrw" },
        { allow: true, type: "c", major: 4294967295, access: "m" },
        { allow: true, type: "c", major: -1, access: "w" },
      ]),
    ).not.toThrow();
    expect(() => checkDeviceRules(undefined)).not.toThrow();
  });
});
