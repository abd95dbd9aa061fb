// Removing a cgroup directory a test made: rmdir answers EBUSY for a moment
// after its last process has exited, so retry briefly.

import { rmdirSync } from "node:fs";

const cell = new Int32Array(new SharedArrayBuffer(4));

/** rmdir `dir`, retrying EBUSY for up to a second; any other outcome (gone, removed, other error) ends it. */
export function rmdirCgroup(dir: string): void {
  for (let i = 0; i < 100; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EBUSY") return;
      Atomics.wait(cell, 0, 0, 10);
    }
  }
}
