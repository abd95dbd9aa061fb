// The timeline behind `--trace`: named spans (start and end on CLOCK_MONOTONIC,
// which process.hrtime.bigint() reads on Linux) collected while a command runs,
// printed as a table and written as Chrome trace-event JSON. Disabled by default:
// then span() only calls its function and begin() returns a shared no-op, so a
// command without --trace reads no clock and allocates nothing for it.

export interface Span {
  readonly name: string;
  /** What kind of step: "berth", "hook", "berth-init", "container". */
  readonly cat: string;
  /** CLOCK_MONOTONIC, nanoseconds. */
  readonly start: bigint;
  readonly end: bigint;
}

let on = false;
let spans: Span[] = [];

const NOOP = (): void => undefined;

/** Start collecting (main does this when --trace is given). */
export function enableTrace(): void {
  on = true;
  spans = [];
}

export function traceEnabled(): boolean {
  return on;
}

/** Begin a span; call the returned function to end it. */
export function begin(name: string, cat = "berth"): () => void {
  if (!on) return NOOP;
  const start = process.hrtime.bigint();
  let done = false;
  return () => {
    if (done) return;
    done = true;
    spans.push({ name, cat, start, end: process.hrtime.bigint() });
  };
}

/** Run fn as one span (ended when fn returns, throws, or its promise settles). */
export function span<T>(name: string, fn: () => T, cat = "berth"): T {
  if (!on) return fn();
  const end = begin(name, cat);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    end();
    throw err;
  }
  if (result instanceof Promise) return result.finally(end) as T;
  end();
  return result;
}

/** Record a span timed elsewhere (start and end on CLOCK_MONOTONIC, ns). */
export function record(name: string, start: bigint, end: bigint, cat = "berth"): void {
  if (on) spans.push({ name, cat, start, end });
}

/** The current time for record(), or 0n when tracing is off (no clock read). */
export function now(): bigint {
  return on ? process.hrtime.bigint() : 0n;
}

/** The spans so far, outer ones before the spans they contain. */
export function traceSpans(): Span[] {
  return [...spans].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.end > b.end ? -1 : a.end < b.end ? 1 : 0));
}

/** Each span with its depth: how many earlier spans contain it. */
function nested(list: Span[]): { span: Span; depth: number }[] {
  const open: Span[] = [];
  return list.map((s) => {
    while (open.length > 0 && open[open.length - 1]!.end < s.end) open.pop();
    const depth = open.length;
    open.push(s);
    return { span: s, depth };
  });
}

function ms(ns: bigint): string {
  return (Number(ns) / 1e6).toFixed(3);
}

/** A readable table: start offset and duration (ms), the step indented under what contains it. */
export function traceTable(list: Span[] = traceSpans()): string {
  if (list.length === 0) return "";
  const origin = list.reduce((m, s) => (s.start < m ? s.start : m), list[0]!.start);
  const rows = nested(list).map(({ span: s, depth }) => [ms(s.start - origin), ms(s.end - s.start), `${"  ".repeat(depth)}${s.name}`]);
  const w0 = Math.max(8, ...rows.map((r) => r[0]!.length));
  const w1 = Math.max(8, ...rows.map((r) => r[1]!.length));
  const line = (r: string[]): string => `${r[0]!.padStart(w0)}  ${r[1]!.padStart(w1)}  ${r[2]}`;
  return [line(["start ms", "dur ms", "step"]), ...rows.map(line)].join("\n") + "\n";
}

/** Chrome's trace-event format (complete events, µs), which trace viewers open. */
export function chromeTrace(list: Span[] = traceSpans()): { traceEvents: object[]; displayTimeUnit: string } {
  const origin = list.length === 0 ? 0n : list.reduce((m, s) => (s.start < m ? s.start : m), list[0]!.start);
  return {
    traceEvents: list.map((s) => ({
      name: s.name,
      cat: s.cat,
      ph: "X",
      ts: Number(s.start - origin) / 1000,
      dur: Number(s.end - s.start) / 1000,
      pid: process.pid,
      tid: 1,
    })),
    displayTimeUnit: "ms",
  };
}
