// SHA-256 of a string, in hex. The shipped executable runs on Bun, whose native
// hasher costs nothing to reach; node:crypto costs Bun about 200 page faults to
// load (about 1 ms, more than a create's whole seccomp cache lookup). Under Node
// (the test runner) node:crypto, loaded on first use.

import { bun, type BunHasher } from "./bun.js";

export function sha256Hex(text: string): string {
  const h: BunHasher = bun !== undefined ? new bun.CryptoHasher("sha256") : process.getBuiltinModule("node:crypto").createHash("sha256");
  return h.update(text).digest("hex");
}
