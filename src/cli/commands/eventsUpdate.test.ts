// How the callers' spellings of `events` and `update` parse (containerd's
// go-runc, CRI-O and podman; see the grammar in ../grammar.ts).
import { describe, expect, it } from "vitest";
import { fastParse } from "../fastParse.js";

describe("events and update command lines", () => {
  it("events: --stats, --interval in both forms, and the 5s default", () => {
    expect(fastParse(["--root", "/r", "events", "--stats", "c1"])?.argv).toMatchObject({ stats: true, interval: "5s", id: "c1" });
    expect(fastParse(["events", "--interval=1s", "c1"])?.argv).toMatchObject({ stats: false, interval: "1s", id: "c1" });
    expect(fastParse(["events", "-interval", "500ms", "c1"])?.argv.interval).toBe("500ms");
  });

  it("update: --resources=- (go-runc), --resources - (CRI-O), -r FILE, and negative values", () => {
    expect(fastParse(["update", "--resources=-", "c1"])?.argv).toMatchObject({ resources: "-", id: "c1" });
    expect(fastParse(["update", "--resources", "-", "c1"])?.argv).toMatchObject({ resources: "-", id: "c1" });
    expect(fastParse(["update", "-r", "/tmp/res.json", "c1"])?.argv).toMatchObject({ resources: "/tmp/res.json", id: "c1" });
    expect(fastParse(["update", "--memory", "100M", "--memory-swap", "-1", "--pids-limit", "-1", "c1"])?.argv).toMatchObject({
      memory: "100M",
      "memory-swap": "-1",
      "pids-limit": "-1",
      id: "c1",
    });
  });

  it("leaves help and a missing id to the full parser", () => {
    expect(fastParse(["update", "--help"])).toBeUndefined();
    expect(fastParse(["events"])).toBeUndefined();
  });
});
