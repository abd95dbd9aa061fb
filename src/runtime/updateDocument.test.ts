import { describe, expect, it } from "vitest";
import { parseResourcesJson } from "./updateDocument.js";

describe("resources JSON", () => {
  it("accepts a LinuxResources document", () => {
    expect(parseResourcesJson('{"memory":{"limit":1048576},"cpu":{"cpus":"0"},"pids":{"limit":10}}', "r.json")).toEqual({
      memory: { limit: 1048576 },
      cpu: { cpus: "0" },
      pids: { limit: 10 },
    });
    expect(parseResourcesJson('{"pids":{}}', "stdin")).toEqual({ pids: {} });
  });

  it("names the JSON path of a bad value, and the place of a syntax error", () => {
    expect(() => parseResourcesJson('{"memory":{"limit":"x"}}', "r.json")).toThrow(/linux\.resources\.memory\.limit: must be an integer/);
    expect(() => parseResourcesJson('{"cpu":{"shares":-1}}', "stdin")).toThrow(/linux\.resources\.cpu\.shares/);
    expect(() => parseResourcesJson('{"memory":', "r.json")).toThrow(/r\.json: not valid JSON/);
    expect(() => parseResourcesJson("[]", "r.json")).toThrow(/linux\.resources/);
  });
});
