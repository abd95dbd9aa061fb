import { describe, expect, it } from "vitest";
import { checkRootlessConfig } from "./rootless.js";
import type { Spec } from "./types.js";

const SELF = [{ containerID: 0, hostID: 1000, size: 1 }];

function spec(edit: (s: Spec) => void = () => {}): Spec {
  const s: Spec = {
    ociVersion: "1.3.0",
    process: { cwd: "/", args: ["true"], user: { uid: 0, gid: 0 } },
    mounts: [{ destination: "/dev/pts", type: "devpts", source: "devpts", options: ["newinstance", "mode=0620"] }],
    linux: { namespaces: [{ type: "mount" }, { type: "user" }], uidMappings: SELF, gidMappings: SELF },
  };
  edit(s);
  return s;
}

describe("a rootless caller's config", () => {
  it("accepts what `berth spec --rootless` writes", () => {
    expect(() => checkRootlessConfig(spec(), 1000)).not.toThrow();
  });

  it("needs a user namespace and, for a new one, both mappings", () => {
    expect(() =>
      checkRootlessConfig(
        spec((s) => {
          s.linux!.namespaces = [{ type: "mount" }];
        }),
        1000,
      ),
    ).toThrow(expect.objectContaining({ path: "linux.namespaces" }));
    expect(() =>
      checkRootlessConfig(
        spec((s) => {
          s.linux!.uidMappings = [];
        }),
        1000,
      ),
    ).toThrow(expect.objectContaining({ path: "linux.uidMappings" }));
    expect(() =>
      checkRootlessConfig(
        spec((s) => {
          delete s.linux!.gidMappings;
        }),
        1000,
      ),
    ).toThrow(expect.objectContaining({ path: "linux.gidMappings" }));
    expect(() =>
      checkRootlessConfig(
        spec((s) => {
          s.linux!.namespaces = [{ type: "user", path: "/proc/7/ns/user" }];
          delete s.linux!.uidMappings;
          delete s.linux!.gidMappings;
        }),
        1000,
      ),
    ).not.toThrow();
  });

  it("refuses uid=/gid= mount options for unmapped ids (runc's check)", () => {
    expect(() =>
      checkRootlessConfig(
        spec((s) => {
          s.mounts![0]!.options!.push("gid=5");
        }),
        1000,
      ),
    ).toThrow(expect.objectContaining({ path: "mounts[0].options" }));
    expect(() =>
      checkRootlessConfig(
        spec((s) => {
          s.mounts![0]!.options!.push("uid=0");
        }),
        1000,
      ),
    ).not.toThrow();
  });

  it("refuses supplementary groups where setgroups is denied (only the caller's gid mapped)", () => {
    const groups = (s: Spec) => {
      s.process!.user.additionalGids = [0];
    };
    expect(() => checkRootlessConfig(spec(groups), 1000)).toThrow(expect.objectContaining({ path: "process.user.additionalGids" }));
    expect(() =>
      checkRootlessConfig(
        spec((s) => {
          groups(s);
          s.linux!.gidMappings = [...SELF, { containerID: 1, hostID: 100000, size: 10 }];
        }),
        1000,
      ),
    ).not.toThrow();
  });
});
