import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { features } from "./features.js";
import { parseMountOptions, isMountOptionSupported } from "../linux/mountOptions.js";
import { capabilityNumber } from "../linux/capabilities.js";
import { namespaceInfo } from "../linux/namespaces.js";
import { needs, RUNTIME_SPEC_SCHEMA } from "../../test/helpers/host.js";

function load(name: string): Record<string, unknown> {
  const s = JSON.parse(readFileSync(join(RUNTIME_SPEC_SCHEMA, name), "utf8")) as Record<string, unknown>;
  delete s.$schema; // draft-04 marker; the keywords used here mean the same in Ajv's default draft
  return s;
}

describe("features", () => {
  needs("runtime-spec-schema").it("validates against the runtime-spec features schema", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const f of ["defs.json", "defs-linux.json", "features-linux.json"]) ajv.addSchema(load(f), f);
    const validate = ajv.compile(load("features-schema.json"));
    const ok = validate(features());
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // The schema is strict enough to catch a wrong shape.
    expect(validate({ ...features(), linux: { namespaces: ["bogus"] } })).toBe(false);
  });

  it("reports versions, hooks and disabled extras", () => {
    const f = features();
    expect(f.ociVersionMin).toBe("1.0.0");
    expect(f.ociVersionMax).toBe("1.3.0");
    expect(f.hooks).toEqual(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]);
    expect(Object.keys(f.linux.cgroup).sort()).toEqual(["rdma", "systemd", "systemdUser", "v1", "v2"]);
    // seccomp: what libseccomp and this kernel offer; NOTIFY with a kernel that makes listeners (5.0+).
    expect(f.linux.seccomp.enabled).toBe(true);
    expect(f.linux.seccomp.actions).toContain("SCMP_ACT_ERRNO");
    expect(f.linux.seccomp.actions).toContain("SCMP_ACT_NOTIFY");
    expect(f.linux.seccomp.archs).toEqual(expect.arrayContaining(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]));
    expect(f.linux.seccomp.operators).toHaveLength(7);
    expect(f.linux.seccomp.supportedFlags).toEqual(expect.arrayContaining(["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"]));
    expect(f.linux.apparmor).toEqual({ enabled: true });
    expect(f.linux.selinux).toEqual({ enabled: false });
    expect(f.linux.mountExtensions).toEqual({ idmap: { enabled: true } });
    expect(f.linux.netDevices).toEqual({ enabled: true });
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(f.annotations).toEqual({ "io.github.berth.version": pkg.version, "org.opencontainers.runc.checkpoint.enabled": "true" });
  });

  it("lists only what the plan builder accepts", () => {
    const f = features();
    for (const opt of f.mountOptions) {
      expect(isMountOptionSupported(opt)).toBe(true);
      expect(() => parseMountOptions([opt])).not.toThrow();
      expect(parseMountOptions([opt]).data).toBe("");
    }
    expect(f.mountOptions).toContain("rbind");
    expect(f.mountOptions).toContain("rslave");
    expect(f.mountOptions).toContain("tmpcopyup");
    // runc 1.2's list: the recursive attributes and the idmap extensions too
    for (const o of [
      "rro",
      "rrw",
      "rnosuid",
      "rsuid",
      "rnodev",
      "rdev",
      "rnoexec",
      "rexec",
      "rnodiratime",
      "rdiratime",
      "rrelatime",
      "rnorelatime",
      "rnoatime",
      "ratime",
      "rstrictatime",
      "rnostrictatime",
      "rnosymfollow",
      "rsymfollow",
      "idmap",
      "ridmap",
    ]) {
      expect(f.mountOptions).toContain(o);
    }
    for (const c of f.linux.capabilities) expect(() => capabilityNumber(c, "x")).not.toThrow();
    expect(f.linux.capabilities).toHaveLength(41);
    for (const n of f.linux.namespaces) expect(() => namespaceInfo(n, "x")).not.toThrow();
    expect(f.linux.namespaces).toEqual(["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"]);
  });
});
