// The planner's part of recursive mount attributes and idmapped mounts: option strings
// become set/clear masks, mappings become uid_map text or a user namespace path, and a
// mount that cannot be idmapped is refused at the JSON path at fault.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { thrown } from "../testing/thrown.js";
import { planOptions } from "../testing/planOptions.js";
import type { Mount, Spec } from "../spec/types.js";
import { buildInitPlan, type InitPlanOptions } from "./planBuilder.js";
import { encodePlan } from "./planCodec.js";
import { renderIdMap } from "./mountExtras.js";
import { cgroupMounts } from "./cgroupMounts.js";
import {
  MOUNT_ATTR_NOEXEC,
  MOUNT_ATTR_NOSUID,
  MOUNT_ATTR_RDONLY,
  MOUNT_ATTR_STRICTATIME,
  MOUNT_ATTR__ATIME,
} from "../linux/mountOptions.js";
import { Tag } from "./protocol.js";

let bundle: string;

beforeAll(() => {
  bundle = mkdtempSync(join(tmpdir(), "berth-mountextras-"));
  mkdirSync(join(bundle, "rootfs"));
  mkdirSync(join(bundle, "data"));
});
afterAll(() => rmSync(bundle, { recursive: true, force: true }));

const MAPS = [{ containerID: 0, hostID: 100000, size: 65536 }];

function spec(mount: Mount, userns: "none" | "new" | "join" = "none"): Spec {
  const s: Spec = {
    ociVersion: "1.3.0",
    root: { path: "rootfs" },
    process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/" },
    mounts: [{ destination: "/proc", type: "proc", source: "proc" }, mount],
    linux: { namespaces: [{ type: "pid" }, { type: "mount" }] },
  };
  if (userns === "new") {
    s.linux!.namespaces!.push({ type: "user" });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 300000, size: 1000 }];
  }
  if (userns === "join") s.linux!.namespaces!.push({ type: "user", path: "/proc/self/ns/user" });
  return s;
}

function opts(euid = 0): InitPlanOptions {
  return planOptions(bundle, {
    host: { hasKcore: () => false, lastCap: () => 40, inUserNs: () => false, euid: () => euid, readlink: () => "user:[4026531837]" },
  });
}

const bind = (options: string[], extra: Partial<Mount> = {}): Mount => ({
  destination: "/data",
  type: "bind",
  source: "data",
  options,
  ...extra,
});

describe("recursive mount attributes in the plan", () => {
  it("resolve option strings into set/clear masks, named by the mount's options path", () => {
    const m = buildInitPlan(spec(bind(["rbind", "ro", "rro", "rnosuid", "rnoexec", "rstrictatime"])), opts()).mounts[1]!;
    expect(m.recursiveAttr).toEqual({
      set: MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_STRICTATIME,
      clear: MOUNT_ATTR__ATIME,
      what: "mounts[1].options",
    });
    // the plain flags stay for the top mount, as before
    expect(m.remountFlags).toBe(1n);
    expect(buildInitPlan(spec(bind(["rbind", "ro"])), opts()).mounts[1]!.recursiveAttr).toBeUndefined();
  });

  it("apply to any mount type, and to every mount a cgroup mount becomes", () => {
    const tmp = buildInitPlan(spec({ destination: "/t", type: "tmpfs", source: "tmpfs", options: ["rnosuid", "size=1m"] }), opts())
      .mounts[1]!;
    expect(tmp.recursiveAttr).toEqual({ set: MOUNT_ATTR_NOSUID, clear: 0, what: "mounts[1].options" });
    expect(tmp.data).toBe("size=1m");
    const cg = buildInitPlan(spec({ destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["rro"] }), opts())
      .mounts[1]!;
    const v1 = {
      layout: "v1" as const,
      hierarchies: { memory: { mountPoint: "/sys/fs/cgroup/memory", root: "/" }, pids: { mountPoint: "/sys/fs/cgroup/pids", root: "/" } },
    };
    const out = cgroupMounts(cg, { paths: { memory: "/sys/fs/cgroup/memory/c1", pids: "/sys/fs/cgroup/pids/c1" } } as never, v1 as never);
    expect(out.mounts).toHaveLength(3);
    for (const x of out.mounts) expect(x.recursiveAttr).toEqual({ set: MOUNT_ATTR_RDONLY, clear: 0, what: "mounts[1].options" });
  });

  it("go on the wire as MOUNT_ATTR records naming the mount's index", () => {
    const p = buildInitPlan(spec(bind(["rbind", "rro"])), opts());
    const buf = encodePlan(p);
    const tags: number[] = [];
    for (let off = 0; off < buf.length; off += 8 + buf.readUInt32LE(off + 4)) tags.push(buf.readUInt16LE(off));
    expect(tags.filter((t) => t === Tag.MOUNT_ATTR)).toHaveLength(1);
    expect(tags.filter((t) => t === Tag.MOUNT_IDMAP)).toHaveLength(0);
  });
});

describe("idmapped mounts in the plan", () => {
  it("render explicit mappings as uid_map/gid_map text, with or without a container user namespace", () => {
    const m = bind(["rbind", "idmap"], {
      uidMappings: MAPS,
      gidMappings: [
        { containerID: 0, hostID: 5, size: 1 },
        { containerID: 1, hostID: 100001, size: 10 },
      ],
    });
    for (const userns of ["none", "new"] as const) {
      expect(buildInitPlan(spec(m, userns), opts()).mounts[1]!.idmap).toEqual({
        uidMap: "0 100000 65536\n",
        gidMap: "0 5 1\n1 100001 10\n",
        recursive: false,
        what: "mounts[1]",
      });
    }
    expect(renderIdMap([])).toBe("");
  });

  it("take the mapping of the container's new user namespace for idmap/ridmap without mappings", () => {
    const m = buildInitPlan(spec(bind(["rbind", "ridmap"]), "new"), opts()).mounts[1]!;
    expect(m.idmap).toEqual({ uidMap: "0 200000 1000\n", gidMap: "0 300000 1000\n", recursive: true, what: "mounts[1]" });
    expect(m.flags & 0x4000n).toBe(0x4000n);
    expect(m.data).toBe("");
  });

  it("take the joined user namespace itself when the container joins one", () => {
    const m = buildInitPlan(spec(bind(["bind", "idmap"]), "join"), opts()).mounts[1]!;
    expect(m.idmap).toEqual({ usernsPath: "/proc/self/ns/user", recursive: false, what: "mounts[1]" });
  });

  it("treat mappings without idmap/ridmap as idmap (the top mount)", () => {
    const m = buildInitPlan(spec(bind(["rbind"], { uidMappings: MAPS, gidMappings: MAPS })), opts()).mounts[1]!;
    expect(m.idmap?.recursive).toBe(false);
    expect(buildInitPlan(spec(bind(["rbind"])), opts()).mounts[1]!.idmap).toBeUndefined();
  });

  it("are refused on a mount that is not a bind, at the field that asked for it", () => {
    const tmp = (extra: Partial<Mount>, options: string[]): Mount => ({
      destination: "/t",
      type: "tmpfs",
      source: "tmpfs",
      options,
      ...extra,
    });
    let e = thrown(() => buildInitPlan(spec(tmp({ uidMappings: MAPS, gidMappings: MAPS }, ["size=1m"])), opts()));
    expect(e.path).toBe("mounts[1].uidMappings");
    expect(e.message).toMatch(/must be a bind mount/);
    expect(e.hint).toMatch(/rbind/);
    e = thrown(() => buildInitPlan(spec(tmp({}, ["size=1m", "ridmap"]), "new"), opts()));
    expect(e.path).toBe("mounts[1].options[1]");
  });

  it("without mappings need a container user namespace (runtime-spec: an error MUST be returned)", () => {
    const e = thrown(() => buildInitPlan(spec(bind(["rbind", "idmap"])), opts()));
    expect(e.path).toBe("mounts[1].options[1]");
    expect(e.message).toMatch(/no user namespace/);
    expect(e.hint).toMatch(/uidMappings and gidMappings/);
  });

  it("refuse empty mappings and a berth that is not root", () => {
    let e = thrown(() => buildInitPlan(spec(bind(["rbind", "idmap"], { uidMappings: [], gidMappings: MAPS }), "new"), opts()));
    expect(e.path).toBe("mounts[1].uidMappings");
    e = thrown(() => buildInitPlan(spec(bind(["rbind", "idmap"], { uidMappings: MAPS, gidMappings: [] })), opts()));
    expect(e.path).toBe("mounts[1].gidMappings");
    e = thrown(() => buildInitPlan(spec(bind(["rbind", "idmap"]), "new"), opts(1000)));
    expect(e.path).toBe("mounts[1].options[1]");
    expect(e.message).toMatch(/need root/);
  });

  it("refuse crun's idmap=uids=… form instead of passing it on as data a bind would ignore", () => {
    const e = thrown(() => buildInitPlan(spec(bind(["rbind", "idmap=uids=0-100000-65536;gids=0-100000-65536"]), "new"), opts()));
    expect(e.path).toBe("mounts[1].options[1]");
    expect(e.hint).toMatch(/uidMappings/);
  });

  it("go on the wire as a MOUNT_IDMAP record", () => {
    const buf = encodePlan(buildInitPlan(spec(bind(["rbind", "ridmap", "rro"]), "new"), opts()));
    const tags: number[] = [];
    for (let off = 0; off < buf.length; off += 8 + buf.readUInt32LE(off + 4)) tags.push(buf.readUInt16LE(off));
    expect(tags.filter((t) => t === Tag.MOUNT_IDMAP)).toHaveLength(1);
    expect(tags.filter((t) => t === Tag.MOUNT_ATTR)).toHaveLength(1);
  });
});
