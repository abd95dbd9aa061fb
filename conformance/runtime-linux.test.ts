// runtime-linux.md: file descriptors and /dev symbolic links.

import { afterAll, expect, it } from "vitest";
import { needs } from "../test/helpers/host.js";
import { Sandbox } from "../test/helpers/index.js";
import { runLines } from "./common.js";

needs("containers").describe("conformance: runtime-linux.md", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  it("runtime-linux.md file descriptors: only stdin, stdout and stderr are open by default", () => {
    // ls itself holds fd 3 open on /proc/self/fd while it lists it.
    expect(runLines(sb, "ls /proc/self/fd")).toEqual(["0", "1", "2", "3"]);
  });

  it("runtime-linux.md dev symbolic links: /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr point into /proc/self/fd", () => {
    const out = runLines(sb, 'for l in fd stdin stdout stderr; do echo "$l $(readlink /dev/$l)"; done');
    expect(out).toEqual(["fd /proc/self/fd", "stdin /proc/self/fd/0", "stdout /proc/self/fd/1", "stderr /proc/self/fd/2"]);
  });

  it("runtime-linux.md dev symbolic links: the links work (writing to /dev/stdout reaches stdout)", () => {
    expect(runLines(sb, "echo via-link > /dev/stdout")).toEqual(["via-link"]);
  });
});
