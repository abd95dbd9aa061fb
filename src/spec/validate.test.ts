import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { thrown } from "../testing/thrown.js";
import {
  dottedPath,
  jsonDepth,
  jsonErrorOffset,
  loadAndValidateConfig,
  MAX_JSON_BYTES,
  parseJsonText,
  pointerSegments,
  readJsonFile,
  validateFeatures,
  validateState,
} from "./validate.js";

const scratch = mkdtempSync(join(tmpdir(), "berth-validate-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
/** A bundle directory with a rootfs and the given config.json text (or object). */
function bundle(config: unknown): string {
  const dir = join(scratch, `b${n++}`);
  mkdirSync(join(dir, "rootfs"), { recursive: true });
  if (config !== undefined) writeFileSync(join(dir, "config.json"), typeof config === "string" ? config : JSON.stringify(config, null, 2));
  return dir;
}

function minimal(): Record<string, any> {
  return {
    ociVersion: "1.2.0",
    root: { path: "rootfs" },
    process: { cwd: "/", args: ["sh"], user: { uid: 0, gid: 0 } },
    linux: { namespaces: [{ type: "pid" }, { type: "mount" }] },
  };
}

/** The message of the schema error loadAndValidateConfig raises for this config. */
function schemaMessage(mutate: (c: Record<string, any>) => void): string {
  const c = minimal();
  mutate(c);
  const dir = bundle(c);
  return thrown(() => loadAndValidateConfig(dir)).message.replace(` ${join(dir, "config.json")}`, " <file>");
}

describe("loadAndValidateConfig: reading the file", () => {
  test("a valid config comes back typed, with no warnings", () => {
    const { spec, warnings } = loadAndValidateConfig(bundle(minimal()));
    expect(spec.process?.args).toEqual(["sh"]);
    expect(warnings).toEqual([]);
  });

  test("relative mount destinations come back as warnings", () => {
    const c = minimal();
    c.mounts = [
      { destination: "/proc", type: "proc" },
      { destination: "/dev" },
      { destination: "/sys" },
      { destination: "tmp", type: "tmpfs" },
    ];
    const { warnings } = loadAndValidateConfig(bundle(c));
    expect(warnings).toEqual(['mounts[3].destination: "tmp" is relative; treating it as "/tmp" (deprecated)']);
  });

  test("missing config.json names the file and ENOENT", () => {
    const dir = bundle(undefined);
    const e = thrown(() => loadAndValidateConfig(dir));
    expect(e.path).toBe(join(dir, "config.json"));
    expect(e.errno).toBe("ENOENT");
    expect(e.message).toContain("no such file or directory");
    expect(e.hint).toMatch(/config\.json/);
  });

  test("config.json that is a directory", () => {
    const dir = bundle(undefined);
    mkdirSync(join(dir, "config.json"));
    const e = thrown(() => loadAndValidateConfig(dir));
    expect(e.errno).toBe("EISDIR");
  });

  test("config.json that is a device (a link to /dev/zero) is refused before anything is read", () => {
    const dir = bundle(undefined);
    symlinkSync("/dev/zero", join(dir, "config.json"));
    const e = thrown(() => loadAndValidateConfig(dir));
    expect(e.message).toMatch(/config\.json: not a regular file \(a device, fifo or socket\)/);
  });

  test("a config.json larger than the bound is refused by its size", () => {
    const dir = bundle(undefined);
    writeFileSync(join(dir, "config.json"), Buffer.alloc(MAX_JSON_BYTES + 1, 0x20));
    expect(thrown(() => loadAndValidateConfig(dir)).message).toMatch(/bytes is more than the 16777216 berth reads/);
  });

  test("JSON nested 100000 deep gets an error naming the file, not a stack overflow", () => {
    const dir = bundle(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    const e = thrown(() => loadAndValidateConfig(dir));
    expect(e.message).toMatch(/config\.json: objects and arrays nest deeper than 512 levels/);
    expect(jsonDepth('{"a":"[[[[","b":[[1]]}')).toBe(3);
  });

  test("invalid JSON names the file, line and column", () => {
    const dir = bundle('{\n  "ociVersion": "1.2.0",\n  "root": {"path": rootfs}\n}\n');
    const e = thrown(() => loadAndValidateConfig(dir));
    expect(e.path).toBe(join(dir, "config.json"));
    expect(e.message).toContain("not valid JSON: line 3, column 20: Unexpected token 'r'; fix the JSON syntax");
    expect(e.message).not.toContain("ociVersion");
  });

  test("empty and truncated files are reported at end of file", () => {
    expect(thrown(() => parseJsonText("", "f.json", "load config")).message).toBe(
      "load config f.json: not valid JSON: at end of file: Unexpected end of JSON input; fix the JSON syntax",
    );
    expect(thrown(() => parseJsonText('{"a": [1, 2', "f.json", "load config")).message).toContain("at end of file");
  });

  test("readJsonFile parses any JSON file", () => {
    const f = join(scratch, "x.json");
    writeFileSync(f, '{"a": 1}');
    expect(readJsonFile(f, "load")).toEqual({ a: 1 });
  });
});

describe("jsonErrorOffset", () => {
  test.each([
    ["{]", 1],
    ["[1,]", 3],
    ['{"a" 1}', 5],
    ['{"a": tru}', 9],
    ['{"a": "\\q"}', 8],
    ["[01]", 2],
    ['{"a": 1} x', 9],
    ["[-]", 1],
    ['"\\u12G4"', 5],
    ['{"a": 1,}', 8],
  ])("%j fails at %i", (text, at) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorOffset(text)).toBe(at);
  });

  test("valid JSON has no error offset", () => {
    expect(jsonErrorOffset('{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"], "b": {}}')).toBe(-1);
  });

  test("truncated input fails at its end", () => {
    expect(jsonErrorOffset('{"a": [1')).toBe(8);
    expect(jsonErrorOffset('"abc')).toBe(4);
  });
});

describe("schema errors: one BerthError with a dotted JSON path", () => {
  test("unknown namespace type", () => {
    expect(schemaMessage((c) => c.linux.namespaces.push({ type: "pidd" }))).toBe(
      'validate config.json linux.namespaces[2].type: must be one of pid, network, mount, ipc, uts, user, cgroup, time (got "pidd"); fix <file>',
    );
  });

  test("wrong type", () => {
    expect(schemaMessage((c) => (c.process.user.uid = "0"))).toBe(
      'validate config.json process.user.uid: must be an integer (got "0"); fix <file>',
    );
    expect(schemaMessage((c) => (c.root.readonly = "yes"))).toContain('root.readonly: must be true or false (got "yes")');
    expect(schemaMessage((c) => (c.mounts = {}))).toContain("mounts: must be an array (got {})");
  });

  test("missing required field names the field itself", () => {
    expect(schemaMessage((c) => (c.mounts = [{ type: "proc" }]))).toContain(
      "validate config.json mounts[0].destination: is required but missing",
    );
    expect(schemaMessage((c) => delete c.ociVersion)).toContain("validate config.json ociVersion: is required but missing");
    expect(schemaMessage((c) => delete c.process.cwd)).toContain("process.cwd: is required but missing");
  });

  test("numbers out of range", () => {
    expect(schemaMessage((c) => (c.process.user.uid = -1))).toContain("process.user.uid: must be at least 0 (got -1)");
    expect(schemaMessage((c) => (c.process.user.gid = 4294967296))).toContain(
      "process.user.gid: must be at most 4294967295 (got 4294967296)",
    );
    expect(schemaMessage((c) => (c.hooks = { prestart: [{ path: "/x", timeout: 0 }] }))).toContain(
      "hooks.prestart[0].timeout: must be at least 1 (got 0)",
    );
    expect(schemaMessage((c) => (c.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 1, hard: 2e20 }]))).toContain(
      "process.rlimits[0].hard: must be at most 18446744073709551615",
    );
  });

  test("patterns are explained in words", () => {
    expect(schemaMessage((c) => (c.linux.resources = { hugepageLimits: [{ pageSize: "64kB", limit: 1 }] }))).toContain(
      'linux.resources.hugepageLimits[0].pageSize: must be a page size such as 64KB, 2MB or 1GB (got "64kB")',
    );
    expect(schemaMessage((c) => (c.process.rlimits = [{ type: "nofile", soft: 1, hard: 1 }]))).toContain(
      'process.rlimits[0].type: must be a resource limit name such as RLIMIT_NOFILE (got "nofile")',
    );
  });

  test("map keys that are not identifiers are quoted", () => {
    expect(schemaMessage((c) => (c.linux.sysctl = { "net.ipv4.ip_forward": 1 }))).toContain(
      'linux.sysctl["net.ipv4.ip_forward"]: must be a string (got 1)',
    );
    expect(schemaMessage((c) => (c.annotations = { "0": 5 }))).toContain('annotations["0"]: must be a string (got 5)');
  });

  test("several problems: the first is the error path, the rest are listed", () => {
    const msg = schemaMessage((c) => {
      c.process.user.uid = "a";
      c.process.user.gid = "b";
      c.hostname = 1;
      c.domainname = 2;
      c.root.readonly = 3;
    });
    expect(msg).toMatch(/^validate config\.json root\.readonly: must be true or false \(got 3\); also /);
    expect(msg).toContain("and 1 more problem;");
  });

  test("a document that is not an object", () => {
    const dir = bundle("[]");
    const e = thrown(() => loadAndValidateConfig(dir));
    expect(e.path).toBe(join(dir, "config.json"));
    expect(e.message).toContain("must be an object (got [])");
  });

  test("schema errors come before semantic checks", () => {
    const c = minimal();
    c.ociVersion = 2;
    expect(thrown(() => loadAndValidateConfig(bundle(c))).path).toBe("ociVersion");
  });

  test("semantic errors surface through loadAndValidateConfig", () => {
    const c = minimal();
    c.ociVersion = "2.0.0";
    const e = thrown(() => loadAndValidateConfig(bundle(c)));
    expect(e.path).toBe("ociVersion");
    expect(e.message).toContain('runtime-spec version "2.0.0" is not supported');
  });
});

describe("path helpers", () => {
  test("pointerSegments unescapes ~1 and ~0", () => {
    expect(pointerSegments("")).toEqual([]);
    expect(pointerSegments("/linux/sysctl/a~1b~0c")).toEqual(["linux", "sysctl", "a/b~c"]);
  });

  test("dottedPath uses the document to tell indices from keys", () => {
    const doc = { a: [{ b: 1 }], m: { "0": 1, "x.y": 2 } };
    expect(dottedPath(doc, ["a", "0", "b"])).toBe("a[0].b");
    expect(dottedPath(doc, ["m", "0"])).toBe('m["0"]');
    expect(dottedPath(doc, ["m", "x.y"])).toBe('m["x.y"]');
    expect(dottedPath(doc, [])).toBe("");
  });
});

describe("validateState and validateFeatures", () => {
  const state = { ociVersion: "1.3.0", id: "c1", status: "running", pid: 42, bundle: "/b", annotations: { k: "v" } };

  test("a good state document passes; paused is accepted", () => {
    expect(validateState(state)).toBe(state);
    expect(validateState({ ...state, status: "paused" }).status).toBe("paused");
  });

  test("a bad state document names the field", () => {
    const e = thrown(() => validateState({ ...state, status: "sleeping", pid: -1 }));
    expect(e.path).toBe("status");
    expect(e.message).toContain("must be one of creating, created, running, stopped, paused");
    expect(e.message).toContain("pid: must be at least 0 (got -1)");
    expect(thrown(() => validateState({ ociVersion: "1.3.0", id: "c1", status: "created" })).path).toBe("bundle");
  });

  test("features documents", () => {
    const doc = { ociVersionMin: "1.0.0", ociVersionMax: "1.3.0", linux: { namespaces: ["pid"], capabilities: ["CAP_KILL"] } };
    expect(validateFeatures(doc)).toBe(doc);
    expect(thrown(() => validateFeatures({ ociVersionMin: "1.0.0" })).path).toBe("ociVersionMax");
    expect(thrown(() => validateFeatures({ ...doc, linux: { capabilities: ["kill"] } })).message).toContain(
      'linux.capabilities[0]: must be a capability name such as CAP_CHOWN (got "kill")',
    );
  });
});
