import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { homeDirFor, hostUserName } from "./passwd.js";

const dirs: string[] = [];
function root(): string {
  const d = mkdtempSync(join(tmpdir(), "berth-passwd-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("homeDirFor", () => {
  it("finds the home directory of a uid", () => {
    const r = root();
    mkdirSync(join(r, "etc"));
    writeFileSync(join(r, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n# c\nwww:x:33:33::/var/www:/bin/false\nnohome:x:7:7:::/bin/sh\n");
    expect(homeDirFor(r, 0)).toBe("/root");
    expect(homeDirFor(r, 33)).toBe("/var/www");
    expect(homeDirFor(r, 7)).toBe("/");
    expect(homeDirFor(r, 1000)).toBe("/");
  });
  it("falls back to / without a passwd file or when it is a symlink", () => {
    const r = root();
    expect(homeDirFor(r, 0)).toBe("/");
    mkdirSync(join(r, "etc"));
    symlinkSync("/etc/passwd", join(r, "etc/passwd"));
    expect(homeDirFor(r, 0)).toBe("/");
  });
});

describe("hostUserName (list's OWNER column)", () => {
  const passwd = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
  it("names the uid, or #uid as runc does when it is not listed or /etc/passwd cannot be read", () => {
    expect(hostUserName(65534, () => passwd)).toBe("nobody");
    expect(hostUserName(0, () => passwd)).toBe("root");
    expect(hostUserName(1000, () => passwd)).toBe("#1000");
    expect(
      hostUserName(0, () => {
        throw new Error("EACCES");
      }),
    ).toBe("#0");
  });
});
