// runc's tmpcopyup mount option (podman --read-only mounts its tmpfs volumes with it):
// the new tmpfs starts with a copy of what its destination held, with type, mode and
// owner kept; writes go to the tmpfs, never to the rootfs. Compared with runc where it
// is there.

import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import type { Spec } from "../../src/spec/types.js";
import { RUNC_BIN, needs } from "../helpers/host.js";
import { Sandbox, type Bundle } from "../helpers/index.js";

// Lists the tree with numeric owners (not times: runc does not keep them).
const LIST = "cd /data && find . | sort | while read f; do stat -c '%n %F %a %u:%g' \"$f\"; done; readlink link; cat sub/deep";

function populate(b: Bundle): void {
  const d = b.inRootfs("/data");
  mkdirSync(`${d}/sub`, { recursive: true });
  writeFileSync(`${d}/file`, "top\n");
  chmodSync(`${d}/file`, 0o640);
  chownSync(`${d}/file`, 1000, 1001);
  writeFileSync(`${d}/sub/deep`, "deep\n");
  chmodSync(`${d}/sub`, 0o750);
  symlinkSync("sub/deep", `${d}/link`);
  chmodSync(d, 0o711);
}

needs("containers").describe("mounts: tmpcopyup", () => {
  const sb = new Sandbox();
  afterAll(() => sb.cleanup());

  const withCopyUp =
    (args: string[], options: string[]) =>
    (c: Spec): void => {
      c.process!.args = args;
      c.mounts!.push({ destination: "/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", ...options] });
    };

  it("the tmpfs starts with the destination's files, modes and owners; writes stay in the tmpfs", () => {
    const b = sb.bundle({
      edit: withCopyUp(
        ["sh", "-c", `${LIST}; echo new > /data/new && echo wrote; grep ' /data ' /proc/mounts | cut -d' ' -f3`],
        ["size=1m"],
      ),
    });
    populate(b);
    const r = sb.ok(["run", "--bundle", b.dir, sb.id("copyup")]);
    expect(r.stdout.split("\n")).toEqual([
      ". directory 711 0:0",
      "./file regular file 640 1000:1001",
      "./link symbolic link 777 0:0",
      "./sub directory 750 0:0",
      "./sub/deep regular file 644 0:0",
      "sub/deep",
      "deep",
      "wrote",
      "tmpfs",
      "",
    ]);
    expect(existsSync(b.inRootfs("/data/new"))).toBe(false);
  });

  it("with ro the copy is made first, then the tmpfs is read-only", () => {
    const b = sb.bundle({
      edit: withCopyUp(["sh", "-c", "cat /data/sub/deep; echo x > /data/new 2>/dev/null && echo wrote || echo refused"], ["ro"]),
    });
    populate(b);
    const r = sb.ok(["run", "--bundle", b.dir, sb.id("copyupro")]);
    expect(r.stdout).toBe("deep\nrefused\n");
  });

  needs("runc").it("gives the same tree as runc", () => {
    const b = sb.bundle({ edit: withCopyUp(["sh", "-c", LIST], ["size=1m"]) });
    populate(b);
    const ours = sb.ok(["run", "--bundle", b.dir, sb.id("copyupcmp")]);
    const root = mkdtempSync("/tmp/berth-test-runcroot-");
    try {
      const theirs = spawnSync(RUNC_BIN, ["--root", root, "run", "--bundle", b.dir, sb.id("copyuprunc")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 20_000,
      });
      expect(theirs.status, theirs.stderr).toBe(0);
      expect(ours.stdout).toBe(theirs.stdout);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
