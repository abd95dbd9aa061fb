import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "./hash.js";

const BUN = join(import.meta.dirname, "../node_modules/@oven/bun-linux-x64/bin/bun");

describe("sha256Hex", () => {
  it("is SHA-256 (FIPS 180-2 test vectors)", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  // The pinned Bun (a dependency in package-lock.json) is always installed with the tests.
  it("gives the same digest under Bun's native hasher, which the shipped executable uses", () => {
    const text = 'a profile: {"defaultAction":"SCMP_ACT_ERRNO"} é';
    const script = `import { sha256Hex } from ${JSON.stringify(join(import.meta.dirname, "hash.ts"))}; process.stdout.write(sha256Hex(${JSON.stringify(text)}));`;
    const out = execFileSync(BUN, ["-e", script], { encoding: "utf8" });
    expect(out).toBe(sha256Hex(text));
  });
});
