// A vitest reporter that ends the run with one line per missing host requirement
// and the number of tests it skipped, e.g.
//   skipped: io-weight (a blkio cgroup has neither blkio.weight nor blkio.bfq.weight …): 3 tests
// read from the "[skipped: needs …]" markers test/helpers/host.ts puts into titles.
// Tests skipped for another reason (ctx.skip with a note, it.skip in code) are
// listed too, so no skip goes unexplained. With $BERTH_SKIP_SUMMARY set, the
// same lines are also written to that file after a first line with the counts
// ("tests: 840 passed, 0 failed, 14 skipped"); scripts/test.sh prints them last.

import { writeFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";
import { requirementsInTitle, whyMissing, type Requirement } from "./host.js";

export function summarise(modules: ReadonlyArray<TestModule>): string[] {
  const byReq = new Map<string, number>();
  const other = new Map<string, number>();
  for (const mod of modules) {
    for (const test of mod.children.allTests()) {
      const result = test.result();
      if (result.state !== "skipped") continue;
      const reqs = requirementsInTitle(test.fullName);
      if (reqs.length > 0) {
        for (const r of reqs) byReq.set(r, (byReq.get(r) ?? 0) + 1);
      } else {
        const why = result.note ?? "skipped in code";
        const key = `${test.module.moduleId.replace(/^.*?\/(src|test|conformance|native)\//, "$1/")}: ${why}`;
        other.set(key, (other.get(key) ?? 0) + 1);
      }
    }
  }
  const lines: string[] = [];
  for (const [req, n] of [...byReq].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    let why: string | undefined;
    try {
      why = whyMissing(req as Requirement);
    } catch (err) {
      why = String(err);
    }
    lines.push(`skipped: ${req} (${why ?? "met in this process, missing where the tests ran"}): ${n} test${n === 1 ? "" : "s"}`);
  }
  for (const [key, n] of [...other].sort()) lines.push(`skipped: other, ${key}: ${n} test${n === 1 ? "" : "s"}`);
  return lines;
}

/** "P passed, F failed, S skipped" over every test of the run. */
export function counts(modules: ReadonlyArray<TestModule>): string {
  let passed = 0,
    failed = 0,
    skipped = 0;
  for (const mod of modules) {
    for (const test of mod.children.allTests()) {
      const state = test.result().state;
      if (state === "passed") passed++;
      else if (state === "failed") failed++;
      else if (state === "skipped") skipped++;
    }
  }
  // A module that failed to load has no tests to count, but is a failure.
  for (const mod of modules) if (mod.state() === "failed" && [...mod.children.allTests()].length === 0) failed++;
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}

export default class SkipSummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines = summarise(modules);
    const text = lines.length === 0 ? "skipped: nothing\n" : `${lines.join("\n")}\n`;
    process.stdout.write(`\nSkip summary (missing host requirements)\n${text}`);
    const file = process.env.BERTH_SKIP_SUMMARY;
    if (file !== undefined && file !== "") writeFileSync(file, `tests: ${counts(modules)}\n${text}`);
  }
}
