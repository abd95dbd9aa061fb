import { describe, expect, it } from "vitest";
import { canReach, needsFreezerPoll } from "./wait.js";

describe("wait", () => {
  it("a state is reachable only forward, except created again from paused while created", () => {
    expect(canReach("creating", "created", false)).toBe(true);
    expect(canReach("created", "running", true)).toBe(true);
    expect(canReach("running", "created", false)).toBe(false);
    expect(canReach("paused", "created", true)).toBe(true);
    expect(canReach("paused", "created", false)).toBe(false);
    expect(canReach("stopped", "running", false)).toBe(false);
    expect(canReach("stopped", "paused", false)).toBe(false);
    expect(canReach("running", "stopped", false)).toBe(true);
    expect(canReach("stopped", "stopped", false)).toBe(true);
  });

  it("polls only for a v1 freezer, and only where the freezer decides", () => {
    expect(needsFreezerPoll("running", "paused", true)).toBe(true);
    expect(needsFreezerPoll("paused", "running", true)).toBe(true);
    expect(needsFreezerPoll("created", "running", true)).toBe(false);
    expect(needsFreezerPoll("running", "stopped", true)).toBe(false);
    expect(needsFreezerPoll("running", "paused", false)).toBe(false);
  });
});
