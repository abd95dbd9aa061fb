// berth's schemas (spec/*.schema.json, compiled to src/spec/generated/) must
// classify documents the way the official runtime-spec 1.3 schema does for Linux
// configs, state and features documents. The official verdict is computed here
// with ajv and the official draft-04 files from ../shared/oci-runtime-spec/schema.
// Besides the official good/bad examples, every good example is mutated node by
// node (wrong types, out-of-range numbers, removed keys, odd map keys) and both
// schemas must agree on every mutant.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { expect, test } from "vitest";
import { needs, RUNTIME_SPEC_SCHEMA } from "../../test/helpers/host.js";
import { BerthError } from "../errors.js";
import { parseJsonText } from "./validate.js";
import { validateConfig, validateFeatures, validateState, type CompiledValidator } from "./validators.js";

const testDir = join(RUNTIME_SPEC_SCHEMA, "test");
/** The official schema files; the suites below are skipped (and load nothing) without them. */
const SCHEMA = needs("runtime-spec-schema");

/** Example files that describe other platforms: berth's schemas cover Linux only. */
const NON_LINUX = /^(freebsd|zos|windows|solaris|vm)-/;

type Kind = "config" | "state" | "features";
const OURS: Record<Kind, CompiledValidator> = { config: validateConfig, state: validateState, features: validateFeatures };
const OFFICIAL_ROOT: Record<Kind, string> = { config: "config-schema.json", state: "state-schema.json", features: "features-schema.json" };

/** Load the official schema files into one ajv 8 instance (they are draft-04 and refer to each other by file name). */
function officialValidators(): Record<Kind, ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
  const base = "https://schema.invalid/oci-runtime-spec/";
  for (const name of readdirSync(RUNTIME_SPEC_SCHEMA).filter((f) => f.endsWith(".json"))) {
    const schema = JSON.parse(readFileSync(join(RUNTIME_SPEC_SCHEMA, name), "utf8")) as Record<string, unknown>;
    delete schema.$schema;
    if (typeof schema.id === "string") delete schema.id;
    schema.$id = base + name;
    ajv.addSchema(fixRefs(schema));
  }
  const get = (n: string): ValidateFunction => {
    const v = ajv.getSchema(base + n);
    if (v === undefined) throw new Error(`official schema ${n} did not compile`);
    return v;
  };
  return { config: get(OFFICIAL_ROOT.config), state: get(OFFICIAL_ROOT.state), features: get(OFFICIAL_ROOT.features) };
}

/** Upstream defs.json spells one reference "#definitions/…" (no slash); ajv 8 needs the JSON Pointer form. */
function fixRefs<T>(node: T): T {
  if (Array.isArray(node)) return node.map(fixRefs) as T;
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === "$ref" && typeof v === "string" ? v.replace(/#definitions\//, "#/definitions/") : fixRefs(v);
  }
  return out as T;
}

interface Example {
  kind: Kind;
  dir: "good" | "bad";
  name: string;
  text: string;
}

function examples(): Example[] {
  const out: Example[] = [];
  for (const kind of ["config", "state", "features"] as const) {
    for (const dir of ["good", "bad"] as const) {
      const d = join(testDir, kind, dir);
      if (!existsSync(d)) continue;
      for (const name of readdirSync(d)
        .filter((f) => f.endsWith(".json"))
        .sort()) {
        out.push({ kind, dir, name, text: readFileSync(join(d, name), "utf8") });
      }
    }
  }
  return out;
}

/** Verdict of a validator on raw text: unparsable JSON counts as rejected (berth reports it as a parse error). */
function verdict(validate: (doc: unknown) => boolean, text: string): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return false;
  }
  return validate(doc);
}

/**
 * Where berth deliberately differs from the official schema. Each entry matches a
 * mutant label ("<path> = <value>") on which the verdicts may disagree.
 */
const KNOWN_DIFFERENCES: { pattern: RegExp; why: string }[] = [
  {
    pattern: /^linux\.rootfsPropagation = "r(private|shared|slave|unbindable)"$/,
    why: "recursive propagation values are accepted, as runc does (containerd and CRI-O send them)",
  },
  {
    pattern: /^linux\.devices\.\d+\.fileMode = \d+$/,
    why: "a fileMode with file type bits is accepted and its permission bits used, as runc does (podman sends the whole st_mode); semantic checks refuse what is not a mode",
  },
];

// ---------------------------------------------------------------------------
// Mutations

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const REPLACEMENTS: Json[] = [
  null,
  true,
  0,
  1,
  -1,
  7,
  1.5,
  255,
  256,
  511,
  512,
  65535,
  65536,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  -1e19,
  2e19,
  "",
  "x",
  "c",
  "p",
  "cc",
  "64kB",
  "64KB",
  "2MB",
  "0B",
  "RLIMIT_NOFILE",
  "RLIMIT_nofile",
  "0-3,7",
  "0-3;7",
  "MB:0=100",
  "MB:0\n1",
  "L3:0=f",
  "CAP_CHOWN",
  "cap_chown",
  "pid",
  "SCMP_ACT_ALLOW",
  "SCMP_CMP_EQ",
  "SCHED_FIFO",
  "IOPRIO_CLASS_RT",
  "MPOL_BIND",
  "MPOL_F_STATIC_NODES",
  "LINUX32",
  "private",
  "rshared",
  "bogus",
  [],
  ["x"],
  [7],
  [{}],
  {},
  { a: 1 },
  { a: "b" },
];

/** Every node of a document with its path (as key list). */
function nodes(doc: Json, path: (string | number)[] = []): (string | number)[][] {
  const out = [path];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...nodes(v, [...path, i])));
  else if (doc !== null && typeof doc === "object") for (const [k, v] of Object.entries(doc)) out.push(...nodes(v, [...path, k]));
  return out;
}

type Container = Record<string | number, Json>;

/**
 * Change the document in place at `path` (value undefined: remove the entry) and
 * return a function that restores it. Mutating in place keeps thousands of
 * mutants cheap; each one is validated before the next is made.
 */
function mutateAt(root: { doc: Json }, path: (string | number)[], value: Json | undefined): () => void {
  if (path.length === 0) {
    const old = root.doc;
    root.doc = value === undefined ? null : value;
    return () => {
      root.doc = old;
    };
  }
  let parent = root.doc as unknown as Container;
  for (const k of path.slice(0, -1)) parent = parent[k] as unknown as Container;
  const key = path[path.length - 1]!;
  const had = Object.hasOwn(parent, key);
  const old = parent[key];
  if (Array.isArray(parent) && value === undefined) {
    parent.splice(key as number, 1);
    return () => void parent.splice(key as number, 0, old as Json);
  }
  if (value === undefined) delete parent[key];
  else parent[key] = value;
  return () => {
    if (Array.isArray(parent) && !had) parent.length = key as number;
    else if (had) parent[key] = old as Json;
    else delete parent[key];
  };
}

function getAt(doc: Json, path: (string | number)[]): Json {
  let cur: Json = doc;
  for (const k of path) cur = (cur as Container)[k]!;
  return cur;
}

/** Yields each mutant of `base` (changed in place; valid only until the next iteration). */
function* mutants(base: Json): Generator<{ label: string; doc: Json }> {
  const root = { doc: structuredClone(base) };
  const variants = function* (path: (string | number)[]): Generator<[string, Json | undefined, (string | number)[]]> {
    const where = path.length === 0 ? "(root)" : path.join(".");
    for (const r of REPLACEMENTS) yield [`${where} = ${JSON.stringify(r)}`, r, path];
    if (path.length > 0) yield [`delete ${where}`, undefined, path];
    const node = getAt(root.doc, path);
    if (node !== null && typeof node === "object" && !Array.isArray(node)) {
      for (const [k, v] of [
        ["zz", 5],
        ["zz", "s"],
        ["", 5],
        ["\n", 5],
        ["zz", {}],
        ["zz", { name: 5 }],
        ["zz", { hcaHandles: "x" }],
      ] as [string, Json][]) {
        yield [`${where}[${JSON.stringify(k)}] = ${JSON.stringify(v)}`, v, [...path, k]];
      }
    }
    if (Array.isArray(node)) {
      yield [`${where} += 5`, 5, [...path, node.length]];
      yield [`${where} += {}`, {}, [...path, node.length]];
    }
  };
  for (const path of nodes(root.doc)) {
    for (const [label, value, at] of variants(path)) {
      const undo = mutateAt(root, at, value === undefined ? undefined : structuredClone(value));
      yield { label, doc: root.doc };
      undo();
    }
  }
}

/** A Linux config that sets the fields the official examples leave out. */
const RICH_LINUX_CONFIG: Json = {
  ociVersion: "1.3.0",
  root: { path: "rootfs", readonly: true },
  mounts: [
    { destination: "/proc", type: "proc", source: "proc" },
    {
      destination: "/data",
      type: "none",
      source: "/srv/data",
      options: ["rbind", "idmap"],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    },
  ],
  process: {
    terminal: true,
    consoleSize: { height: 25, width: 80 },
    user: { uid: 1, gid: 1, umask: 18, additionalGids: [5, 6], username: "daemon" },
    args: ["sh"],
    commandLine: "sh",
    env: ["PATH=/bin"],
    cwd: "/",
    capabilities: { bounding: ["CAP_KILL"], effective: ["CAP_KILL"], inheritable: [], permitted: ["CAP_KILL"], ambient: [] },
    rlimits: [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 }],
    noNewPrivileges: true,
    apparmorProfile: "p",
    oomScoreAdj: 100,
    selinuxLabel: "l",
    scheduler: { policy: "SCHED_DEADLINE", nice: 0, priority: 0, flags: ["SCHED_FLAG_RECLAIM"], runtime: 1, deadline: 2, period: 3 },
    ioPriority: { class: "IOPRIO_CLASS_BE", priority: 4 },
    execCPUAffinity: { initial: "0", final: "0-1" },
  },
  hostname: "h",
  domainname: "d",
  hooks: { prestart: [{ path: "/bin/true", args: ["true"], env: ["A=b"], timeout: 5 }] },
  annotations: { "org.example": "v" },
  linux: {
    namespaces: [{ type: "user" }, { type: "network", path: "/proc/1/ns/net" }, { type: "time" }],
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    timeOffsets: { monotonic: { secs: -5, nanosecs: 10 } },
    devices: [{ type: "p", path: "/dev/fifo", fileMode: 420, uid: 0, gid: 0 }],
    netDevices: { eth1: { name: "eth0" } },
    cgroupsPath: "/berth/x",
    resources: {
      devices: [
        { allow: false, access: "rwm" },
        { allow: true, type: "c", major: 1, minor: 3, access: "rw" },
      ],
      memory: {
        limit: 1,
        reservation: 1,
        swap: 2,
        kernel: -1,
        kernelTCP: -1,
        swappiness: 0,
        disableOOMKiller: false,
        useHierarchy: true,
        checkBeforeUpdate: true,
      },
      cpu: { shares: 1024, quota: -1, burst: 0, period: 100000, realtimeRuntime: 0, realtimePeriod: 0, cpus: "0", mems: "0", idle: 0 },
      pids: { limit: -1 },
      blockIO: {
        weight: 500,
        leafWeight: 100,
        weightDevice: [{ major: 8, minor: 0, weight: 500, leafWeight: 10 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }],
        throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 1 }],
        throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 1 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 1 }],
      },
      hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
      network: { classID: 1, priorities: [{ name: "eth0", priority: 1 }] },
      rdma: { mlx5_1: { hcaHandles: 1, hcaObjects: 2 } },
      unified: { "memory.high": "max" },
    },
    rootfsPropagation: "slave",
    seccomp: {
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: 1,
      architectures: ["SCMP_ARCH_X86_64"],
      flags: ["SECCOMP_FILTER_FLAG_LOG"],
      listenerPath: "/run/l",
      listenerMetadata: "m",
      syscalls: [
        { names: ["read"], action: "SCMP_ACT_ALLOW", errnoRet: 1, args: [{ index: 0, value: 1, valueTwo: 2, op: "SCMP_CMP_MASKED_EQ" }] },
      ],
    },
    sysctl: { "net.ipv4.ip_forward": "1" },
    maskedPaths: ["/proc/kcore"],
    readonlyPaths: ["/proc/sys"],
    mountLabel: "m",
    personality: { domain: "LINUX", flags: [] },
    intelRdt: { closID: "c", schemata: ["L3:0=f"], l3CacheSchema: "L3:0=f", memBwSchema: "MB:0=100", enableMonitoring: true },
    memoryPolicy: { mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES"] },
  },
};

// ---------------------------------------------------------------------------

SCHEMA.describe("schema examples (official runtime-spec 1.3 schema as the reference)", () => {
  const official = SCHEMA.met ? officialValidators() : ({} as Record<Kind, ValidateFunction>);
  const all = SCHEMA.met ? examples() : [];

  for (const ex of all) {
    const label = `${ex.kind}/${ex.dir}/${ex.name}`;
    if (ex.kind === "config" && NON_LINUX.test(ex.name)) {
      test.skip(`${label} (not a Linux config: berth's schema covers Linux fields only)`, () => {});
      continue;
    }
    test(`${label}: berth agrees with the official schema`, () => {
      const theirs = verdict(official[ex.kind], ex.text);
      const ours = verdict(OURS[ex.kind], ex.text);
      expect(theirs, "official verdict matches the directory name").toBe(ex.dir === "good");
      expect(ours).toBe(theirs);
    });
  }

  test("unparsable examples are reported with file, line and column", () => {
    for (const ex of all.filter((e) => e.name === "invalid-json.json")) {
      let err: unknown;
      try {
        parseJsonText(ex.text, `${ex.kind}/${ex.name}`, "load config");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BerthError);
      expect((err as Error).message).toMatch(/invalid-json\.json: not valid JSON: line 1, column 2/);
    }
  });

  const bases: { kind: Kind; label: string; doc: Json }[] = [{ kind: "config", label: "rich Linux config", doc: RICH_LINUX_CONFIG }];
  for (const ex of all) {
    if (ex.dir !== "good" || (ex.kind === "config" && NON_LINUX.test(ex.name))) continue;
    bases.push({ kind: ex.kind, label: `${ex.kind}/good/${ex.name}`, doc: JSON.parse(ex.text) as Json });
  }

  for (const base of bases) {
    test(`mutants of ${base.label}: berth agrees with the official schema`, () => {
      expect(official[base.kind](base.doc), "the base document is valid").toBe(true);
      const disagreements: string[] = [];
      let count = 0;
      let rejected = 0;
      for (const m of mutants(base.doc)) {
        count++;
        const theirs = official[base.kind](m.doc);
        const ours = OURS[base.kind](m.doc);
        if (!theirs) rejected++;
        if (theirs !== ours && !KNOWN_DIFFERENCES.some((k) => k.pattern.test(m.label)))
          disagreements.push(`${m.label}: official ${theirs ? "accepts" : "rejects"}, berth ${ours ? "accepts" : "rejects"}`);
      }
      expect(count).toBeGreaterThan(100);
      expect(rejected, "some mutants are invalid").toBeGreaterThan(0);
      expect(official[base.kind](base.doc), "mutants were undone").toBe(true);
      expect(disagreements.slice(0, 20)).toEqual([]);
    });
  }
});

SCHEMA.describe("deliberate differences from the official schema", () => {
  const official = SCHEMA.met ? officialValidators() : ({} as Record<Kind, ValidateFunction>);
  test("recursive rootfsPropagation values: official rejects, berth accepts (runc compatibility)", () => {
    for (const value of ["rprivate", "rshared", "rslave", "runbindable"]) {
      const doc = { ociVersion: "1.3.0", root: { path: "rootfs" }, linux: { rootfsPropagation: value } };
      expect(official.config(doc)).toBe(false);
      expect(validateConfig(doc)).toBe(true);
    }
    expect(validateConfig({ ociVersion: "1.3.0", root: { path: "rootfs" }, linux: { rootfsPropagation: "rbogus" } })).toBe(false);
  });
  test("a device fileMode with file type bits (podman's 0o20600): official rejects, berth accepts (runc compatibility)", () => {
    const doc = {
      ociVersion: "1.3.0",
      root: { path: "rootfs" },
      linux: { devices: [{ type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o20600 }] },
    };
    expect(official.config(doc)).toBe(false);
    expect(validateConfig(doc)).toBe(true);
  });
});
