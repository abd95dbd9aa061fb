// Idmapped bind mounts (runtime-spec config.md: mounts[].uidMappings/gidMappings and the
// idmap/ridmap options; runc 1.2's behaviour where the spec leaves a choice). Checked from
// inside a container: file owners as `stat -c %u` sees them through the mapping, and the
// host owner of a file the container creates. Bad configurations fail naming the JSON path
// and leave nothing behind.

import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Mount, Spec } from "../../src/spec/types.js";
import { needs } from "../helpers/host.js";
import { Sandbox } from "../helpers/index.js";

const USERNS = [{ containerID: 0, hostID: 100000, size: 65536 }];

/** A container in a user namespace mapping 0…65535 to host 100000…165535. */
function inUserns(c: Spec): void {
  c.linux!.namespaces!.push({ type: "user" });
  c.linux!.uidMappings = USERNS;
  c.linux!.gidMappings = USERNS;
}

needs("containers", "berth", "idmapped-mounts").describe("mounts: idmapped binds", () => {
  const sb = new Sandbox();
  let top = "";
  let src = "";
  beforeAll(() => {
    // src/owned (host uid 1234, gid 4321), src/rootfile (0:0), and src/sub: a bind of
    // another directory (a submount, on the same filesystem) holding sub/rootfile (0:0)
    top = mkdtempSync("/tmp/berth-test-idmap-");
    chmodSync(top, 0o755); // the plain bind is opened by the container's root, host uid 100000
    src = join(top, "src");
    mkdirSync(join(src, "sub"), { recursive: true });
    mkdirSync(join(top, "other"));
    writeFileSync(join(src, "owned"), "x");
    chownSync(join(src, "owned"), 1234, 4321);
    writeFileSync(join(src, "rootfile"), "x");
    writeFileSync(join(top, "other", "rootfile"), "x");
    chmodSync(src, 0o777);
    execFileSync("mount", ["--bind", join(top, "other"), join(src, "sub")]);
  });
  afterAll(async () => {
    await sb.cleanup();
    if (top !== "") {
      execFileSync("umount", [join(src, "sub")]);
      rmSync(top, { recursive: true, force: true });
    }
  });

  const mount = (extra: Partial<Mount>): Mount => ({ destination: "/data", type: "bind", source: src, options: ["rbind"], ...extra });
  const run = (prefix: string, script: string, edit: (c: Spec) => void): string => {
    const b = sb.bundle({
      edit: (c) => {
        c.process!.args = ["sh", "-c", script];
        edit(c);
      },
    });
    chmodSync(b.dir, 0o755); // the mapped root must reach the rootfs
    mkdirSync(b.inRootfs("/data"), { recursive: true });
    return sb.ok(["run", "--bundle", b.dir, sb.id(prefix)]).stdout;
  };
  const STAT = "stat -c '%u:%g %n' /data/owned /data/rootfile /data/sub/rootfile";

  it("with idmap, files show the owners the container's mapping gives them; without, the unmapped ones are nobody", () => {
    const plain = run("plain", STAT, (c) => {
      inUserns(c);
      c.mounts!.push(mount({}));
    });
    expect(plain).toBe("65534:65534 /data/owned\n65534:65534 /data/rootfile\n65534:65534 /data/sub/rootfile\n");
    // idmap maps the top mount only; the submount keeps the host's view
    const mapped = run("idmap", STAT, (c) => {
      inUserns(c);
      c.mounts!.push(mount({ options: ["rbind", "idmap"] }));
    });
    expect(mapped).toBe("1234:4321 /data/owned\n0:0 /data/rootfile\n65534:65534 /data/sub/rootfile\n");
  });

  it("ridmap maps every mount of the rbind's tree", () => {
    const out = run("ridmap", STAT, (c) => {
      inUserns(c);
      c.mounts!.push(mount({ options: ["rbind", "ridmap"] }));
    });
    expect(out).toBe("1234:4321 /data/owned\n0:0 /data/rootfile\n0:0 /data/sub/rootfile\n");
  });

  it("an idmapped rbind takes ro and rro like any bind", () => {
    const script = `${STAT}; touch /data/w /data/sub/w 2>&1; true`;
    const out = run("idmapro", script, (c) => {
      inUserns(c);
      c.mounts!.push(mount({ options: ["rbind", "ridmap", "ro", "rro"] }));
    });
    expect(out).toBe(
      "1234:4321 /data/owned\n0:0 /data/rootfile\n0:0 /data/sub/rootfile\n" +
        "touch: /data/w: Read-only file system\ntouch: /data/sub/w: Read-only file system\n",
    );
  });

  it("a file created inside lands with the host owner the mapping gives back", () => {
    const script = "touch /data/by-root /data/by-1000 && chown 1000:1000 /data/by-1000 && stat -c '%u:%g' /data/by-root /data/by-1000";
    const out = run("create", script, (c) => {
      inUserns(c);
      c.mounts!.push(mount({ options: ["rbind", "idmap"] }));
      const caps = c.process!.capabilities!;
      for (const set of ["bounding", "effective", "permitted"] as const) caps[set] = [...(caps[set] ?? []), "CAP_CHOWN"];
    });
    expect(out).toBe("0:0\n1000:1000\n");
    // container root is host uid 100000, which the mount maps back to 0 on disk; container 1000 to 1000
    expect([statSync(join(src, "by-root")).uid, statSync(join(src, "by-root")).gid]).toEqual([0, 0]);
    expect([statSync(join(src, "by-1000")).uid, statSync(join(src, "by-1000")).gid]).toEqual([1000, 1000]);
    rmSync(join(src, "by-root"));
    rmSync(join(src, "by-1000"));
  });

  it("the mount's own mappings can differ from the container's", () => {
    // on-disk 1234 → 100005 in the mount's mapping → uid 5 in the container's user namespace
    const maps = [{ containerID: 1234, hostID: 100005, size: 1 }];
    const gmaps = [{ containerID: 4321, hostID: 100007, size: 1 }];
    const out = run("explicit", STAT, (c) => {
      inUserns(c);
      c.mounts!.push(mount({ options: ["rbind", "idmap"], uidMappings: maps, gidMappings: gmaps }));
    });
    expect(out).toBe("5:7 /data/owned\n65534:65534 /data/rootfile\n65534:65534 /data/sub/rootfile\n");
  });

  it("a container that joins a user namespace takes that namespace's mapping for idmap", () => {
    const holder = sb.bundle({ args: ["sleep", "60"], edit: inUserns });
    chmodSync(holder.dir, 0o755);
    const hid = sb.id("holder");
    sb.runDetached(hid, holder);
    const pid = sb.state(hid).pid;
    const out = run("joined", STAT, (c) => {
      c.linux!.namespaces!.push({ type: "user", path: `/proc/${pid}/ns/user` });
      c.mounts!.push(mount({ options: ["rbind", "idmap"] }));
    });
    expect(out).toBe("1234:4321 /data/owned\n0:0 /data/rootfile\n65534:65534 /data/sub/rootfile\n");
    sb.ok(["delete", "--force", hid]);
  });

  it("mappings work without a container user namespace too (runc 1.2)", () => {
    const maps = [{ containerID: 0, hostID: 2000, size: 1 }];
    const out = run("nouserns", "stat -c '%u:%g' /data/rootfile", (c) => {
      c.mounts!.push(mount({ uidMappings: maps, gidMappings: maps }));
    });
    expect(out).toBe("2000:2000\n");
  });

  it("idmap without mappings and without a user namespace is refused at the option, leaving nothing", async () => {
    const b = sb.bundle({
      edit: (c) => {
        c.mounts!.push(mount({ options: ["rbind", "idmap"] }));
      },
    });
    const err = await sb.refuseCreate(b, /mounts\[\d+\]\.options\[1\]/);
    expect(err).toMatch(/no user namespace/);
  });

  it("mappings on a mount that is not a bind are refused at uidMappings, leaving nothing", async () => {
    const b = sb.bundle({
      edit: (c) => {
        inUserns(c);
        c.mounts!.push({
          destination: "/t",
          type: "tmpfs",
          source: "tmpfs",
          options: ["size=1m"],
          uidMappings: USERNS,
          gidMappings: USERNS,
        });
      },
    });
    await sb.refuseCreate(b, /mounts\[\d+\]\.uidMappings.*must be a bind mount/);
  });

  it("a source whose filesystem cannot be idmapped fails in berth-init naming the mount, leaving nothing", async () => {
    const b = sb.bundle({
      edit: (c) => {
        inUserns(c);
        c.mounts!.push({ destination: "/hostproc", type: "bind", source: "/proc", options: ["bind", "idmap"] });
      },
    });
    chmodSync(b.dir, 0o755);
    mkdirSync(b.inRootfs("/hostproc"), { recursive: true });
    const err = await sb.refuseCreate(b, /mounts\[\d+\]: idmap the bind mount of \\?"\/proc/);
    expect(err).toMatch(/invalid argument/i);
  });
});
