import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "conformance/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real containers; keep them from fighting over the machine.
    fileParallelism: false,
    // The default output, then one line per missing host requirement with the tests it skipped.
    reporters: ["default", "./test/helpers/skipSummary.ts"],
  },
});
