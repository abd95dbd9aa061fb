// Builds berth as one executable: src/cli/main.ts and everything it imports,
// bundled, minified, precompiled to bytecode and joined to the Bun runtime
// (the pinned npm package @oven/bun-linux-x64). Run by make with that Bun:
//   bun scripts/compile.mjs OUTFILE
// At run time the executable needs two files beside it and nothing else from
// the checkout: berth-init (src/runtime/spawnInit.ts) and koffi.node
// (src/linux/koffi.ts), which make copies there.

import { resolve } from "node:path";

const out = process.argv[2];
if (out === undefined) {
  console.error("usage: bun scripts/compile.mjs OUTFILE");
  process.exit(2);
}

const result = await Bun.build({
  entrypoints: [resolve(import.meta.dir, "../src/cli/main.ts")],
  // Bun's executables read .env, bunfig.toml, package.json and tsconfig.json from the
  // current directory at start by default. berth runs as root in its caller's directory:
  // a .env there could set BERTH_INIT and make berth start another program as root.
  compile: {
    outfile: resolve(out),
    autoloadDotenv: false,
    autoloadBunfig: false,
    autoloadPackageJson: false,
    autoloadTsconfig: false,
    // JSC's JIT tiers up 1000 times later than by default. A berth command lives for
    // milliseconds and has no hot loop: compiling its functions cost more than it saved
    // (callgrind: `state` 10.3M → 9.9M instructions, `run` about 50M → 42M).
    jitPolicy: 1000,
  },
  format: "esm",
  // Each subcommand's modules in their own chunk inside the executable: a command
  // loads only the code it runs (one bundle made every command pay for all of it).
  splitting: true,
  bytecode: true,
  minify: true,
  define: { BERTH_COMPILED: "true" },
  // Only ever loaded through src/linux/koffi.ts, from beside the executable.
  external: ["koffi"],
});
for (const log of result.logs) console.error(log);
if (!result.success) process.exit(1);
