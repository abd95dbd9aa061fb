import { describe, expect, it } from "vitest";
import { describeIgnoredResources } from "./resources.js";

describe("describeIgnoredResources", () => {
  it("is empty when nothing is set", () => {
    expect(describeIgnoredResources(undefined)).toEqual([]);
    expect(describeIgnoredResources({})).toEqual([]);
    expect(describeIgnoredResources({ memory: {}, devices: [], unified: {} })).toEqual([]);
  });
  it("names each set field by its JSON path", () => {
    const w = describeIgnoredResources({ memory: { limit: 1 << 20 }, pids: { limit: 10 }, devices: [{ allow: false, access: "rwm" }] });
    expect(w).toHaveLength(3);
    expect(w[0]).toMatch(/^linux\.resources\.memory: /);
    expect(w[1]).toMatch(/^linux\.resources\.pids: /);
    expect(w[2]).toMatch(/^linux\.resources\.devices: 1 device/);
  });
});
