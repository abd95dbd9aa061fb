// stdout carries only a command's output. It is written with writeSync on fd 1
// so Node never turns the shared stdio into a non-blocking stream under the
// container's feet. TextEncoder rather than Buffer: Bun builds Buffer's class on
// first use, which a command that only prints JSON need not pay for.
import { writeSync } from "node:fs";

export function out(text: string): void {
  let buf = new TextEncoder().encode(text);
  while (buf.length > 0) {
    const n = writeSync(1, buf);
    buf = buf.subarray(n);
  }
}
