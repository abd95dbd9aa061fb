// The parts of a config mount carried out with mount_setattr(2) rather than mount(2):
// recursive attributes (rro, rnosuid, …) and idmapped bind mounts (mounts[].uidMappings /
// gidMappings, the idmap and ridmap options). The rules follow runtime-spec config.md and,
// where it leaves a choice, runc 1.2:
// - an idmapped mount must be a bind mount;
// - its mapping is the mount's own uidMappings/gidMappings (any mapping; no container user
//   namespace is needed), else the container's: the maps of its new user namespace, or the
//   user namespace it joins; with neither, the spec says an error MUST be returned;
// - mappings without idmap/ridmap idmap the top mount, as "idmap" does; "ridmap" maps
//   every mount of an rbind's tree;
// - building one needs CAP_SYS_ADMIN in the initial user namespace: not for rootless berth.
import { BerthError } from "../errors.js";
import type { IDMapping, Mount } from "../spec/types.js";
import type { ParsedMountOptions } from "../linux/mountOptions.js";
import type { PlanIdmap, PlanMount } from "./plan.js";

const OP = "build plan";

/** The container's user namespace, as far as an idmapped mount needs it. */
export type ContainerUserns =
  { kind: "none" } | { kind: "new"; uidMappings: readonly IDMapping[]; gidMappings: readonly IDMapping[] } | { kind: "join"; path: string };

/** Mapping lines as /proc/<pid>/uid_map wants them: "inside outside count\n" each. */
export function renderIdMap(maps: readonly IDMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");
}

/** The recursive attributes of a mount (undefined: it has no recursive option). */
export function mountRecursiveAttr(parsed: ParsedMountOptions, json: string): PlanMount["recursiveAttr"] {
  if (parsed.recursive === undefined) return undefined;
  return { set: parsed.recursive.set, clear: parsed.recursive.clear, what: `${json}.options` };
}

function fail(message: string, path: string, hint: string): never {
  throw new BerthError(message, { op: OP, path, hint });
}

export interface IdmapContext {
  userns: ContainerUserns;
  /** berth's effective uid: idmapped mounts need root. */
  euid: number;
}

/**
 * The id mapping of mount `m` (at JSON path `json`, e.g. "mounts[3]"), or undefined when it
 * is not idmapped. Throws a BerthError naming the field at fault.
 */
export function mountIdmap(m: Mount, json: string, parsed: ParsedMountOptions, bind: boolean, ctx: IdmapContext): PlanIdmap | undefined {
  // crun's own "idmap=uids=…;gids=…" form would otherwise pass as filesystem data, which a
  // bind ignores: the mount would silently not be idmapped.
  const custom = (m.options ?? []).findIndex((o) => /^r?idmap=/.test(o));
  if (custom >= 0) {
    fail(
      `"${m.options![custom]}" is crun's own form of idmap, which berth does not know`,
      `${json}.options[${custom}]`,
      `use "idmap" or "ridmap" with ${json}.uidMappings and gidMappings (runtime-spec 1.2)`,
    );
  }
  const mapped = m.uidMappings !== undefined || m.gidMappings !== undefined;
  if (!mapped && parsed.idmap === undefined) return undefined;
  const option = parsed.idmap === undefined ? undefined : (m.options ?? [])[parsed.idmap.index]!;
  const where = mapped ? `${json}.uidMappings` : `${json}.options[${parsed.idmap!.index}]`;
  if (!bind) {
    fail(
      `an idmapped mount must be a bind mount (type "${m.type ?? ""}")`,
      where,
      `add "rbind" (or "bind") to ${json}.options, or drop ${mapped ? "uidMappings and gidMappings" : `"${option}"`}`,
    );
  }
  if (ctx.euid !== 0) {
    fail(
      "idmapped mounts need root: building one takes CAP_SYS_ADMIN in the initial user namespace",
      where,
      `run berth as root, or drop ${mapped ? "uidMappings and gidMappings" : `"${option}"`} from ${json}`,
    );
  }
  const recursive = parsed.idmap?.recursive === true;
  if (mapped) {
    for (const field of ["uidMappings", "gidMappings"] as const) {
      if ((m[field]?.length ?? 0) === 0) {
        fail(
          `${field} is empty`,
          `${json}.${field}`,
          "list at least one mapping, or drop uidMappings and gidMappings to take the container's user namespace mapping",
        );
      }
    }
    return { uidMap: renderIdMap(m.uidMappings!), gidMap: renderIdMap(m.gidMappings!), recursive, what: json };
  }
  const u = ctx.userns;
  if (u.kind === "none") {
    fail(
      `"${option}" without uidMappings and gidMappings takes the container's user namespace mapping, but the container has no user namespace`,
      where,
      `give ${json} uidMappings and gidMappings, or add {"type": "user"} to linux.namespaces with linux.uidMappings and linux.gidMappings`,
    );
  }
  if (u.kind === "join") return { usernsPath: u.path, recursive, what: json };
  return { uidMap: renderIdMap(u.uidMappings), gidMap: renderIdMap(u.gidMappings), recursive, what: json };
}
