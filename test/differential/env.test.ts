// The process environment, berth against runc: a variable given twice reaches the
// process once, with its last value, and an empty HOME becomes the user's home.

import { afterAll, expect, it } from "vitest";
import { needs } from "../helpers/host.js";
import { DIFFERENTIAL, Pair, describeOutcome } from "./harness.js";

needs(...DIFFERENTIAL).describe("differential: process environment", () => {
  const pair = new Pair();
  afterAll(() => pair.cleanup());

  it("duplicates keep the last value; an empty HOME is replaced from passwd", () => {
    const bundle = pair.bundle({
      args: ["sh", "-c", "env | grep -E '^(ONE|TWO|HOME)=' | sort"],
      edit: (c) => {
        c.process!.env = [...(c.process!.env ?? []), "ONE=two", "TWO=x", "ONE=", "HOME="];
      },
    });
    const r = pair.runBoth(bundle);
    expect(r.runc.code, describeOutcome(r.runc)).toBe(0);
    expect(r.berth.code, describeOutcome(r.berth)).toBe(0);
    expect(r.runc.stdout).toBe("HOME=/root\nONE=\nTWO=x\n");
    expect(r.berth.stdout).toBe(r.runc.stdout);
  });
});
