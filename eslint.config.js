// eslint for berth's TypeScript and JavaScript: the recommended rules of eslint and
// typescript-eslint, type-aware (src/, test/, native/tests/, conformance/ and bench/ are one
// TypeScript project, tsconfig.json). Formatting is prettier's job, not eslint's.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

const NODE_GLOBALS = Object.fromEntries(
  [
    "process",
    "console",
    "Buffer",
    "URL",
    "setTimeout",
    "clearTimeout",
    "setInterval",
    "clearInterval",
    "setImmediate",
    "performance",
    "fetch",
    "AbortController",
  ].map((name) => [name, "readonly"]),
);

export default defineConfig(
  // Build output (dist/, bin/, build/ with the demo bundle), dependencies, generated code.
  { ignores: ["dist/", "bin/", "build/", "node_modules/", ".cache/", "src/spec/generated/", "src/runtime/protocol.ts"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // berth writes `!` after indexed access (tsconfig has no noUncheckedIndexedAccess yet), which this rule calls unnecessary.
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
      // Command handlers and a few loaders are async because their callers await an interface, not because they await.
      "@typescript-eslint/require-await": "off",
      // The protocol's enums (src/runtime/protocol.ts) are compared with numbers read off the wire.
      "@typescript-eslint/no-unsafe-enum-comparison": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
      // Passing a caught value on is fine; creating a rejection from a non-Error is not.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
    },
  },
  {
    // Tests take documents apart as loosely typed JSON, and write uint64 bounds as literals on purpose
    // (JSON numbers round the same way).
    files: ["**/*.test.ts", "test/**/*.ts", "conformance/**/*.ts", "native/tests/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "no-loss-of-precision": "off",
    },
  },
  {
    // JavaScript (build scripts, benchmarks, this file): outside the TypeScript project, Node globals.
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    // Run by the pinned Bun (Makefile), which provides the Bun global.
    files: ["scripts/compile.mjs", "scripts/docs.mjs"],
    languageOptions: { globals: { Bun: "readonly" } },
  },
);
