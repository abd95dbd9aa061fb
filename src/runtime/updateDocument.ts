// The LinuxResources JSON document `berth update -r FILE` (or "-", stdin) reads:
// parsed and checked against the runtime spec's schema. A module of its own so
// that the generated validators load only when such a document is given.

import type { Resources } from "../spec/types.js";
import { parseJsonText, schemaError } from "../spec/validate.js";
import { validateConfig } from "../spec/validators.js";

/**
 * Parse and validate a LinuxResources JSON document (`source` names the file,
 * or "stdin"). Errors give the line and column of a syntax error, or the JSON
 * path of the value that does not match the runtime spec's schema.
 */
export function parseResourcesJson(text: string, source: string): Resources {
  const doc = parseJsonText(text, source, "update");
  // Checked with the config schema, as a config's linux.resources.
  const wrapped = { ociVersion: "1.0.0", linux: { resources: doc } };
  if (!validateConfig(wrapped)) {
    // runc accepts "pids": {} (Go leaves limit at 0, meaning unchanged).
    const errors = (validateConfig.errors ?? []).filter((e) => !(e.keyword === "required" && e.instancePath === "/linux/resources/pids"));
    if (errors.length > 0) throw schemaError(errors, wrapped, "update", source === "stdin" ? "the JSON on stdin" : source);
  }
  return doc as Resources;
}
