// What a config needs when berth's euid is not 0 (runc's RootlessEUID checks,
// plus one of berth's own). Called by create only for such a caller.
//
// - a user namespace (linux.namespaces), with uid and gid mappings unless an
//   existing one is joined by path;
// - no mount option uid=N or gid=N naming an id the mappings leave out;
// - berth: no process.user.additionalGids when the gid mapping is the caller's own
//   gid alone, because setgroups(2) is then denied in the user namespace (runc
//   drops supplementary groups of a rootless container without a word).

import { BerthError } from "../errors.js";
import type { IDMapping, Spec } from "./types.js";

const OP = "validate config.json";

function fail(path: string, detail: string, hint: string): never {
  throw new BerthError(detail, { op: OP, path, hint });
}

function mapped(id: number, maps: readonly IDMapping[] | undefined): boolean {
  return (maps ?? []).some((m) => id >= m.containerID && id < m.containerID + m.size);
}

/** Throws a BerthError naming the JSON path when a rootless caller cannot run `spec`. */
export function checkRootlessConfig(spec: Spec, egid: number): void {
  const l = spec.linux;
  const userns = (l?.namespaces ?? []).find((n) => n.type === "user");
  if (userns === undefined) {
    fail(
      "linux.namespaces",
      "a rootless container (berth not run as root) requires a user namespace",
      'add {"type": "user"} and linux.uidMappings/gidMappings mapping your ids (berth spec --rootless writes such a config)',
    );
  }
  const joined = (userns.path ?? "") !== "";
  if (!joined) {
    if ((l?.uidMappings ?? []).length === 0)
      fail("linux.uidMappings", "a rootless container requires at least one uid mapping", "map container uid 0 to your uid");
    if ((l?.gidMappings ?? []).length === 0)
      fail("linux.gidMappings", "a rootless container requires at least one gid mapping", "map container gid 0 to your gid");
  }
  (spec.mounts ?? []).forEach((m, i) => {
    for (const opt of m.options ?? []) {
      const hit = /^(uid|gid)=([0-9]+)$/.exec(opt);
      if (hit === null || joined) continue;
      const kind = hit[1] as "uid" | "gid";
      if (!mapped(Number(hit[2]), kind === "uid" ? l?.uidMappings : l?.gidMappings)) {
        fail(
          `mounts[${i}].options`,
          `${opt}: a rootless container cannot give a mount an unmapped ${kind}`,
          `use a ${kind} that linux.${kind}Mappings maps, or drop the option (berth spec --rootless drops gid=5 from /dev/pts)`,
        );
      }
    }
  });
  const gids = l?.gidMappings ?? [];
  const selfOnly = gids.length === 1 && gids[0]!.containerID === 0 && gids[0]!.hostID === egid && gids[0]!.size === 1;
  if (!joined && selfOnly && (spec.process?.user.additionalGids ?? []).length > 0) {
    fail(
      "process.user.additionalGids",
      "supplementary groups cannot be set: with only your own gid mapped, the user namespace denies setgroups",
      "remove process.user.additionalGids, or map more gids through newgidmap (ranges in /etc/subgid)",
    );
  }
}
