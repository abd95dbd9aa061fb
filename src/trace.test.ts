import { describe, expect, it } from "vitest";
import { begin, chromeTrace, enableTrace, record, span, traceEnabled, traceSpans, traceTable } from "./trace.js";

describe("trace", () => {
  it("records nothing until enabled", () => {
    expect(traceEnabled()).toBe(false);
    expect(span("x", () => 42)).toBe(42);
    begin("y")();
    expect(traceSpans()).toEqual([]);
  });

  it("nests spans, sync and async, and writes Chrome trace-event JSON", async () => {
    enableTrace();
    const end = begin("total");
    span("validate", () => span("schema", () => undefined));
    await span("hooks", async () => {
      await span("hook prestart[0]", () => new Promise((r) => setTimeout(r, 1)), "hook");
    });
    expect(() =>
      span("fails", () => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    end();
    const spans = traceSpans();
    expect(spans.map((s) => s.name)).toEqual(["total", "validate", "schema", "hooks", "hook prestart[0]", "fails"]);
    const total = spans[0]!;
    for (const s of spans.slice(1)) {
      expect(s.start >= total.start && s.end <= total.end).toBe(true);
    }
    const table = traceTable();
    expect(table.split("\n")[0]).toMatch(/start ms\s+dur ms\s+step/);
    expect(table).toMatch(/\d {6}schema\n/);
    expect(table).toMatch(/\d {6}hook prestart\[0\]\n/);
    const json = JSON.parse(JSON.stringify(chromeTrace())) as {
      traceEvents: { name: string; ph: string; ts: number; dur: number; pid: number; tid: number; cat: string }[];
    };
    expect(json.traceEvents).toHaveLength(6);
    for (const e of json.traceEvents) {
      expect(e).toMatchObject({ ph: "X", pid: process.pid, tid: 1 });
      expect(typeof e.ts).toBe("number");
      expect(e.dur).toBeGreaterThanOrEqual(0);
      expect(e.ts + e.dur).toBeLessThanOrEqual(json.traceEvents[0]!.dur + 0.001);
    }
    expect(json.traceEvents.find((e) => e.name === "hook prestart[0]")?.cat).toBe("hook");
  });

  it("places spans timed elsewhere by their own times", () => {
    enableTrace();
    record("outer", 1_000_000n, 5_000_000n);
    record("inner", 2_000_000n, 3_000_000n, "berth-init");
    expect(traceTable()).toBe(["start ms    dur ms  step", "   0.000     4.000  outer", "   1.000     1.000    inner", ""].join("\n"));
    expect(chromeTrace().traceEvents).toEqual([
      { name: "outer", cat: "berth", ph: "X", ts: 0, dur: 4000, pid: process.pid, tid: 1 },
      { name: "inner", cat: "berth-init", ph: "X", ts: 1000, dur: 1000, pid: process.pid, tid: 1 },
    ]);
  });
});
