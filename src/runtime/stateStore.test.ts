import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { containerRecord } from "./record.js";
import { loadRecord, loadSeccomp, removeContainerDir, saveRecord, SECCOMP_FILE, STATE_FILE } from "./stateStore.js";

const seccomp = { defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read", "write"], action: "SCMP_ACT_ALLOW" }] };
const inputs = {
  id: "c1",
  bundle: "/b",
  rootfs: "/b/rootfs",
  spec: {
    ociVersion: "1.3.0",
    root: { path: "rootfs" },
    process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/" },
    linux: { namespaces: [{ type: "pid" as const }], seccomp },
  },
  cgroup: { layout: "v2" as const, created: [], paths: {} },
  systemdCgroup: false,
};

const roots: string[] = [];
function root(): string {
  const r = mkdtempSync(join(tmpdir(), "berth-state-"));
  roots.push(r);
  mkdirSync(join(r, "c1"));
  return r;
}
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

describe("state.json and seccomp.json", () => {
  it("keep linux.seccomp out of state.json, in a file of its own that only exec reads", () => {
    const r = root();
    saveRecord(r, containerRecord(inputs, 42, "7"));
    const state = readFileSync(join(r, "c1", STATE_FILE), "utf8");
    expect(state).not.toContain("SCMP_ACT");
    expect(JSON.parse(readFileSync(join(r, "c1", SECCOMP_FILE), "utf8"))).toEqual(seccomp);
    expect(statSync(join(r, "c1", SECCOMP_FILE)).mode & 0o777).toBe(0o600);
    const rec = loadRecord(r, "c1");
    expect(rec.config.linux).toEqual({ namespaces: [{ type: "pid" }] });
    expect(loadSeccomp(r, rec)).toEqual(seccomp);
  });

  it("keep the profile when a loaded record is saved again (update)", () => {
    const r = root();
    saveRecord(r, containerRecord(inputs, 42, "7"));
    const rec = loadRecord(r, "c1");
    saveRecord(r, { ...rec, pid: 43 });
    expect(loadSeccomp(r, loadRecord(r, "c1"))).toEqual(seccomp);
  });

  it("read a profile kept in state.json by an earlier berth, and give none when the config has none", () => {
    const r = root();
    const old = containerRecord(inputs, 42, "7");
    writeFileSync(join(r, "c1", STATE_FILE), JSON.stringify(old));
    expect(loadSeccomp(r, loadRecord(r, "c1"))).toEqual(seccomp);
    const none = containerRecord({ ...inputs, spec: { ...inputs.spec, linux: {} } }, 42, "7");
    rmSync(join(r, "c1"), { recursive: true });
    mkdirSync(join(r, "c1"));
    saveRecord(r, none);
    expect(readdirSync(join(r, "c1"))).toEqual([STATE_FILE]);
    expect(loadSeccomp(r, loadRecord(r, "c1"))).toBeUndefined();
  });

  it("fail closed when the profile file is gone: an error naming it, not a process without its filter", () => {
    const r = root();
    saveRecord(r, containerRecord(inputs, 42, "7"));
    unlinkSync(join(r, "c1", SECCOMP_FILE));
    expect(() => loadSeccomp(r, loadRecord(r, "c1"))).toThrow(
      /load seccomp profile .*seccomp\.json.*delete the container and create it again/,
    );
  });

  it("are removed with the container directory", () => {
    const r = root();
    saveRecord(r, containerRecord(inputs, 42, "7"));
    removeContainerDir(r, "c1");
    expect(readdirSync(r)).toEqual([]);
  });
});
