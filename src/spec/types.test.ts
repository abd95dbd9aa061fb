// The hand-written TypeScript shapes (types.ts) and the JSON schemas (spec/*.schema.json)
// describe the same documents twice; this keeps them from drifting apart. The TypeScript
// compiler reads types.ts, and each schema is walked beside its type: every property the
// schema defines must exist in the type with a compatible type and the same optionality,
// and every property the type names must exist in the schema.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const HERE = dirname(fileURLToPath(import.meta.url));
const SCHEMAS = join(HERE, "../../spec");

/**
 * Schema objects the type leaves `unknown` on purpose: the schema validates them and the
 * code that reads them has its own type (seccomp: src/linux/seccomp/profile.ts). Any other
 * `unknown` is a mismatch.
 */
const OPAQUE = new Set([
  "config.process.scheduler",
  "config.process.ioPriority",
  "config.process.execCPUAffinity",
  "config.linux.seccomp",
  "config.linux.personality",
  "config.linux.memoryPolicy",
]);

/** Where the type and the schema differ on presence on purpose, and why. */
const PRESENCE = new Map([
  ["config.process.user", "required by semantic validation (semantic.ts) after the schema has passed"],
  ["config.process.user.uid", "required by semantic validation (semantic.ts) after the schema has passed"],
  ["config.process.user.gid", "required by semantic validation (semantic.ts) after the schema has passed"],
  ...["Read", "Write"].flatMap((rw) =>
    ["Bps", "IOPS"].map(
      (what) =>
        [
          `config.linux.resources.blockIO.throttle${rw}${what}Device[].rate`,
          "required by validateResources (src/linux/cgroups) after the schema has passed",
        ] as const,
    ),
  ),
  ["config.linux.resources.pids.limit", 'optional in the type: `berth update` takes "pids": {} as runc does (update.ts)'],
]);

type Schema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  pattern?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  patternProperties?: Record<string, Schema>;
  items?: Schema;
};

interface Located {
  schema: Schema;
  doc: string;
}

const docs = new Map<string, Schema & { definitions?: Record<string, Schema> }>();
function doc(name: string): Schema & { definitions?: Record<string, Schema> } {
  let d = docs.get(name);
  if (d === undefined) {
    d = JSON.parse(readFileSync(join(SCHEMAS, name.replace(/\.json$/, ".schema.json")), "utf8")) as Schema;
    docs.set(name, d);
  }
  return d;
}

/** Follow $ref (within a document or into defs.json) to the schema that says something. */
function resolve(at: Located): Located {
  let { schema, doc: name } = at;
  while (schema.$ref !== undefined) {
    const [file, pointer] = schema.$ref.split("#");
    if (file) name = file;
    const def = /^\/definitions\/([^/]+)$/.exec(pointer ?? "")?.[1];
    const target = def === undefined ? undefined : doc(name).definitions?.[def];
    if (target === undefined) throw new Error(`unresolved $ref ${schema.$ref} in ${name}`);
    schema = target;
  }
  return { schema, doc: name };
}

function loadTypes(): { checker: ts.TypeChecker; get(name: string): ts.Type } {
  const file = join(HERE, "types.ts");
  const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const moduleSymbol = checker.getSymbolAtLocation(source)!;
  const exports = new Map(checker.getExportsOfModule(moduleSymbol).map((s) => [s.name, s]));
  return {
    checker,
    get(name) {
      const sym = exports.get(name);
      if (sym === undefined) throw new Error(`types.ts exports no ${name}`);
      return checker.getDeclaredTypeOfSymbol(sym);
    },
  };
}

/** Every disagreement between `schema` and `type`, one line each, named by path. */
function compare(checker: ts.TypeChecker, at: Located, type: ts.Type, path: string): string[] {
  const { schema, doc: docName } = resolve(at);
  const opaque = (type.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) !== 0;
  const t = checker.getNonNullableType(type);
  const shown = checker.typeToString(t);
  const out: string[] = [];
  const bad = (why: string): string[] => [`${path}: ${why} (type ${shown}, schema ${JSON.stringify(schema).slice(0, 120)})`];

  if (opaque) {
    return OPAQUE.has(path) ? [] : bad("the type is unknown; describe it, or add the path to OPAQUE with the reason");
  }
  if (OPAQUE.has(path)) return bad("listed in OPAQUE but the type describes it; remove it from OPAQUE");

  switch (schema.type) {
    case "integer":
    case "number":
      return t.flags & ts.TypeFlags.NumberLike ? [] : bad("expected a number");
    case "boolean":
      return t.flags & ts.TypeFlags.BooleanLike ? [] : bad("expected a boolean");
    case "string": {
      if (t.flags & ts.TypeFlags.String) return [];
      const literals = t.isUnion() ? t.types : [t];
      if (!literals.every((l) => l.isStringLiteral())) return bad("expected a string");
      const values = literals.map((l) => (l as ts.StringLiteralType).value).sort();
      if (schema.enum !== undefined) {
        const want = (schema.enum as string[]).slice().sort();
        return JSON.stringify(values) === JSON.stringify(want)
          ? []
          : bad(`the type's values ${values.join("|")} are not the schema's enum ${want.join("|")}`);
      }
      const re = schema.pattern === undefined ? undefined : new RegExp(schema.pattern);
      const outside = values.filter((v) => re === undefined || !re.test(v));
      return outside.length === 0
        ? []
        : bad(`the type allows only ${values.join("|")}, the schema any string${re ? ` matching ${re}` : ""}`);
    }
    case "array": {
      if (!checker.isArrayType(t)) return bad("expected an array");
      const item = checker.getTypeArguments(t as ts.TypeReference)[0]!;
      return schema.items === undefined ? [] : compare(checker, { schema: schema.items, doc: docName }, item, `${path}[]`);
    }
    case "object": {
      if (!(t.flags & ts.TypeFlags.Object)) return bad("expected an object");
      const mapValue = typeof schema.additionalProperties === "object" ? schema.additionalProperties : schema.patternProperties?.["."];
      if (mapValue !== undefined) {
        const index = t.getStringIndexType();
        if (index === undefined) return bad("the schema is a map; expected Record<string, …>");
        out.push(...compare(checker, { schema: mapValue, doc: docName }, index, `${path}.*`));
      }
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const typeProps = new Map(checker.getPropertiesOfType(t).map((p) => [p.name, p]));
      for (const [name, sub] of Object.entries(props)) {
        const p = typeProps.get(name);
        if (p === undefined) {
          out.push(`${path}.${name}: in the schema, not in the type`);
          continue;
        }
        const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
        if (optional === required.has(name) && !PRESENCE.has(`${path}.${name}`)) {
          out.push(
            `${path}.${name}: ${required.has(name) ? "required" : "optional"} in the schema, ${optional ? "optional" : "required"} in the type`,
          );
        }
        out.push(...compare(checker, { schema: sub, doc: docName }, checker.getTypeOfSymbol(p), `${path}.${name}`));
      }
      for (const name of typeProps.keys()) {
        if (!(name in props)) out.push(`${path}.${name}: in the type, not in the schema`);
      }
      return out;
    }
    default:
      return bad(`schema type ${String(schema.type)} is not handled by this test`);
  }
}

describe("src/spec/types.ts agrees with spec/*.schema.json", () => {
  const types = loadTypes();

  it("config.json: Spec", () => {
    expect(compare(types.checker, { schema: doc("config.json"), doc: "config.json" }, types.get("Spec"), "config")).toEqual([]);
  });

  it("state: OciState", () => {
    expect(compare(types.checker, { schema: doc("state.json"), doc: "state.json" }, types.get("OciState"), "state")).toEqual([]);
  });

  it("notices a field on one side only", () => {
    const schema: Schema = JSON.parse(JSON.stringify(doc("state.json")));
    schema.properties!.created = { type: "string" };
    expect(compare(types.checker, { schema, doc: "state.json" }, types.get("OciState"), "state")).toEqual([
      "state.created: in the schema, not in the type",
    ]);
    delete schema.properties!.created;
    delete schema.properties!.pid;
    expect(compare(types.checker, { schema, doc: "state.json" }, types.get("OciState"), "state")).toEqual([
      "state.pid: in the type, not in the schema",
    ]);
  });
});
