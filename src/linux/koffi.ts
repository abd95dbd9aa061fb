// The one place koffi (the FFI addon berth reaches libc and libseccomp through)
// is loaded. It costs more to load than most commands take, so it is loaded on
// first use, never at start-up.
//
// Under Node (tests, the Node build) it comes from node_modules. The compiled
// executable (scripts/compile.mjs) loads koffi's native addon, koffi.node, from
// beside itself, as it finds berth-init: an addon embedded in the executable
// would be written to $TMPDIR and loaded from there on every boot, which fails
// where /tmp is mounted noexec or read-only. The JavaScript part of koffi's
// package only adds deprecated aliases, so the addon alone is the API.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export type Koffi = typeof import("koffi");

/** Defined (true) by scripts/compile.mjs in the compiled executable; absent elsewhere. */
declare const BERTH_COMPILED: boolean | undefined;

let koffi: Koffi | undefined;

export function loadKoffi(): Koffi {
  if (koffi !== undefined) return koffi;
  if (typeof BERTH_COMPILED !== "undefined" && BERTH_COMPILED) {
    const mod = { exports: {} as Koffi };
    process.dlopen(mod, join(dirname(process.execPath), "koffi.node"));
    koffi = mod.exports;
  } else {
    koffi = createRequire(import.meta.url)("koffi") as Koffi;
  }
  return koffi;
}

/** A libc function bound through koffi (arguments and result as koffi passes them). */
export type LibcFn = (...args: unknown[]) => unknown;

let libcHandle: ReturnType<Koffi["load"]> | undefined;

/**
 * libc's functions by name, each bound from the prototype given, and errno. Every
 * module that calls libc declares what it needs through this, so libc is opened once.
 */
export function libcFunctions<K extends string>(prototypes: Record<K, string>): Record<K, LibcFn> & { errno: () => number } {
  const k = loadKoffi();
  libcHandle ??= k.load("libc.so.6");
  const lib = libcHandle;
  const out = {} as Record<K, LibcFn>;
  for (const name of Object.keys(prototypes) as K[]) out[name] = lib.func(prototypes[name]) as LibcFn;
  return Object.assign(out, { errno: () => k.errno() });
}

/** libcFunctions(prototypes), bound on the first call of the function returned and kept. */
export function lazyLibc<K extends string>(prototypes: Record<K, string>): () => Record<K, LibcFn> & { errno: () => number } {
  let bound: (Record<K, LibcFn> & { errno: () => number }) | undefined;
  return () => (bound ??= libcFunctions(prototypes));
}
