// `berth check` probes of programs and files outside the kernel: CRIU, and what
// rootless containers need (subordinate id ranges, newuidmap and newgidmap).

import { degraded, missing, ok, type CheckItem, type HostFacts } from "./types.js";

export function criuItem(f: HostFacts): CheckItem {
  const criu = f.onPath("criu");
  if (criu === undefined) return missing("criu", "not installed", "apt-get install criu for berth checkpoint and restore");
  const r = f.run(criu, ["check"]);
  if (r.status === 0) return ok("criu", `${criu}: criu check passed`);
  const last = r.output.trim().split("\n").pop() ?? "";
  return degraded(
    "criu",
    `${criu}: criu check failed${last === "" ? "" : `: ${last}`}`,
    "berth checkpoint and restore fail on this host; see `criu check --all` (a kernel this criu supports, or a newer criu)",
  );
}

/** Ranges listed for `user` (by name or uid) in an /etc/subuid-style file. */
export function subidRanges(text: string, user: string, uid: number): { start: number; count: number }[] {
  const out: { start: number; count: number }[] = [];
  for (const line of text.split("\n")) {
    const [who, start, count] = line.trim().split(":");
    if (who === undefined || start === undefined || count === undefined) continue;
    if (who !== user && who !== String(uid)) continue;
    if (/^\d+$/.test(start) && /^\d+$/.test(count)) out.push({ start: Number(start), count: Number(count) });
  }
  return out;
}

function subidItem(f: HostFacts, file: "/etc/subuid" | "/etc/subgid"): CheckItem {
  const name = `rootless: ${file.slice(5)}`;
  const text = f.readFile(file);
  const flag = file === "/etc/subuid" ? "--add-subuids" : "--add-subgids";
  const fix = `usermod ${flag} 100000-165535 ${f.userName}`;
  if (text === undefined) return missing(name, `no ${file}`, fix);
  const ranges = subidRanges(text, f.userName, f.euid);
  if (ranges.length === 0) return missing(name, `no range for ${f.userName} in ${file}`, fix);
  const total = ranges.reduce((n, r) => n + r.count, 0);
  return ok(name, `${f.userName}: ${ranges.map((r) => `${r.start}+${r.count}`).join(", ")} (${total} ids)`);
}

/**
 * The state root: --root, else /run/berth, or $XDG_RUNTIME_DIR/berth for a non-root
 * caller (runc's rule). A non-root caller without XDG_RUNTIME_DIR cannot use /run/berth.
 */
export function stateRootItem(f: HostFacts): CheckItem {
  const name = "state root";
  const root = f.stateRoot;
  const parent = root.slice(0, root.lastIndexOf("/")) || "/";
  if (f.exists(root) ? f.writable(root) : f.writable(parent)) return ok(name, root);
  return missing(
    name,
    `${root} is not writable by uid ${f.euid}`,
    f.euid === 0 ? `check ${parent}` : "set XDG_RUNTIME_DIR (e.g. /run/user/$(id -u)) or pass --root DIR",
  );
}

/** Single-id rootless containers need none of these; several ids go through newuidmap/newgidmap and the ranges. */
export function rootlessItems(f: HostFacts): CheckItem[] {
  const tools = ["newuidmap", "newgidmap"].map((b) => [b, f.onPath(b)] as const);
  const absent = tools.filter(([, p]) => p === undefined).map(([b]) => b);
  const toolItem =
    absent.length === 0
      ? ok("rootless: newuidmap", tools.map(([, p]) => p).join(", "))
      : missing(
          "rootless: newuidmap",
          `not installed: ${absent.join(", ")}`,
          "apt-get install uidmap (rootless containers map several ids through them)",
        );
  return [subidItem(f, "/etc/subuid"), subidItem(f, "/etc/subgid"), toolItem];
}
