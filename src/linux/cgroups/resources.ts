// linux.resources is not applied yet: the manager only places the container.
// describeIgnoredResources() lists what a config asks for that berth leaves
// unenforced, so the lifecycle can warn instead of failing.

import type { Resources } from "../../spec/types.js";

function isSet(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.values(v as Record<string, unknown>).some((x) => x !== undefined && x !== null);
  return true;
}

/**
 * One warning per linux.resources field that is set but not enforced, each
 * starting with its JSON path (e.g. "linux.resources.memory: …"). Empty for none.
 */
export function describeIgnoredResources(resources: Resources | undefined): string[] {
  if (resources === undefined || resources === null) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(resources as Record<string, unknown>)) {
    if (!isSet(value)) continue;
    const what = key === "devices"
      ? `${(value as unknown[]).length} device cgroup rule(s) are not enforced yet`
      : "resource limits are not applied yet; the container runs without them";
    out.push(`linux.resources.${key}: ${what}`);
  }
  return out;
}
