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
